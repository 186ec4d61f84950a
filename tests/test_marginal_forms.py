"""Marginals that sympy integrates into erf terms come back in their simple form: the sum of
two Normals with symbolic parameters is the Normal(mu + nu, sqrt(s² + t²)) density itself, not a
sum of erf(w) and erf(-w) terms (whose compiled evaluator underflowed far out)."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy import stats

import covar


def _normal_pdf(y, m, v):
    return sp.exp(-(y - m)**2 / (2 * v)) / sp.sqrt(2 * sp.pi * v)


@pytest.mark.parametrize("law, map_, mean, var, values", [
    ("Normal(mu, s) * Normal(nu, t)", "x1 + x2, x2", lambda p: p["mu"] + p["nu"], lambda p: p["s"]**2 + p["t"]**2,
     {"mu": 2.1, "nu": -1.8, "s": 0.65, "t": 0.71}),
    ("Normal(mu, s) * Normal(nu, t)", "x1 - x2, x2", lambda p: p["mu"] - p["nu"], lambda p: p["s"]**2 + p["t"]**2,
     {"mu": 0.3, "nu": 1.2, "s": 1.5, "t": 0.4}),
    ("Normal(0, 1) * Normal(0, 1)", "x1 + x2, x1 - x2", lambda p: sp.S(0), lambda p: sp.S(2), {}),
])
def test_a_sum_of_normals_is_the_normal_density(law, map_, mean, var, values):
    J = covar.transform(law, map_, "y1, y2")
    Y = J.marginal("y1")
    symbols = {p.name: p for p in Y.params}
    m, v = mean(symbols), var(symbols)
    want = _normal_pdf(Y.var, m, v)
    assert not Y.pdf.has(sp.erf)
    assert sp.simplify(Y.pdf - want) == 0, Y.pdf
    assert Y.family is not None and Y.family.name == "Normal"
    # what the user reads, evaluated by sympy, against scipy and far out (where it is tiny)
    named = {symbols[k]: val for k, val in values.items()}
    m0, s0 = float(m.subs(named)), float(sp.sqrt(v.subs(named)))
    for y0 in (m0 - 25 * s0, m0 - 1.0, m0, m0 + 3 * s0):
        got = float(Y.pdf.subs(named).subs(Y.var, y0))
        assert got == pytest.approx(stats.norm.pdf(y0, m0, s0), rel=1e-9, abs=0)
    ys = np.array([m0 - 25 * s0, m0, m0 + 2 * s0])
    np.testing.assert_allclose(Y.numpy()(ys, **values), stats.norm.pdf(ys, m0, s0), rtol=1e-9)


def test_the_gamma_beta_split_reads_as_two_independent_laws():
    """(X1 + X2, X1/(X1 + X2)) of independent Gamma(a, 1), Gamma(b, 1): the support reads
    s > 0, 0 < u < 1 (the sign of s decided, not y1*y2 >= 0), and the marginals are Gamma(a + b, 1)
    and Beta(a, b) — also for a < 1, where the joint pdf is unbounded at u = 0."""
    J = covar.transform("Gamma(a, 1) * Gamma(b, 1)", "x1 + x2, x1/(x1 + x2)", "s, u")
    s, u = J.vars
    a, b = sorted(J.params, key=lambda p: p.name)
    assert set(sp.And.make_args(J.support)) == {sp.Lt(0, s), sp.Lt(0, u), sp.Lt(u, 1)}
    want = (s**(a + b - 1) * sp.exp(-s) / sp.gamma(a + b)
            * u**(a - 1) * (1 - u)**(b - 1) * sp.gamma(a + b) / (sp.gamma(a) * sp.gamma(b)))
    inside = {s: sp.Rational(7, 3), u: sp.Rational(1, 5)}
    for values in ({a: sp.Rational(1, 10), b: sp.Rational(5, 6)}, {a: 3, b: sp.Rational(3, 2)}):
        got = J.pdf.xreplace(values).xreplace(inside)
        assert abs(float(got) - float(want.xreplace(values).xreplace(inside))) <= 1e-12 * float(got)
    assert str(J.marginal("s").family) == "Gamma(a + b, 1)"
    U = J.marginal("u")
    assert str(U.family) == "Beta(a, b)"
    ys = np.array([1e-6, 0.3, 0.999])
    np.testing.assert_allclose(U.numpy()(ys, a=0.1, b=0.84), stats.beta.pdf(ys, 0.1, 0.84), rtol=1e-9)


def test_the_sum_of_three_squared_normals_is_chi_square_3():
    """Three variables integrated down to one: the inner integral's arcsine branch is chosen on
    y1 > y2², and sqrt(z)*sqrt(1/z) is 1 there (the support's sums stand in as positive)."""
    J = covar.transform("Normal(0, 1) * Normal(0, 1) * Normal(0, 1)", "x1**2 + x2**2 + x3**2, x2, x3",
                        "y1, y2, y3")
    assert not J.pdf.has(sp.Abs)
    Y = J.marginal("y1")
    assert Y.closed_form and not Y.pdf.has(sp.asin, sp.I, sp.Abs)
    ys = [0.05, 1.0, 3.0, 12.0]
    got = [float(Y.pdf.subs(Y.var, v)) for v in ys]  # the formula the user reads
    np.testing.assert_allclose(got, stats.chi2.pdf(ys, 3), rtol=1e-12)
    np.testing.assert_allclose(Y.numpy()(np.array(ys)), stats.chi2.pdf(ys, 3), rtol=1e-10)


def test_a_dirichlet_component_from_gammas_is_beta_also_near_its_end():
    """X_i ~ Gamma(a_i, 1), Y1 = X1/ΣX: the marginal is Beta(a1, a2 + a3). Its polynomial is
    kept in factors, so near y = 1 (where the expanded form cancels to 0 in floats) the symbolic
    pdf and numpy() agree with scipy."""
    J = covar.transform("Gamma(2, 1) * Gamma(3, 1) * Gamma(4, 1)",
                        "x1/(x1 + x2 + x3), x2/(x1 + x2 + x3), x1 + x2 + x3", "y1, y2, y3")
    Y = J.marginal("y1")
    assert str(Y.family) == "Beta(2, 7)"
    ys = [0.001, 0.3, 0.9, 0.999]
    got = [float(Y.pdf.subs(Y.var, sp.Rational(str(v)))) for v in ys]
    np.testing.assert_allclose(got, stats.beta.pdf(ys, 2, 7), rtol=1e-12)
    np.testing.assert_allclose(Y.numpy()(np.array(ys)), stats.beta.pdf(ys, 2, 7), rtol=1e-9)
    assert str(J.marginal("y3").family) == "Gamma(9, 1)"
