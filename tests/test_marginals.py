"""Marginals: exact piecewise limits, normalisation, reference laws and KS tests on samples."""
from __future__ import annotations

from covar.render.text import phrase
import numpy as np
import pytest
import sympy as sp
import sympy.stats as st
from scipy import integrate, stats

from covar.errors import NoClosedForm
from covar.laws.joint import JointDensity
from covar.multivariate.products import independent
from covar.multivariate.transform import transform_joint

import reference as ref

s, t = sp.symbols("s t", real=True)
lam = sp.Symbol("lam", positive=True)


def pdf_fn(D, **values):
    f = sp.lambdify(D.var, D.pdf.subs({sp.Symbol(k, positive=True): v for k, v in values.items()}), "numpy")
    return lambda x: np.broadcast_to(np.asarray(f(np.asarray(x, dtype=float)), dtype=float), np.shape(x)).copy()


def mass(f, support_pts):
    """∫ f over the real line, split at the given points (kinks/ends of the support)."""
    edges = [-np.inf, *support_pts, np.inf]
    return sum(integrate.quad(f, a, b, limit=200)[0] for a, b in zip(edges[:-1], edges[1:]))


def ks_pvalue(f, sample, lower=-np.inf):
    """KS test of the sample against the CDF obtained by integrating the pdf on a fine grid."""
    grid = np.unique(np.quantile(sample, np.linspace(0, 1, 2001)))
    g = lambda u: float(f(np.array([u]))[0])
    start = integrate.quad(g, lower, grid[0], limit=200)[0] if grid[0] > lower else 0.0
    steps = [integrate.quad(g, a, b, limit=100)[0] for a, b in zip(grid[:-1], grid[1:])]
    cdf = start + np.concatenate([[0.0], np.cumsum(steps)])
    return stats.kstest(sample, lambda x: np.interp(x, grid, cdf)).pvalue


def derive(J, g, keep=0):
    K = transform_joint(J, g(*J.vars), (s, t))
    return K, K.marginal((s, t)[keep])


def check(K, M, reference, points, n=100_000, seed=0, values=None, col=0, lower=-np.inf):
    values = values or {}
    f = pdf_fn(M, **values)
    assert mass(f, points) == pytest.approx(1, abs=1e-7)
    xs = np.linspace(-3, 6, 37)
    np.testing.assert_allclose(f(xs), reference(xs), rtol=1e-8, atol=1e-12)
    # the symbolic pdf in mpmath: its mass, the scipy reference law and numpy() at a few points
    probe = xs[1::6]
    ref.assert_mass_one(M, values, 1e-7, extra_points=points)
    sym = ref.symbolic_pdf_values(M, probe, values)
    ref.assert_close(sym, reference(probe), probe, "symbolic marginal vs scipy reference", 1e-8, 1e-12)
    ref.assert_close(sym, np.asarray(M.numpy()(probe, **values), float), probe, "symbolic marginal vs numpy()",
                           1e-8, 1e-12)
    sample = K.sample(n, np.random.default_rng(seed), **values)[:, col]
    assert ks_pvalue(f, sample, lower) > 1e-3


def test_sum_of_two_uniforms_is_triangular():
    J = independent(st.Uniform("U1", 0, 1), st.Uniform("U2", 0, 1))
    K, M = derive(J, lambda a, b: (a + b, b))
    assert M.pdf == sp.Piecewise((0, s < 0), (s, s < 1), (2 - s, s < 2), (0, True))
    assert M.support == sp.Interval(0, 2)
    check(K, M, stats.triang(0.5, 0, 2).pdf, [0, 1, 2])


def test_uniform_plus_exponential():
    J = independent(st.Uniform("U", 0, 1), st.Exponential("E", 1))
    K, M = derive(J, lambda a, b: (a + b, b))
    ref = lambda x: np.where(x < 0, 0, np.where(x < 1, 1 - np.exp(-x), (np.e - 1) * np.exp(-x)))
    check(K, M, ref, [0, 1])


def test_difference_of_exponentials_is_laplace():
    J = independent(st.Exponential("E1", lam), st.Exponential("E2", lam))
    K, M = derive(J, lambda a, b: (a - b, b))
    assert M.support == sp.Interval(-sp.oo, sp.oo)
    assert sp.simplify(M.pdf.subs(s, 2) - lam * sp.exp(-2 * lam) / 2) == 0
    assert sp.simplify(M.pdf.subs(s, -2) - lam * sp.exp(-2 * lam) / 2) == 0
    check(K, M, stats.laplace(scale=1 / 2).pdf, [0], values={"lam": 2.0})


@pytest.mark.parametrize("rate", [1, 3])
def test_sum_of_exponentials_is_gamma_public_case(rate):
    J = JointDensity(lam**2 * sp.exp(-lam * (sp.Symbol("x1") + sp.Symbol("x2"))),
                     sp.symbols("x1 x2", real=True),
                     (sp.Symbol("x1", real=True) > 0) & (sp.Symbol("x2", real=True) > 0),
                     sampler=lambda n, rng, p: rng.exponential(1 / p["lam"], (n, 2)))
    K, M = derive(J, lambda a, b: (a + b, b))
    assert sp.simplify(M.pdf - sp.Piecewise((0, s < 0), (lam**2 * s * sp.exp(-lam * s), True))) == 0
    assert M.support == sp.Interval(0, sp.oo)
    check(K, M, stats.gamma(2, scale=1 / rate).pdf, [0], values={"lam": float(rate)}, lower=0)


def test_ratio_of_normals_is_cauchy():
    J = independent(st.Normal("Z1", 0, 1), st.Normal("Z2", 0, 1))
    K, M = derive(J, lambda a, b: (a / b, b))
    assert sp.simplify(M.pdf - 1 / (sp.pi * (1 + s**2))) == 0
    check(K, M, stats.cauchy.pdf, [0])


def test_gamma_share_is_beta():
    J = independent(st.Gamma("G1", 2, 1), st.Gamma("G2", 3, 1))
    K, M = derive(J, lambda a, b: (a / (a + b), a + b))
    assert M.support == sp.Interval(0, 1)
    check(K, M, stats.beta(2, 3).pdf, [0, 1])


def test_ratio_of_gammas_is_beta_prime():
    J = independent(st.Gamma("G1", 2, 1), st.Gamma("G2", 3, 1))
    K, M = derive(J, lambda a, b: (a / b, b))
    check(K, M, stats.betaprime(2, 3).pdf, [0], lower=0)


def test_student_t_from_normal_and_chi_square():
    J = independent(st.Normal("Z", 0, 1), st.ChiSquared("V", 3))
    K, M = derive(J, lambda a, b: (a / sp.sqrt(b / 3), b))
    check(K, M, stats.t(3).pdf, [0])


def test_product_of_uniforms_has_log_density():
    J = independent(st.Uniform("U1", 0, 1), st.Uniform("U2", 0, 1))
    K, M = derive(J, lambda a, b: (a * b, b))
    assert M.pdf == sp.Piecewise((0, s < 0), (-sp.log(s), s < 1), (0, True))
    f = pdf_fn(M)
    assert mass(f, [0, 1]) == pytest.approx(1, abs=1e-7)
    sample = K.sample(100_000, np.random.default_rng(3))[:, 0]
    assert ks_pvalue(f, sample, 0) > 1e-3


def test_polar_radius_is_rayleigh_and_angle_uniform():
    J = independent(st.Normal("X1", 0, 1), st.Normal("X2", 0, 1))
    x1, x2 = J.vars
    r, th = sp.symbols("r theta", real=True)
    K = transform_joint(J, (sp.sqrt(x1**2 + x2**2), sp.atan2(x2, x1)), (r, th))
    R = K.marginal(r)
    assert sp.simplify(R.pdf - sp.Piecewise((0, r < 0), (r * sp.exp(-r**2 / 2), True))) == 0
    T = K.marginal(th)
    assert T.support == sp.Interval(-sp.pi, sp.pi)
    assert sp.simplify(T.pdf.subs(th, 1) - 1 / (2 * sp.pi)) == 0
    sample = K.sample(100_000, np.random.default_rng(4))
    assert ks_pvalue(pdf_fn(R), sample[:, 0], 0) > 1e-3
    assert ks_pvalue(pdf_fn(T), sample[:, 1], -np.pi) > 1e-3


def test_marginal_of_second_variable():
    J = independent(st.Uniform("U1", 0, 1), st.Uniform("U2", 0, 2))
    K = transform_joint(J, (J.vars[0], J.vars[0] + J.vars[1]), (s, t))
    M = K.marginal(t)
    ref = lambda x: np.clip(np.minimum(np.minimum(x, 1), np.minimum(3 - x, 1)), 0, None) / 2
    f = pdf_fn(M)
    np.testing.assert_allclose(f(np.linspace(-1, 4, 51)), ref(np.linspace(-1, 4, 51)), atol=1e-12)
    assert M.support == sp.Interval(0, 3)


def test_no_closed_form_gives_numeric_only_marginal():
    x1, x2 = sp.symbols("x1 x2", real=True)
    c = 1 / (2 * sp.gamma(sp.Rational(5, 4)))
    J = JointDensity(c * sp.exp(-x1**4) * sp.exp(-x2), (x1, x2), x2 > 0)
    K = transform_joint(J, (x1 + x2, x2), (s, t))
    M = K.marginal(s, timeout=4)
    assert M.closed_form is False and M.pdf is None
    f = M.numeric
    grid = np.linspace(-5, 25, 601)
    assert integrate.simpson(f(grid), x=grid) == pytest.approx(1, abs=1e-6)
    direct = integrate.quad(lambda u: float(c) * np.exp(-(0.7 - u) ** 4 - u), 0, np.inf)[0]
    assert f(np.array([0.7]))[0] == pytest.approx(direct, rel=1e-8)


def test_three_dimensional_marginal_integrates_one_variable_at_a_time():
    J = independent(st.Normal("A", 0, 1), st.Normal("B", 0, 1), st.Normal("C", 0, 1))
    M = J.marginal(J.vars[0])
    assert str(M.family) == "Normal(0, 1)"
    assert "integrated out over exact limits" in " ".join(map(phrase, M.derivation.notes))


def test_nonlinear_limits_raise():
    x1, x2 = sp.symbols("x1 x2", real=True)
    J = JointDensity(sp.Integer(1), (x1, x2), (x1**3 + x2**3 < 1) & (x1 > 0) & (x2 > 0))
    with pytest.raises(NoClosedForm, match="linear"):
        J.marginal(x1)


def test_quadratic_limits_give_the_semicircle():
    """The uniform law on the unit disk: x1**2 + x2**2 < 1 solved for x2 (|x2| < sqrt(1 - x1**2))."""
    x1, x2 = sp.symbols("x1 x2", real=True)
    J = JointDensity(sp.Integer(1) / sp.pi, (x1, x2), x1**2 + x2**2 < 1)
    M = J.marginal(x1)
    for v in (-0.9, -0.2, 0.5):
        assert abs(float(M.pdf.subs(x1, v)) - 2 * np.sqrt(1 - v * v) / np.pi) <= 1e-12
    assert M.pdf.subs(x1, 1.5) == 0
