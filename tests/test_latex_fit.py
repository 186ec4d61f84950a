"""The LaTeX handout fits the page: every public case (and the record cases of other kinds)
compiles with pdflatex without an overfull box, and long sums break across lines."""
from __future__ import annotations

import re
import shutil

import pytest
import sympy as sp

import covar
from covar.render.latex import derivation_latex
from record_cases import CASES, derived
from test_latex import compile_latex

_SHOWN = [k for k in CASES if k.startswith(("public/", "composition/", "marginal/", "flow/", "pmf/"))]
needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")


def _overfull(log: str) -> list[str]:
    return re.findall(r"Overfull \\hbox \([^)]*\) in [^\n]*", log)


@needs_pdflatex
@pytest.mark.parametrize("case_id", _SHOWN)
def test_no_overfull_box(case_id: str, tmp_path) -> None:
    law = derived(case_id)
    if law is None:
        pytest.skip("covar declines this case (the soundness tests check that)")
    log = compile_latex(derivation_latex(law, document=True), tmp_path)
    assert not _overfull(log), _overfull(log)


def test_long_sum_breaks_term_by_term() -> None:
    Y = covar.transform("Normal(mu, sigma)", "x**2", assume="sigma > 0")
    tex = derivation_latex(Y)
    assert r"&\quad +" in tex or r"&\quad -" in tex
    for row in tex.split(r"\\"):
        # no display row is longer than two split lines of source
        assert len(row) < 1200, row[:200]


@needs_pdflatex
def test_long_notes_and_titles_fit(tmp_path) -> None:
    """Inline math in titles and notes may break: a long tuple in a title does not overflow."""
    K = derived("public/box-muller")
    if K is None:
        pytest.skip("covar declines this case")
    tex = derivation_latex(K, document=True)
    assert r",\allowbreak" in tex
    assert not _overfull(compile_latex(tex, tmp_path))


def test_notes_are_typeset_in_latex() -> None:
    Y = covar.transform(covar.parse_density("ChiSquared(1)"), "sqrt(x)")
    tex = derivation_latex(Y)
    notes = tex[tex.index(r"\begin{itemize}"):]
    assert r"\infty" in notes and "y^{2}" in notes and "oo" not in notes.replace("root", "")
    assert r"$(0, \infty)$" in notes
