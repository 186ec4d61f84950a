"""Every front end (text, LaTeX, JSON, Jupyter) on every kind of result.

The front ends are called the same way for every kind of result (no check of the kind here):
what the user reads must name the result, its support and its family, and show the steps.
"""
from __future__ import annotations

import json

import pytest

from covar.render.latex import derivation_latex
from covar.render.text import render
from record_cases import derived


#: One cheap case of each kind of result; test_record_roundtrip.py runs :func:`check_front_ends`
#: on every case of every table (each derived once there).
KINDS = ("problem/normal-shift", "pmf/binomial-abs", "problem/relu-normal", "problem/x-plus-sin-uniform",
         "composition/gamma-log-affine", "public/polar-normals", "public/sum-exponentials", "flow/coupling",
         "flow/stack")


def check_front_ends(law) -> None:
    """Text, LaTeX, JSON and the Jupyter mimebundle of any result, called the same way for all."""
    summary = law.summary()
    text = render(law)
    assert summary.label.text in text and "support" in text
    if summary.family:
        assert f"family   {summary.family}" in text
    tex = law.latex()
    assert r"\begin{document}" not in tex and summary.label.tex in tex
    assert law.latex(document=True).startswith(r"\documentclass")
    if law.derivation is not None:
        assert "Derivation" in text and r"\paragraph{Result.}" in tex
        assert len(law.derivation.display()) >= 2
    else:
        assert tex == derivation_latex(law)
    data = json.loads(law.to_json())
    assert data["law"] in ("density", "joint")
    bundle = law._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/latex", "text/html"}
    assert bundle["text/latex"] == law._repr_latex_() and bundle["text/latex"].startswith("$\\displaystyle ")
    assert summary.name in bundle["text/plain"]


@pytest.mark.parametrize("case_id", KINDS)
def test_every_front_end_renders_each_kind_of_result(case_id):
    law = derived(case_id)
    assert law is not None
    check_front_ends(law)


def test_input_laws_render_without_a_record():
    import covar

    X = covar.parse_density("Gamma(2, 3)")
    check_front_ends(X)
    J = covar.independent(covar.parse_density("Exponential(1)"), covar.parse_density("Exponential(2)"))
    check_front_ends(J)
    assert "has density" in J._repr_mimebundle_()["text/plain"]


def test_a_support_that_holds_everywhere_reads_as_the_whole_space():
    """A joint law on all of ℝ² says so in every front end, never 'where True'."""
    import covar
    from covar.render.notebook import html_display

    law = covar.transform("Normal(0, 1) * Normal(0, 1)", "x1 + x2, x1 - x2")
    text, tex = render(law), derivation_latex(law)
    assert "True" not in text and "True" not in tex
    assert "(y1, y2) ∈ ℝ²" in text and "where (x1, x2) ∈ ℝ²" in text
    assert r"\mathbb{R}^{2}" in tex
    assert "True" not in html_display(law)


def test_a_numeric_turning_point_reads_as_a_number():
    """GELU of a normal turns at a certified float: its image end is that float (not an erf of
    floats), shown to 10 digits, while the record keeps 30."""
    import sympy as sp

    import covar

    law = covar.transform("Normal(0, 1)", "x*(1 + erf(x/sqrt(2)))/2")
    assert not law.closed_form
    low = law.support.start
    assert isinstance(low, sp.Float) and abs(float(low) + 0.16997120747990366) <= 1e-15
    text, tex = render(law), derivation_latex(law)
    assert "support  [-0.1699712075, ∞)" in text
    assert "erf(-0." not in text and "0.75179152469356" not in text and "0.75179152469356" not in tex
    assert "g(x) = y has no closed-form solution for x on (-∞, -0.7517915247)" in text
