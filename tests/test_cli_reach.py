"""The command line's reach (issue 12): random vectors and marginals, flows, --cdf and --moments,
`covar families NAME`, exit codes, output paths, --force, shell completion, reproducible JSON,
pmf plots. Each through click's CliRunner and as a real subprocess (`python -m covar`)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner
from scipy import stats

from covar.cli.main import cli
from covar.render.serialize import from_json

ROOT = Path(__file__).resolve().parents[1]
POLAR = ["Normal(0,1) * Normal(0,1)", "sqrt(x1**2 + x2**2), atan2(x2, x1)", "--vars", "r,theta"]


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def program(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``python -m covar ARGS`` as a user runs it, with this tree first on the path."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "covar", *args], capture_output=True, text=True, env=env,
                          timeout=300, cwd=cwd)


def _values(expr: sp.Expr, var: sp.Symbol, points) -> np.ndarray:
    return np.array([float(expr.subs(var, p)) for p in points])


# ---- random vectors and marginals ----------------------------------------------------------
def test_marginal_of_a_vector_map_is_the_rayleigh_law_in_process():
    result = run("derive", *POLAR, "--marginal", "r", "-f", "json", "--no-steps")
    assert result.exit_code == 0, result.output
    R = from_json(result.output)
    assert R.var.name == "r" and str(R.family) == "Rayleigh(1)"
    rs = np.array([0.1, 0.7, 1.3, 2.9])
    assert np.allclose(_values(R.pdf, R.var, rs), stats.rayleigh.pdf(rs), rtol=1e-12, atol=0)
    # against samples of sqrt(Z1^2 + Z2^2) drawn with numpy
    z = np.random.default_rng(3).standard_normal((200_000, 2))
    samples = np.hypot(z[:, 0], z[:, 1])
    cdf = lambda t: 1 - np.exp(-np.asarray(t) ** 2 / 2)  # the integral of the printed pdf
    assert stats.kstest(samples, cdf).pvalue > 1e-3


def test_vector_map_as_a_subprocess_gives_the_joint_law_in_the_new_variables():
    done = program("derive", *POLAR, "-f", "json")
    assert done.returncode == 0, done.stderr
    J = json.loads(done.stdout)
    assert J["law"] == "joint" and J["vars"] == ["r", "theta"] and J["derivation"] is not None
    law = from_json(done.stdout)
    r, theta = law.vars
    for rv, tv in ((0.5, 0.3), (1.7, -2.0)):  # the polar density r exp(-r^2/2) / (2 pi)
        want = rv * np.exp(-rv * rv / 2) / (2 * np.pi)
        assert abs(float(law.pdf.subs({r: rv, theta: tv})) - want) <= 1e-12


@pytest.mark.parametrize("args, message", [
    ([*POLAR, "--marginal", "rho"], "not one of the new variables"),
    (["Normal(0,1) * Normal(0,1)", "x1 + x2, x1 - x2", "--vars", "a"], "one name per map component"),
    (["Normal(0, 1)", "x, 2*x"], "need a random vector"),
    (["Normal(0,1) * Normal(0,1)", "y1 + y2, y1 - y2"], "uses none of the vector's variables"),
    (["Normal(0,1) * Normal(0,1)", "x1 + x2, x1 - x2", "--cdf"], "add --marginal"),
])
def test_vector_usage_errors_exit_2(args, message):
    result = run("derive", *args)
    assert result.exit_code == 2 and message in result.output, result.output


# ---- flows ---------------------------------------------------------------------------------
def test_flow_coupling_density_matches_change_of_variables():
    """y1 = z1, y2 = z2 exp(z1/2) + z1 with z standard normal: f = phi(y1) phi(u) exp(-y1/2),
    u = (y2 - y1) exp(-y1/2), written here independently of covar."""
    result = run("flow", "--layer", "coupling 10 | s: z1/2 | t: z1", "-f", "json")
    assert result.exit_code == 0, result.output
    law = from_json(result.output)
    y1, y2 = law.vars
    for a, b in ((0.3, -0.4), (-1.2, 2.0), (2.0, 0.5)):
        u = (b - a) * np.exp(-a / 2)
        want = stats.norm.pdf(a) * stats.norm.pdf(u) * np.exp(-a / 2)
        assert abs(float(law.pdf.subs({y1: a, y2: b})) - want) <= 1e-12 * want


def test_flow_as_a_subprocess_with_a_base_and_a_stack():
    done = program("flow", "--base", "Exponential(1) * Normal(0, 1)", "--layer", "permute 1,0",
                   "--layer", "exp | mask: 10", "-f", "json", "--no-steps")
    assert done.returncode == 0, done.stderr
    law = from_json(done.stdout)
    y1, y2 = law.vars  # y1 = exp(z2) with z2 ~ N(0,1): lognormal; y2 = z1 ~ Exp(1)
    for a, b in ((0.5, 0.2), (2.0, 1.5)):
        want = stats.lognorm.pdf(a, 1) * stats.expon.pdf(b)
        assert abs(float(law.pdf.subs({y1: a, y2: b})) - want) <= 1e-12 * want
    assert json.loads(done.stdout)["derivation"] is None


def test_flow_realnvp_example_and_help():
    assert "coupling MASK" in run("flow", "--help").output
    result = run("flow", "--layer", "realnvp", "--no-steps")
    assert result.exit_code == 0 and "f(y1, y2, y3, y4)" in result.output
    bad = run("flow", "--layer", "coupling 12 | s: z1 | t: z1")
    assert bad.exit_code == 2 and "string of 0 and 1" in bad.output
    assert run("flow").exit_code == 2


# ---- --cdf and --moments -------------------------------------------------------------------
def test_cdf_and_moments_in_json_against_scipy():
    result = run("derive", "Exponential(1)", "2*x", "--cdf", "--moments", "-f", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["moments"] == {"mean": "2", "variance": "4"}
    y = sp.Symbol("y", real=True)
    F = sp.parse_expr(doc["cdf"], {"y": y, "Piecewise": sp.Piecewise})
    ys = np.array([-1.0, 0.3, 1.0, 5.0])
    assert np.allclose(_values(F, y, ys), stats.expon(scale=2).cdf(ys), rtol=1e-12, atol=1e-15)


def test_cdf_and_moments_as_text_in_a_subprocess():
    done = program("derive", "Normal(0, 1)", "x**2", "--cdf", "--moments", "--no-steps")
    assert done.returncode == 0, done.stderr
    assert "F_Y(y) =" in done.stdout and "erf" in done.stdout
    assert "E[Y] = 1" in done.stdout and "Var[Y] = 2" in done.stdout


def test_moments_of_a_marginal():
    result = run("derive", *POLAR, "--marginal", "r", "--moments", "--no-steps")
    assert result.exit_code == 0, result.output
    assert "E[Y] =" in result.output and "π" in result.output


# ---- covar families NAME -------------------------------------------------------------------
def test_family_sheet_shows_pdf_support_parameters_and_scipy():
    out = run("families", "Gamma").output
    assert "Gamma(alpha, beta)" in out and "support    Interval(0, oo)" in out
    assert "alpha    > 0" in out and "scipy.stats.gamma(2, scale=0.333333)" in out
    # the scipy equivalent printed is right: its pdf equals the family's at the example values
    assert abs(stats.gamma(2, scale=1 / 3).pdf(0.7) - 9 * 0.7 * np.exp(-2.1)) <= 1e-12
    done = program("families", "binomial")
    assert done.returncode == 0 and "scipy.stats.binom(2, 0.25)" in done.stdout
    assert "a probability in (0, 1]" in done.stdout


def test_family_sheet_suggests_a_spelling():
    result = run("families", "Normall")
    assert result.exit_code == 2 and "did you mean Normal?" in result.output


# ---- exit codes, output paths, --force, completion -----------------------------------------
def test_map_in_the_wrong_variable_is_a_usage_error():
    result = run("derive", "Normal(0, 1)", "y**2")
    assert result.exit_code == 2 and "write the map in x" in result.output
    done = program("derive", "Normal(0, 1)", "t**2")
    assert done.returncode == 2 and "write the map in x" in done.stderr
    assert run("derive", "Normal(0, 1)", "x**2 + pi", "--no-steps").exit_code == 0  # constants are fine
    for wrong in ("2y", "exp(2.5y) + 1e3"):  # a name glued to a number is still that name
        result = run("derive", "Normal(0, 1)", wrong)
        assert result.exit_code == 2 and "is in y, not in the density's variable x" in result.output
    assert run("derive", "Normal(0, 1)", "2x + 1e-3", "--no-steps").exit_code == 0


def test_output_paths_are_checked_before_deriving(tmp_path):
    # a map that would take the whole budget is never derived: the path is refused first
    slow = ["Normal(0, 1)", "x**7 + x**5 + x**3 + x + sin(x)", "--timeout", "300"]
    result = run("latex", *slow, "-o", str(tmp_path / "missing" / "a.tex"))
    assert result.exit_code == 2 and "does not exist" in result.output
    existing = tmp_path / "a.tex"
    existing.write_text("keep me")
    result = run("latex", *slow, "-o", str(existing))
    assert result.exit_code == 2 and "--force" in result.output and existing.read_text() == "keep me"


def test_force_overwrites_and_plot_refuses_an_existing_image(tmp_path):
    target = tmp_path / "sq.tex"
    target.write_text("old")
    assert run("latex", "Normal(0, 1)", "x**2", "-o", str(target), "--force").exit_code == 0
    assert "\\begin" in target.read_text()
    image = tmp_path / "covar.png"
    image.write_bytes(b"old")
    done = program("plot", "Exponential(1)", "2*x", "-o", str(image))
    assert done.returncode == 2 and "--force" in done.stderr and image.read_bytes() == b"old"


def test_shell_completion_is_documented_and_works():
    assert "_COVAR_COMPLETE=bash_source" in run("--help").output
    env = {**os.environ, "PYTHONPATH": str(ROOT), "_COVAR_COMPLETE": "bash_source"}
    done = subprocess.run([sys.executable, "-c", "from covar.cli.main import cli; cli(prog_name='covar')"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert "_covar_completion" in done.stdout


# ---- reproducible JSON ---------------------------------------------------------------------
def test_json_is_reproducible_timings_on_request_and_steps_honoured():
    first = program("derive", "Normal(0, 1)", "Max(0, x)", "-f", "json")
    second = run("derive", "Normal(0, 1)", "Max(0, x)", "-f", "json")
    assert first.returncode == 0 and first.stdout == second.output  # byte for byte
    assert json.loads(second.output)["derivation"]["timings"] == {}
    timed = json.loads(run("derive", "Normal(0, 1)", "Max(0, x)", "-f", "json", "--timings").output)
    assert set(timed["derivation"]["timings"]) >= {"pieces", "inverses"}
    bare = run("derive", "Normal(0, 1)", "exp(x)", "-f", "json", "--no-steps").output
    assert json.loads(bare)["derivation"] is None
    Y = from_json(bare)  # still a complete law
    ys = np.array([0.2, 1.0, 3.0])
    assert np.allclose(_values(Y.pdf, Y.var, ys), stats.lognorm(1).pdf(ys), rtol=1e-12, atol=0)
    # a mixed law keeps its record: read back, the gate samples it through its derivation
    mixed = run("derive", "Normal(0, 1)", "Max(0, x)", "-f", "json", "--no-steps").output
    assert from_json(mixed).atoms == {0: sp.Rational(1, 2)}


# ---- plots of a pmf ------------------------------------------------------------------------
def test_pmf_plot_draws_stems_and_titles_the_parameter_values(tmp_path):
    pytest.importorskip("matplotlib")
    from covar.render.plot import plot_transform
    import covar

    X = covar.parse_density("Poisson(lam)")
    Y = covar.transform(X, "2*x")
    fig = plot_transform(X, None, results=[Y], values={"lam": 3.0})
    assert fig._suptitle is not None and "lam = 3" in fig._suptitle.get_text()
    out_ax = fig.axes[2]
    assert "P(Y = y)" in out_ax.get_title()
    stems = [c for c in out_ax.collections if c.get_segments()]
    heights = {round(float(seg[0][0]), 6): float(seg[1][1]) for c in stems for seg in c.get_segments()}
    for k in range(6):  # stem at y = 2k with height P(X = k)
        assert abs(heights[2.0 * k] - stats.poisson(3).pmf(k)) <= 1e-9
    done = program("plot", "Poisson(lam)", "2*x", "-p", "lam=3", "-o", str(tmp_path / "p.png"), "-n", "0")
    assert done.returncode == 0, done.stderr and (tmp_path / "p.png").stat().st_size > 0
