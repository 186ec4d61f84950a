"""LaTeX of derivations: structure, escaping, and real pdflatex runs on every public univariate case."""
from __future__ import annotations

import functools
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import sympy as sp

import covar
from covar.parsing import parse_expr, parse_set
from covar.latex import derivation_latex, escape_text, result_latex

UNIVARIATE = {"affine", "monotone", "many-to-one", "mixed-atom"}


@functools.lru_cache(maxsize=None)
def public_cases() -> tuple:
    """(case, X, Y) for every public univariate case, derived once per test session."""
    cases = json.loads((Path(__file__).parent / "data" / "public_cases.json").read_text())
    out = []
    for case in cases:
        if case["category"] not in UNIVARIATE:
            continue
        syms = {name: sp.Symbol(name, **{kind: True}) for name, kind in case["params"].items()}
        syms["x"] = sp.Symbol("x", real=True)
        X = covar.Density(parse_expr(case["x_pdf"], syms), syms["x"], parse_set(case["x_support"], syms))
        out.append((case, X, covar.transform(X, parse_expr(case["g"], syms))))
    return tuple(out)


def compile_latex(source: str, workdir: Path) -> str:
    """Run pdflatex on ``source``; fail the test on any LaTeX error. Returns the log."""
    tex = workdir / "doc.tex"
    tex.write_text(source, encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                         cwd=workdir, capture_output=True, text=True, timeout=120)
    log = (workdir / "doc.log").read_text(errors="replace") if (workdir / "doc.log").exists() else run.stdout
    errors = [line for line in log.splitlines() if line.startswith("!")]
    assert run.returncode == 0 and not errors, f"pdflatex failed: {errors or run.stdout[-2000:]}"
    assert (workdir / "doc.pdf").stat().st_size > 1000
    return log


needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")


@needs_pdflatex
@pytest.mark.parametrize("index", range(9))
def test_every_public_case_compiles(index, tmp_path):
    case, _, Y = public_cases()[index]
    source = Y.latex(document=True)
    assert source.startswith(r"\documentclass") and source.rstrip().endswith(r"\end{document}")
    compile_latex(source, tmp_path)


def test_there_are_nine_public_univariate_cases():
    assert [c["id"] for c, _, _ in public_cases()] == [
        "normal-shift", "normal-scale", "exp-normal", "log-gamma", "sqrt-chisq1",
        "tan-uniform-cauchy", "normal-square", "abs-normal", "relu-normal"]
