"""The univariate public cases: exact pdf, support, atoms and family, checked numerically."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
import sympy.stats as st

from covar.render.text import phrase
import covar
from covar.numeric.checks import check
from covar.text.expressions import parse_expr
from covar.text.sets import parse_set

import reference

CASES = [c for c in json.loads((Path(__file__).parent / "data" / "public_cases.json").read_text())
         if c["category"] in {"affine", "monotone", "many-to-one", "mixed-atom"}]

# expected family labels (the JSON's "named" field is prose for some cases)
FAMILY = {
    "normal-shift": "Normal(c + mu, sigma)",
    "normal-scale": "Normal(c*mu, c*sigma)",
    "exp-normal": "LogNormal(mu, sigma)",
    "log-gamma": "ExpGamma(alpha, lam)",
    "sqrt-chisq1": "HalfNormal(1)",
    "tan-uniform-cauchy": "Cauchy(0, 1)",
    "normal-square": "ChiSquared(1)",
    "abs-normal": "HalfNormal(sigma)",
    "relu-normal": None,
}


def _symbols(case):
    syms = {name: sp.Symbol(name, **{kind: True}) for name, kind in case["params"].items()}
    syms["x"] = sp.Symbol("x", real=True)
    syms["y"] = sp.Symbol("y", real=True)
    return syms


def _stats_rv(case, syms):
    return {
        "normal-shift": lambda: st.Normal("X", syms.get("mu"), syms.get("sigma")),
        "normal-scale": lambda: st.Normal("X", syms.get("mu"), syms.get("sigma")),
        "exp-normal": lambda: st.Normal("X", syms.get("mu"), syms.get("sigma")),
        "log-gamma": lambda: st.Gamma("X", syms.get("alpha"), 1 / syms["lam"]) if "lam" in syms else None,
        "sqrt-chisq1": lambda: st.ChiSquared("X", 1),
        "tan-uniform-cauchy": lambda: st.Uniform("X", -sp.pi / 2, sp.pi / 2),
        "normal-square": lambda: st.Normal("X", 0, 1),
        "abs-normal": lambda: st.Normal("X", 0, syms.get("sigma")),
        "relu-normal": lambda: st.Normal("X", 0, 1),
    }[case["id"]]()


def _derive(case, from_stats: bool):
    syms = _symbols(case)
    g = parse_expr(case["g"], syms)
    if from_stats:
        X = covar.Density.from_stats(_stats_rv(case, syms))
    else:
        X = covar.Density(parse_expr(case["x_pdf"], syms), syms["x"], parse_set(case["x_support"], syms))
    return covar.transform(X, g, syms["y"]), syms


@pytest.mark.parametrize("from_stats", [False, True], ids=["expression", "sympy.stats"])
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_public_case(case, from_stats):
    Y, syms = _derive(case, from_stats)
    y = syms["y"]
    assert Y.var == y
    assert Y.support == parse_set(case["y_support_expected"], syms)
    expected_atoms = {parse_expr(a, syms): parse_expr(m, syms) for a, m in case.get("y_atoms_expected", [])}
    assert {k: sp.simplify(v) for k, v in Y.atoms.items()} == expected_atoms
    assert (None if Y.family is None else str(Y.family)) == FAMILY[case["id"]]
    expected = parse_expr(case["y_pdf_expected"], syms)
    f = Y.numpy()
    for values in case["param_values"]:
        ref = sp.lambdify([y, *[syms[n] for n in values]], expected, "numpy")
        inside = np.linspace(-6, 6, 241)
        inside = inside[[bool(Y.support.contains(sp.Float(v))) for v in inside]]
        inside = inside[np.abs(inside) > 1e-9]
        got = f(inside, **values)
        want = np.broadcast_to(ref(inside, *values.values()), inside.shape)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-300)
        outside = np.array([-7.5, -3.1, -0.2])
        outside = outside[[not bool(Y.support.contains(sp.Float(v))) for v in outside]]
        assert np.all(f(outside, **values) == 0)
        report = check(Y, samples=100_000, seed=7, **values)
        assert report.passed, report.failures
        # the symbolic pdf: mass, the independent reference (preimages of g), numpy(), the JSON's answer
        probe = inside[np.linspace(0, len(inside) - 1, 7).astype(int)]
        x = syms["x"]
        fx, x_range = reference.interval_law(parse_expr(case["x_pdf"], syms), x, parse_set(case["x_support"], syms),
                                             values)
        g_np = sp.lambdify(x, reference.bind(parse_expr(case["g"], syms), values), "numpy")
        g_vec = lambda t: np.broadcast_to(np.asarray(g_np(t), dtype=float), np.shape(t))  # noqa: E731
        reference.check_univariate(Y, values, probe, lambda ys: reference.reference_pdf(fx, g_vec, ys, x_range))
        want = reference.symbolic_pdf_values(Y, probe, values, pdf=expected)
        reference.assert_close(reference.symbolic_pdf_values(Y, probe, values), want, probe,
                               "symbolic pdf vs the public case's expected pdf", 1e-12, 1e-300)


def test_sqrt_chisq1_derivation_explains_the_missing_negative_branch():
    """The tutorial's N(0, 1) claim: covar's derivation must say why y < 0 gets nothing."""
    Y = covar.transform(covar.parse_density("ChiSquared(1)"), "sqrt(x)")
    d = Y.derivation
    assert [p.kind for p in d.pieces] == ["increasing"]
    assert d.pieces[0].inverse == Y.var**2
    assert d.pieces[0].image == sp.Interval.open(0, sp.oo)
    text = " ".join(map(phrase, d.notes))
    assert "(-∞, 0)" in text
    assert "y²" in text and "y < 0" in text
    assert float(Y.numpy()(np.array([-1.0]))[0]) == 0.0
    assert float(Y.numpy()(np.array([1.0]))[0]) == pytest.approx(2 * np.exp(-0.5) / np.sqrt(2 * np.pi))
