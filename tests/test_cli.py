"""The covar command line: in-process with click's CliRunner and as the installed `covar` program."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

import covar
from covar.numeric.checks import CheckReport
from covar.render.serialize import from_json
from covar.cli.main import cli

SQRT_CHI2 = ["ChiSquared(1)", "sqrt(x)"]


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


# ---- in process ---------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["derive", "latex", "check", "plot"])
def test_every_command_has_help_with_examples(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.output and f"covar {command} " in result.output


def test_group_help_version_and_families():
    assert "derive" in run("--help").output
    assert run("--version").output.strip() == f"covar {covar.__version__}"
    listing = run("families").output.splitlines()
    assert "Normal(mu, sigma)" in listing[0] and "pdf" in listing[0]
    assert any(line.startswith("Poisson(lam)") and "pmf" in line for line in listing)


def test_derive_text_shows_result_support_family_and_steps():
    result = run("derive", *SQRT_CHI2)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "family   HalfNormal(1)" in out and "support  [0, ∞)" in out and "atoms    none" in out
    assert "inverse  x = h₁(y) = y" in out and "|h₁'(y)| = 2⋅y" in out
    assert " 3. Piece 1: on x ∈ (0, ∞), g is increasing" in out
    assert "Change of variables" in out and "Notes:" in out
    brief = run("derive", *SQRT_CHI2, "--no-steps").output
    assert "Derivation" not in brief and "HalfNormal(1)" in brief


def test_derive_support_and_assume_options():
    out = run("derive", "exp(-x)", "x**2", "--support", "[0, oo)", "--no-steps").output
    assert "X has density exp(-x) on [0, ∞)" in out and "support  [0, ∞)" in out
    out = run("derive", "Normal(mu, sigma)", "c*x", "--assume", "sigma>0", "--assume", "c>0", "--no-steps").output
    assert "family   Normal(c*mu, c*sigma)" in out


def test_derive_json_round_trips_to_the_same_values():
    result = run("derive", *SQRT_CHI2, "--format", "json")
    data = json.loads(result.output)
    assert data["schema"] == "covar/2" and data["family"] == {"name": "HalfNormal", "args": ["1"]}
    Y = from_json(result.output)
    ys = np.array([-1.0, 0.2, 1.0, 3.0])
    np.testing.assert_allclose(Y.numpy()(ys), stats.halfnorm.pdf(ys), rtol=1e-12)


def test_derive_latex_format_and_latex_command(tmp_path):
    assert r"\begin{cases}" in run("derive", *SQRT_CHI2, "-f", "latex").output
    target = tmp_path / "out.tex"
    result = run("latex", "Normal(0, 1)", "Max(0, x)", "--standalone", "-o", str(target))
    assert result.exit_code == 0
    text = target.read_text()
    assert text.startswith(r"\documentclass") and r"P(Y = 0) = \frac{1}{2}" in text
    assert not run("latex", *SQRT_CHI2).output.startswith(r"\documentclass")


def test_check_passes_with_atoms_and_parameters():
    result = run("check", "Normal(0, 1)", "Max(0, x)", "--samples", "20000", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "atom at 0" in result.output and "mass 0.50000" in result.output
    assert result.output.rstrip().endswith("verdict: PASS")
    result = run("check", "Normal(mu, sigma)", "exp(x)", "-p", "mu=0.5", "-p", "sigma=0.4", "-n", "5000")
    assert result.exit_code == 0 and "with mu = 0.5, sigma = 0.4" in result.output


def test_failed_check_exits_1(monkeypatch):
    failing = CheckReport(0.9, 1.0, 0.2, 1e-9, samples=1000, failures=("KS test rejects (D = 0.2, p = 1e-9)",))
    monkeypatch.setattr("covar.numeric.checks.check", lambda *a, **k: failing)
    result = run("check", *SQRT_CHI2)
    assert result.exit_code == 1
    assert "verdict: FAIL" in result.output and "KS test rejects" in result.output


def test_check_needs_every_parameter_value():
    result = run("check", "Normal(mu, sigma)", "x + c", "-p", "mu=0")
    assert result.exit_code == 2
    assert "give a value to c, sigma" in result.output


def test_plot_writes_a_png(tmp_path):
    target = tmp_path / "relu.png"
    result = run("plot", "Normal(0, 1)", "Max(0, x)", "-o", str(target), "-n", "2000")
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and target.stat().st_size > 10_000


def test_plot_with_parameter_values_and_a_discrete_law(tmp_path):
    target = tmp_path / "lognormal.svg"
    result = run("plot", "Normal(mu, sigma)", "exp(x)", "-p", "mu=0", "-p", "sigma=0.5", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_text().lstrip().startswith("<?xml") and "samples of g(X)" in target.read_text()
    target = tmp_path / "poisson.png"
    result = run("plot", "Poisson(3)", "(x - 2)**2", "-o", str(target), "-n", "0")
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    result = run("plot", "Normal(mu, 1)", "x", "-o", str(tmp_path / "no.png"))
    assert result.exit_code == 2 and "give a value to mu" in result.output


@pytest.mark.parametrize("args, code, message", [
    (["derive", "Foo(1)", "x"], 2, "unknown distribution 'Foo'"),
    (["derive", "Normal(0, -1)", "x"], 2, "density 'Normal(0, -1)'"),
    (["derive", "__import__('os')", "x"], 2, "'__import__' are not allowed"),
    (["derive", "Normal(0, 1)", "x +* 2"], 2, "map 'x +* 2'"),
    (["derive", "Normal(0, 1)"], 2, "Missing argument 'MAP'"),
    (["derive", "Normal(0, 1)", "x", "--format", "xml"], 2, "Invalid value for '--format'"),
    (["derive", "Normal(mu, 1)", "sin(x)"], 1, "give numeric parameter values"),
    (["derive", "Normal(0, 1)", "x**x"], 1, "is undefined on"),
])
def test_errors_are_one_line_with_the_right_status(args, code, message):
    result = run(*args)
    assert result.exit_code == code
    assert message in result.output and "Traceback" not in result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: ") and message in last


def test_internal_errors_hide_the_traceback_unless_debug(monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(covar, "transform", boom, raising=False)
    result = run("derive", *SQRT_CHI2)
    assert result.exit_code == 1 and "internal error (RuntimeError: kaboom)" in result.output
    result = run("--debug", "derive", *SQRT_CHI2)
    assert isinstance(result.exception, RuntimeError)


# ---- the installed program -------------------------------------------------------------------
COVAR = shutil.which("covar")
installed = pytest.mark.skipif(COVAR is None, reason="the covar entry point is not installed (pip install -e .)")


def covar_cmd(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run([COVAR, *args], capture_output=True, text=True, timeout=timeout, env=env)


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["derive", "--help"], ["latex", "--help"],
                                  ["check", "--help"], ["plot", "--help"], ["families", "--help"]])
def test_help_does_not_import_sympy(args):
    code = (f"import sys\nfrom covar.cli.main import cli\n"
            f"try:\n    cli({args!r}, prog_name='covar')\nexcept SystemExit:\n    pass\n"
            "print([m for m in ('sympy', 'numpy', 'matplotlib', 'tqdm', 'covar.derive') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert out.strip().splitlines()[-1] == "[]"


def _without_matplotlib(*args: str) -> subprocess.CompletedProcess:
    """The CLI in a fresh interpreter where matplotlib cannot be imported (no covar[plot])."""
    code = ("import sys\nsys.modules['matplotlib'] = None\n"
            "from covar.cli.main import main\nsys.argv = ['covar', *sys.argv[1:]]\nmain()\n")
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)


def test_plot_without_the_extra_says_how_to_install_it(tmp_path):
    done = _without_matplotlib("plot", *SQRT_CHI2, "-o", str(tmp_path / "p.png"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        'Error: plotting needs matplotlib and pillow (matplotlib is not installed): pip install "covar[plot]"']
    assert not (tmp_path / "p.png").exists()


@pytest.mark.parametrize("args", [["derive", *SQRT_CHI2], ["latex", *SQRT_CHI2], ["families"],
                                  ["check", *SQRT_CHI2, "-n", "2000"]])
def test_other_commands_work_without_the_plot_extra(args):
    done = _without_matplotlib(*args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


@installed
def test_program_help_version_and_families():
    assert covar_cmd("--help").returncode == 0
    assert covar_cmd("--version").stdout.strip() == f"covar {covar.__version__}"
    assert "Gamma(alpha, beta)" in covar_cmd("families").stdout


@installed
def test_program_derive_latex_json():
    done = covar_cmd("derive", "Gamma(alpha, lam)", "log(x)")
    assert done.returncode == 0 and "family   ExpGamma(alpha, lam)" in done.stdout
    assert "Piece 1" in done.stdout
    assert r"\begin{align*}" in covar_cmd("latex", *SQRT_CHI2).stdout
    data = json.loads(covar_cmd("derive", "Normal(0, 1)", "Max(0, x)", "-f", "json").stdout)
    assert data["atoms"] == [["0", "1/2"]]


@installed
def test_program_check_and_plot(tmp_path):
    done = covar_cmd("check", "Normal(mu, sigma)", "x + c", "-p", "mu=-1.3", "-p", "sigma=0.7", "-p", "c=-4",
                     "-n", "20000")
    assert done.returncode == 0 and "verdict: PASS" in done.stdout
    assert done.stderr == ""  # the progress bar (stderr) stays silent off a terminal
    target = tmp_path / "plot.png"
    done = covar_cmd("plot", *SQRT_CHI2, "-o", str(target), "-n", "2000")
    assert done.returncode == 0 and target.stat().st_size > 10_000


@installed
@pytest.mark.parametrize("args, code", [
    (["derive", "Foo(1)", "x"], 2),                       # unknown family
    (["derive", "exp(-x)", "open('f')"], 2),              # unsafe text
    (["derive", "Normal(0, 1)", "tan(x)"], 1),            # unsupported map
    (["check", "Normal(mu, 1)", "x"], 2),                 # missing parameter value
    (["derive"], 2),                                      # usage error
])
def test_program_errors(args, code):
    done = covar_cmd(*args)
    assert done.returncode == code
    assert "Traceback" not in done.stderr and done.stderr.strip().splitlines()[-1].startswith("Error: ")
