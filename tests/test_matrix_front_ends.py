"""Matrix results in every front end: JSON round trip, LaTeX (pdflatex, no overfull boxes), Jupyter, text.

Every map kind (sqrtm, a uniformly random square root, inv, congruence, chol) for p = 2 with
numeric and symbolic parameters, and p = 3 for the square root and the congruence. A document
read back is checked by what the user reads: the symbolic pdf (sympy, at points) and the
compiled evaluator against the original's, the record's branches, family and Jacobian; a
tampered document must be refused.
"""
from __future__ import annotations

import functools
import json

import numpy as np
import pytest
import sympy as sp

import covar
from covar.errors import ParseError
from covar.record import note_words
from covar.matrix.variates import MatrixDensity, free_entries
from covar.numeric.verify import VerificationFailed, close_each
from covar.render.text import render
from test_latex import compile_latex, needs_pdflatex

N = sp.Symbol("n", positive=True)
SIGMA = {2: [[2, 1], [1, 3]], 3: [[2, 0, 1], [0, 1, 0], [1, 0, 2]]}
A_NUM = {2: [[1, 2], [0, 1]], 3: [[1, 0, 1], [0, 2, 0], [1, 0, 3]]}
MAPS = {"sqrtm": "sqrtm", "random": "symmetric sqrt uniformly at random", "inv": "inv",
        "congruence": "A * X * A.T", "chol": "chol"}
CASES = [(m, 2, s) for m in MAPS for s in (False, True)] + [("sqrtm", 3, False), ("congruence", 3, True)]


@functools.lru_cache(maxsize=None)
def derived(name: str, p: int, symbolic: bool) -> tuple[MatrixDensity, dict]:
    """(Y = g(W), numpy() keywords of its parameters)."""
    W = (covar.matrix.Wishart(N, sp.MatrixSymbol("Sigma", p, p)) if symbolic
         else covar.matrix.Wishart(sp.Rational(2 * p + 3, 2), SIGMA[p]))
    kw = {"n": p + 1.5, "Sigma": np.array(SIGMA[p], dtype=float)} if symbolic else {}
    extra = {}
    if name == "congruence":
        extra = {"A": sp.MatrixSymbol("A", p, p) if symbolic else A_NUM[p]}
        if symbolic:
            kw["A"] = np.array(A_NUM[p], dtype=float)
    return covar.transform(W, MAPS[name], **extra), kw


def _points(Y: MatrixDensity, kw: dict, k: int = 5) -> np.ndarray:
    """k matrices in Y's support: Y's own draws at the parameters ``kw``."""
    values = {s: sp.Float(v) for s in Y.params for v in [_value(s, kw)]}
    return Y.sample(k, np.random.default_rng(3), values)


def _value(symbol: sp.Symbol, kw: dict) -> float:
    """A scalar parameter's value from the keywords (matrix parameters by entry: Sigma12 -> Sigma[0, 1])."""
    if symbol.name in kw:
        return float(kw[symbol.name])
    name, i, j = symbol.name[:-2], int(symbol.name[-2]) - 1, int(symbol.name[-1]) - 1
    return float(kw[name][i, j])


def _symbolic_values(Y: MatrixDensity, kw: dict, M: np.ndarray) -> float:
    """The entry-form pdf the user reads, evaluated by sympy at the matrix M."""
    at = dict(zip(Y.entries, free_entries(M, lower=Y.lower).tolist()))
    at.update({s: _value(s, kw) for s in Y.params})
    return complex(sp.N(Y.pdf.xreplace(at), 20)).real


def _case_id(case: tuple) -> str:
    return f"{case[0]}-p{case[1]}-{'symbolic' if case[2] else 'numeric'}"


# ---- JSON ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, p, symbolic", CASES, ids=[_case_id(c) for c in CASES])
def test_json_round_trip_of_every_matrix_map(name, p, symbolic):
    Y, kw = derived(name, p, symbolic)
    text = Y.to_json()
    data = json.loads(text)
    assert data["law"] == "matrix" and data["derivation"]["kind"] == "matrix-map"
    assert data["derivation"]["map"] == {"random": "random sqrt"}.get(name, name)
    assert data["matrices"]["X"] == [p, p] and data["derivation"]["input"]["law"] == "matrix"
    Z = covar.from_json(text)
    assert isinstance(Z, MatrixDensity) and Z.derivation is not None
    assert str(Z.family) == str(Y.family) and Z.lower == Y.lower and Z.p == p
    assert [b.signs for b in Z.derivation.branches] == [b.signs for b in Y.derivation.branches]
    assert [b.in_image for b in Z.derivation.branches] == [b.in_image for b in Y.derivation.branches]
    assert Z.derivation.jacobian.rule == Y.derivation.jacobian.rule
    # the gate ran again on reading, and its note is not doubled
    assert sum(note_words(note).startswith("verified numerically") for note in Z.derivation.notes) == 1
    M = _points(Y, kw)
    mine, theirs = Y.numpy()(M, **kw), Z.numpy()(M, **kw)
    assert np.all(mine > 0) and np.all(close_each(theirs, mine, rtol=1e-10))
    for Mk, fk in zip(M[:2], mine[:2]):  # the formula read back, evaluated by sympy
        assert close_each(_symbolic_values(Z, kw, Mk), fk, rtol=1e-9)
    at = {**dict(zip(Y.entries, free_entries(M[0], lower=Y.lower).tolist())), **{s: _value(s, kw) for s in Y.params}}
    jac = [complex(sp.N(law.derivation.jacobian_explicit.xreplace(at), 20)) for law in (Y, Z)]
    assert close_each(jac[1], jac[0], rtol=1e-12)
    # the read-back law samples through the rebuilt map like the original
    assert Z.sample(3, np.random.default_rng(1), {s: _value(s, kw) for s in Z.params}).shape == (3, p, p)


def test_a_tampered_matrix_document_is_refused():
    Y, _ = derived("sqrtm", 2, False)
    data = json.loads(Y.to_json())
    doubled = dict(data, pdf="2*(" + data["pdf"] + ")")
    with pytest.raises(VerificationFailed, match="pushforward identity"):
        covar.from_json(json.dumps(doubled))
    wrong_input = json.loads(Y.to_json())
    wrong_input["derivation"]["input"]["pdf"] = "3*(" + wrong_input["derivation"]["input"]["pdf"] + ")"
    with pytest.raises(ParseError, match="not the Wishart"):
        covar.from_json(json.dumps(wrong_input))
    bad_shape = dict(data, matrices={"X": [2, 7], "Y": [2, 2]})
    with pytest.raises(ParseError, match="shape"):
        covar.from_json(json.dumps(bad_shape))
    hostile = dict(data, pdf="__import__('os')")
    with pytest.raises(ParseError):
        covar.from_json(json.dumps(hostile))


def test_an_input_wishart_round_trips():
    W = covar.matrix.Wishart(N, sp.MatrixSymbol("Sigma", 3, 3))
    Z = covar.from_json(W.to_json())
    assert Z.derivation is None and str(Z.family) == "Wishart(n, Sigma)" and Z.pdf_matrix == W.pdf_matrix


# ---- LaTeX --------------------------------------------------------------------------------------

@needs_pdflatex
@pytest.mark.parametrize("name, p, symbolic", [("sqrtm", 2, True), ("random", 2, False), ("chol", 2, True),
                                               ("inv", 2, False), ("congruence", 3, True)])
def test_latex_document_compiles_without_overfull_boxes(name, p, symbolic, tmp_path):
    Y, _ = derived(name, p, symbolic)
    source = Y.latex(document=True)
    y = Y.symbol.name
    assert rf"\section*{{The law of {y} = " in source
    assert rf"\left|\partial X/\partial {y}\right|" in source and "[U+" not in source
    log = compile_latex(source, tmp_path)
    assert "Overfull" not in log, [line for line in log.splitlines() if "Overfull" in line]


def test_latex_shows_the_sign_branches_and_the_result():
    Y, _ = derived("sqrtm", 2, False)
    tex = Y.latex()
    assert tex.count("not in the image of this map, contributes 0") == 3
    assert r"\paragraph{Result.}" in tex and r"f_{Y}(Y) &=" in tex
    assert "positive definite" in tex


# ---- Jupyter and text ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["inv", "random"])
def test_mimebundle_and_repr_latex(name):
    Y, _ = derived(name, 2, True)
    bundle = Y._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/latex", "text/html"}
    assert bundle["text/latex"] == Y._repr_latex_()
    assert bundle["text/latex"].startswith(r"$\displaystyle f_{Y}(Y) = ")
    assert bundle["text/plain"].startswith("Y = ") and "<math" in bundle["text/html"]
    if name == "inv":
        assert r"\text{InverseWishart(n, Sigma\^{}-1)}" in bundle["text/latex"]
        assert "family   InverseWishart(n, Sigma^-1)" in bundle["text/plain"]
    else:
        assert "family   not recognised" in bundle["text/plain"]


def test_text_output_of_a_square_root():
    Y, _ = derived("sqrtm", 2, True)
    text = render(Y)
    assert text.splitlines()[0] == "Y = sqrtm(X), X ~ Wishart(n, Sigma)"
    assert "Derivation" in text and "support" in text
    for signs in ("(+, +)", "(+, −)", "(−, +)", "(−, −)"):
        assert f"signs {signs}" in text
    assert "the other 3 branches lie outside its image and contribute nothing" in text
    assert text.count("not in the image of this map, contributes 0") == 3
    assert render(Y, steps=False) in Y._repr_mimebundle_()["text/plain"]


def test_text_of_an_input_law():
    W = covar.matrix.Wishart(4, [[1, 0], [0, 1]])
    assert render(W).startswith("X ~ Wishart(4, ")
    assert "family   Wishart(4, " in render(W)


# ---- the review of covar/matrix against issue 14 ------------------------------------------------

@pytest.mark.parametrize("symbolic", [False, True])
def test_cholesky_of_a_general_wishart_is_labelled_bartlett_with_its_scale(symbolic):
    from scipy import stats

    L, kw = derived("chol", 2, symbolic)
    assert L.family.name == "Bartlett" and len(L.family.args) == 2
    assert str(L.family) == ("Bartlett(n, Sigma)" if symbolic else "Bartlett(7/2, [[2, 1], [1, 3]])")
    assert any("L = C B with C the Cholesky factor" in note_words(note) for note in L.derivation.notes)
    # the labelled law is the Bartlett decomposition: L = C B with B's entries independent
    df, S = (kw["n"], kw["Sigma"]) if symbolic else (3.5, np.array(SIGMA[2], dtype=float))
    C = np.linalg.cholesky(S)
    B = np.array([[1.3, 0.0], [-0.4, 0.9]])
    f_B = stats.chi(df).pdf(B[0, 0]) * stats.chi(df - 1).pdf(B[1, 1]) * stats.norm.pdf(B[1, 0])
    assert close_each(L.numpy()(C @ B, **kw), f_B / (C[0, 0] * C[1, 1] ** 2), rtol=1e-9)


def test_the_square_root_density_uses_det_y_on_the_cone_and_eigenvalues_are_pointed_to():
    R, _ = derived("sqrtm", 2, True)
    assert sp.Determinant(R.symbol) ** (N - 2) in R.pdf_matrix.atoms(sp.Pow)
    with pytest.raises(covar.UnsupportedTransform, match="eigenvalue_density"):
        covar.transform(covar.matrix.Wishart(4, np.eye(2)), "eigenvalues")
