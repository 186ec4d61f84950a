"""`covar batch`: the problem table derived serially, in 2 worker processes and on a Dask LocalCluster,
line for line the same; resuming, statuses, YAML input, and the result lines checked numerically."""
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

from covar.cli.batch import read_problems, run_batch
from covar.cli.main import cli
from covar.render.serialize import from_dict
from problems import PROBLEMS
import reference

ROOT = Path(__file__).resolve().parents[1]
X = sp.Symbol("x", real=True)
# the table's problems that derive in well under a second each (the cubics and x + sin x take longer)
_SLOW = {"normal-shift", "cubic-branch-cut", "cubic-wiggle", "cubic-normal-three-roots", "x-plus-sin-uniform",
         "x-plus-sin", "quintic", "lambertw-normal"}
TABLE = [P for P in PROBLEMS if P.id not in _SLOW and not P.law.discrete and isinstance(P.law.support, sp.Interval)][:24]


def _interval_text(S: sp.Interval) -> str:
    lo = "(" if S.left_open or S.start == -sp.oo else "["
    hi = ")" if S.right_open or S.end == sp.oo else "]"
    return f"{lo}{sp.sstr(S.start)}, {sp.sstr(S.end)}{hi}"


def batch_line(P) -> dict:
    """A problem of the table as a batch line: its pdf and map as text, positive symbols assumed."""
    symbols = (P.law.pdf.free_symbols | P.g.free_symbols) - {X}
    return {"id": P.id, "density": sp.sstr(P.law.pdf), "support": _interval_text(P.law.support),
            "map": sp.sstr(P.g), "assume": [f"{s.name}>0" for s in sorted(symbols, key=str) if s.is_positive]}


@pytest.fixture(scope="module")
def problem_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("batch") / "problems.jsonl"
    path.write_text("".join(json.dumps(batch_line(P)) + "\n" for P in TABLE))
    return path


def _serial(problem_file: Path, out: Path) -> list[dict]:
    counts = run_batch(read_problems(str(problem_file), 60.0), str(out), jobs=1)
    assert counts["ok"] == len(read_problems(str(problem_file), 60.0))
    return _lines(out)


@pytest.fixture
def small_file(problem_file, tmp_path) -> Path:
    """The first six problems of the table."""
    small = tmp_path / "small.jsonl"
    small.write_text("".join(problem_file.read_text().splitlines(keepends=True)[:6]))
    return small


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_table_is_large_enough():
    assert len(TABLE) >= 20


def test_serial_two_jobs_and_dask_give_identical_correct_lines(problem_file, tmp_path):
    """The table (20+ problems) serially, at --jobs 2 and on a Dask LocalCluster: the same lines.
    Every third line, read back from its JSON: its symbolic pdf integrates to 1 and equals the
    independent reference (preimages of the table's numpy map, f_X lambdified) at points spread
    over samples of g(X) drawn with numpy."""
    serial = _serial(problem_file, tmp_path / "serial.jsonl")
    assert len(serial) == len(TABLE) >= 20
    two = tmp_path / "two.jsonl"
    result = CliRunner().invoke(cli, ["batch", str(problem_file), "-o", str(two), "--jobs", "2", "--timeout", "60"])
    assert result.exit_code == 0, result.output
    assert _lines(two) == serial  # same lines, same order, no timings anywhere
    distributed = pytest.importorskip("distributed")
    on_dask = tmp_path / "dask.jsonl"
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        result = CliRunner().invoke(cli, ["batch", str(problem_file), "-o", str(on_dask),
                                          "--scheduler", cluster.scheduler_address, "--timeout", "60"])
    assert result.exit_code == 0, result.output
    assert _lines(on_dask) == serial
    by_id = {P.id: P for P in TABLE}
    for line in serial[::3]:
        assert line["status"] == "ok" and line["message"] is None
        Y = from_dict(line["result"])
        P = by_id[line["id"]]
        fx, x_range = reference.interval_law(P.law.pdf, X, P.law.support, P.values)
        ys = P.g_np(P.law.draw(np.random.default_rng(1), 20_000, **P.values), **P.values)
        ref = lambda t, P=P, fx=fx, x_range=x_range: reference.reference_pdf(
            fx, lambda u: P.g_np(u, **P.values), t, x_range)
        reference.check_univariate(Y, P.values, reference.probe_points(ys, 5), ref)


def test_resume_skips_lines_already_written(small_file, tmp_path):
    serial = _serial(small_file, tmp_path / "serial.jsonl")
    out = tmp_path / "resume.jsonl"
    # an interrupted run: four complete lines and a torn fifth
    out.write_text("".join(json.dumps(d, sort_keys=True) + "\n" for d in serial[:4]) + '{"id": "tor')
    counts = run_batch(read_problems(str(small_file), 60.0), str(out), jobs=1)
    assert counts["skipped"] == 4 and counts["ok"] == 2
    lines = [json.loads(t) for t in out.read_text().splitlines() if t.startswith('{"id"') and t.endswith("}")]
    assert lines == serial
    again = CliRunner().invoke(cli, ["batch", str(small_file), "-o", str(out)])
    assert again.exit_code == 0 and "6 skipped" in again.output


def test_statuses_refused_timeout_error_and_yaml(tmp_path):
    pytest.importorskip("yaml")
    problems = tmp_path / "mixed.yaml"
    problems.write_text(
        "- {id: ok, density: 'Exponential(1)', map: '2*x'}\n"
        "- {id: wrong-variable, density: 'Normal(0, 1)', map: 'y**2'}\n"
        "- {id: slow, density: 'Normal(0, 1)', map: 'x**5 + x**3 + x', timeout: 0.1}\n"
        "- {id: malformed, density: 'Normal(0, 1)'}\n"
        "- {id: polar, density: 'Normal(0, 1) * Normal(0, 1)', map: 'sqrt(x1**2 + x2**2), atan2(x2, x1)',"
        " vars: [r, theta], marginal: r}\n")
    out = tmp_path / "mixed.jsonl"
    result = CliRunner().invoke(cli, ["batch", str(problems), "-o", str(out)])
    assert result.exit_code == 1  # some problems did not end ok
    status = {d["id"]: d for d in _lines(out)}
    assert status["ok"]["status"] == "ok" and status["ok"]["result"]["family"] == {"name": "ChiSquared", "args": ["2"]}
    assert status["wrong-variable"]["status"] == "refused" and "variable x" in status["wrong-variable"]["message"]
    assert status["slow"]["status"] == "timeout" and status["slow"]["result"] is None
    assert status["malformed"]["status"] == "error" and "map" in status["malformed"]["message"]
    rayleigh = from_dict(status["polar"]["result"])
    r = rayleigh.var
    for v in (0.3, 1.0, 2.5):
        assert abs(float(rayleigh.pdf.subs(r, v)) - v * np.exp(-v * v / 2)) <= 1e-12


def test_batch_as_a_subprocess_with_existing_output(problem_file, tmp_path):
    out = tmp_path / "sub.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    small = tmp_path / "small.jsonl"
    small.write_text("".join(problem_file.read_text().splitlines(keepends=True)[:3]))
    serial = _serial(small, tmp_path / "serial.jsonl")
    run = subprocess.run([sys.executable, "-m", "covar", "batch", str(small), "-o", str(out), "-j", "2"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "3 ok" in run.stderr
    assert _lines(out) == serial[:3]
    fresh = subprocess.run([sys.executable, "-m", "covar", "batch", str(small), "-o", str(out), "--force"],
                           capture_output=True, text=True, env=env, timeout=300)
    assert fresh.returncode == 0 and "3 ok" in fresh.stderr and _lines(out) == serial[:3]


def test_bad_problem_files_are_usage_errors(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "density": "Exponential(1)", "map": "x"}\nnot json\n')
    result = CliRunner().invoke(cli, ["batch", str(bad), "-o", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2 and "line 2 is not JSON" in result.output
    twice = tmp_path / "twice.jsonl"
    twice.write_text('{"id": "a", "density": "Exponential(1)", "map": "x"}\n' * 2)
    result = CliRunner().invoke(cli, ["batch", str(twice), "-o", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2 and "used twice" in result.output
    result = CliRunner().invoke(cli, ["batch", str(twice), "-o", str(tmp_path / "missing" / "o.jsonl")])
    assert result.exit_code == 2 and "does not exist" in result.output
