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
from covar.text.expressions import parse_expr
from covar.text.sets import parse_set
from covar.render.latex import derivation_latex, escape_text, result_latex

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


def _normal() -> covar.Density:
    return covar.parse_density("Normal(0, 1)")


def test_branch_sum_is_written_out_for_a_two_to_one_map():
    tex = derivation_latex(covar.transform(_normal(), "x**2"))
    # both branches, their inverses and Jacobians, and the sum of the two contributions
    assert r"x = h_{1}(y) &= - \sqrt{y}" in tex and r"x = h_{2}(y) &= \sqrt{y}" in tex
    assert r"\left|h_{1}'(y)\right| &= \frac{1}{2 \sqrt{y}}" in tex
    assert r"f_{X}(h_{1}(y))\left|h_{1}'(y)\right| + f_{X}(h_{2}(y))\left|h_{2}'(y)\right|" in tex
    assert r"\begin{cases}" in tex and r"\text{ChiSquared(1)}" in tex


def test_atoms_and_constant_piece_are_shown():
    tex = derivation_latex(covar.transform(_normal(), "Max(0, x)"))
    assert r"P(Y = 0) = \frac{1}{2}" in tex
    assert "becomes an atom at $y = 0$" in tex


def test_result_latex_and_notebook_repr():
    Y = covar.transform(covar.parse_density("ChiSquared(1)"), "sqrt(x)")
    assert result_latex(Y).startswith(r"f_{Y}(y) = \begin{cases}")
    assert r"(\text{HalfNormal(1)})" in result_latex(Y)
    assert Y._repr_latex_() == "$\\displaystyle " + result_latex(Y) + "$"


def test_escape_text_neutralises_special_characters():
    assert escape_text("a_b & 50% #1 {x} $y$ ~ ^ \\") == (
        r"a\_b \& 50\% \#1 \{x\} \$y\$ \~{} \^{} $\backslash$")
    assert escape_text("x ≤ ∞ ✓") == r"x $\le$ $\infty$ [U+2713]"


@needs_pdflatex
def test_numeric_only_composition_and_discrete_results_compile(tmp_path):
    numeric = covar.transform(covar.parse_density("Exponential(1)"), "x**5 + x")
    assert not numeric.closed_form
    assert "no closed-form solution" in derivation_latex(numeric)
    composed = covar.transform(covar.transform(_normal(), "exp(x)"), "2*y")
    assert r"\subsection*{Map 2 of 2: $Z = 2 Y$}" in derivation_latex(composed)
    pmf = covar.transform(covar.parse_density("Binomial(3, 1/2)"), "Abs(x - 1)")
    assert pmf.discrete and "p_{Y}(y)" in derivation_latex(pmf)
    body = "\n".join(d.latex() for d in (numeric, composed, pmf))
    compile_latex(r"\documentclass{article}\usepackage{amsmath,amssymb}\begin{document}"
                  + body + r"\end{document}", tmp_path)
