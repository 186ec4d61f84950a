"""Notes are structured (prose strings and sympy objects) and every front end typesets them:
pretty unicode in the terminal, LaTeX in documents, MathML in notebooks, and JSON keeps them."""
from __future__ import annotations

import pytest
import sympy as sp

import covar
from covar.record import Label
from covar.render.notebook import mimebundle
from covar.render.serialize import from_json
from covar.render.text import render

_CASES = [("Normal(0, 1)", "x**2"), ("Uniform(-1, 2)", "x**2"), ("Exponential(1)", "sqrt(x)")]
_ARTIFACTS = ("oo)", " U ", "piece(s)", "sqrt(", "**", "Interval(")


@pytest.fixture(scope="module", params=_CASES, ids=lambda c: f"{c[0]}->{c[1]}")
def law(request: pytest.FixtureRequest) -> covar.Density:
    return covar.transform(covar.parse_density(request.param[0]), request.param[1])


def test_notes_are_phrases_of_words_and_math(law: covar.Density) -> None:
    notes = law.derivation.notes
    assert notes
    for note in notes:
        assert isinstance(note, tuple) and note
        assert all(isinstance(p, (str, sp.Basic, Label)) for p in note), note
        words = "".join(p for p in note if isinstance(p, str)).rstrip()
        assert words.endswith((".", ")")) or not isinstance(note[-1], str), note
    assert any(isinstance(p, sp.Basic) for note in notes for p in note)


def test_terminal_text_has_no_sympy_syntax(law: covar.Density) -> None:
    text = render(law)
    notes = text[text.index("Notes:"):]
    for artifact in _ARTIFACTS:
        assert artifact not in notes, (artifact, notes)
    assert "∞" in notes


def test_latex_notes_are_typeset() -> None:
    Y = covar.transform(covar.parse_density("Uniform(-1, 2)"), "x**2")
    tex = Y.latex()
    notes = tex[tex.index(r"\begin{itemize}"):tex.index(r"\end{itemize}")]
    assert r"\sqrt" in notes and r"\infty" in notes and r"\cup" in notes
    assert "sqrt(" not in notes and "oo)" not in notes and "-oo" not in notes


def test_notes_survive_json() -> None:
    Y = covar.transform(covar.parse_density("Uniform(-1, 2)"), "x**2")
    back = from_json(Y.to_json())
    assert back.derivation.notes[:-1] == Y.derivation.notes[:-1]  # the gate rewrites its own note


def test_notebook_html_is_mathml() -> None:
    Y = covar.transform(covar.parse_density("Exponential(1)"), "2*x")
    bundle = mimebundle(Y)
    assert "<math" in bundle["text/html"] and "Exponential" in bundle["text/html"]
    assert bundle["text/latex"].startswith("$")
