"""Marginals are right, complete and evaluable: the symbolic pdf (evaluated by mpmath, never by
the compiled numpy() code) against quadrature of a hand-written joint density, against samples
drawn directly with numpy, and against mass 1; numeric-only marginals work end to end."""
from __future__ import annotations

import json

import mpmath
import numpy as np
import pytest
import sympy as sp
import sympy.stats as st
from scipy import integrate, stats

import covar
from covar.laws.density import Density
from covar.render.interop import to_scipy
from covar.laws.joint import JointDensity
from covar.multivariate.products import independent
from covar.multivariate.transform import transform_joint
from covar.render.serialize import from_json

u, v = sp.symbols("u v", real=True)
SQ2PI = np.sqrt(2 * np.pi)


def phi(x):
    return np.exp(-np.asarray(x, dtype=float) ** 2 / 2) / SQ2PI


def symbolic(M, **values):
    """The marginal's symbolic pdf as a float function, evaluated by mpmath."""
    expr = M.pdf.xreplace({p: sp.Float(values[p.name], 30) for p in M.pdf.free_symbols if p.name in values})
    f = sp.lambdify(M.var, expr, "mpmath")

    def value(x: float) -> float:
        z = complex(f(mpmath.mpf(float(x))))
        assert abs(z.imag) <= 1e-9 * max(1.0, abs(z.real)), f"complex density {z} at {x}"
        return z.real

    return value


def reference(joint, x: float, lo=-np.inf, hi=np.inf) -> float:
    """∫ joint(x, t) dt by quadrature, split at 0 and ±1 (kinks and singular points)."""
    cuts = [lo, *[c for c in (-1.0, 0.0, 1.0) if lo < c < hi], hi]
    return sum(integrate.quad(lambda t: joint(x, t), a, b, limit=200, epsabs=1e-13, epsrel=1e-10)[0]
               for a, b in zip(cuts[:-1], cuts[1:]))


def mass(f, points) -> float:
    edges = [-np.inf, *points, np.inf]
    return sum(integrate.quad(f, a, b, limit=200)[0] for a, b in zip(edges[:-1], edges[1:]))


def ks_pvalue(f, sample, lower) -> float:
    """KS test of the sample against the CDF of f integrated on a grid of sample quantiles."""
    grid = np.unique(np.quantile(sample, np.linspace(0, 1, 201)))
    start = integrate.quad(f, lower, grid[0], limit=200)[0] if grid[0] > lower else 0.0
    steps = [integrate.quad(f, a, b, limit=100)[0] for a, b in zip(grid[:-1], grid[1:])]
    cdf = start + np.concatenate([[0.0], np.cumsum(steps)])
    return stats.kstest(sample, lambda x: np.interp(x, grid, cdf)).pvalue


def check_marginal(M, joint, draws, probes, points, lower=-np.inf, values=None, hi=np.inf):
    values = values or {}
    f = symbolic(M, **values)
    for x in probes:
        ref = reference(joint, x)
        got = f(x)
        assert abs(got - ref) <= 1e-7 * max(1.0, abs(ref)), (x, got, ref)
    assert abs(mass(f, points) - 1) <= 1e-7
    rng = np.random.default_rng(2026)
    assert ks_pvalue(f, draws(rng, 20_000), lower) > 1e-3


# -- the bugs of issue 9 -----------------------------------------------------------------------


def normal_pair():
    return independent(st.Normal("A", 0, 1), st.Normal("B", 0, 1))


def test_two_branch_square_marginal_is_chi_square_1():
    J = normal_pair()
    a, b = J.vars
    K = transform_joint(J, (a**2, b), (u, v))
    M = K.marginal(u)
    # f_{U,V}(u, v) = [phi(sqrt u) + phi(-sqrt u)] phi(v) / (2 sqrt u): both branches
    joint = lambda x, t: 2 * phi(np.sqrt(x)) * phi(t) / (2 * np.sqrt(x)) if x > 0 else 0.0
    check_marginal(M, joint, lambda r, n: r.normal(size=n) ** 2, [0.05, 0.7, 2.3, 6.0], [0], lower=0)
    assert M.support == sp.Interval(0, sp.oo)


def test_two_branch_abs_marginal_is_half_normal():
    J = normal_pair()
    a, b = J.vars
    M = transform_joint(J, (sp.Abs(a), b), (u, v)).marginal(u)
    joint = lambda x, t: 2 * phi(x) * phi(t) if x > 0 else 0.0
    check_marginal(M, joint, lambda r, n: np.abs(r.normal(size=n)), [0.1, 1.0, 2.5], [0], lower=0)


def test_product_of_normals_closed_or_honest_and_evaluable():
    J = normal_pair()
    a, b = J.vars
    K = transform_joint(J, (a * b, b), (u, v))
    M = K.marginal(u)
    joint = lambda x, t: phi(x / t) * phi(t) / abs(t) if t != 0 else 0.0
    f = M.numpy()
    xs = np.array([-2.0, -0.3, 0.4, 1.7])
    refs = np.array([reference(joint, x) for x in xs])  # K0(|x|)/pi
    np.testing.assert_allclose(f(xs), refs, rtol=1e-7)
    if M.closed_form:  # sympy finds a meijerg: numpy() evaluates it through mpmath
        for x, ref in zip(xs, refs):
            assert symbolic(M)(x) == pytest.approx(ref, rel=1e-8)
    sample = M.sample(2000, np.random.default_rng(1))
    direct = np.random.default_rng(2).normal(size=2000) * np.random.default_rng(3).normal(size=2000)
    assert stats.ks_2samp(sample, direct).pvalue > 1e-3


def test_meijerg_closed_form_has_a_faithful_numpy():
    x = sp.Symbol("x", real=True)
    expr = sp.meijerg(((1, 1), ()), ((), ()), 4 / x**2) / (2 * sp.pi)  # K0(|x|)/pi
    D = Density(expr, x, sp.Interval(-sp.oo, sp.oo), validate=False)
    xs = np.array([-1.5, 0.25, 3.0])
    got = D.numpy()(xs)
    want = [float(mpmath.besselk(0, abs(t)) / mpmath.pi) for t in xs]
    np.testing.assert_allclose(got, want, rtol=1e-10)


def quartic_plus_exponential():
    x = sp.Symbol("x", real=True)
    c = 1 / (2 * sp.gamma(sp.Rational(5, 4)))
    Q = Density(c * sp.exp(-x**4), x, sp.Interval(-sp.oo, sp.oo))
    J = independent(Q, covar.parse_density("Exponential(1)"))
    a, b = J.vars
    return float(c), transform_joint(J, (a + b, b), (u, v))


def test_numeric_only_marginal_works_end_to_end():
    c, K = quartic_plus_exponential()
    M = K.marginal(u, timeout=4)
    assert M.closed_form is False and M.pdf is None
    joint = lambda x, t: c * np.exp(-(x - t) ** 4 - t) if t > 0 else 0.0
    xs = np.array([-1.0, 0.3, 2.0])
    np.testing.assert_allclose(M.numpy()(xs), [reference(joint, x, 0.0) for x in xs], rtol=1e-8)
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(M.logpdf_numpy()(xs), np.log(M.numpy()(xs)))
    # samples: the joint's samples pushed through the map, the first coordinate kept
    sample = M.sample(3000, np.random.default_rng(5))
    rng = np.random.default_rng(6)
    direct = Density(c * sp.exp(-sp.Symbol("x", real=True) ** 4), sp.Symbol("x", real=True),
                     sp.Interval(-sp.oo, sp.oo)).sample(3000, rng) + rng.exponential(size=3000)
    assert stats.ks_2samp(sample, direct).pvalue > 1e-3
    rv = M.to_scipy()
    assert float(rv.pdf(np.array([0.3]))[0]) == pytest.approx(reference(joint, 0.3, 0.0), rel=1e-8)
    assert rv.rvs(5, random_state=1).shape == (5,)
    tex = M.latex()
    assert r"\int" in tex and "numerically" in tex
    back = from_json(M.to_json())
    assert back.closed_form is False
    np.testing.assert_allclose(back.numpy()(xs), M.numpy()(xs), rtol=1e-12)
    assert json.loads(M.to_json())["marginal"]["cells"]


def test_difference_of_correlated_normals():
    x1, x2 = sp.symbols("x1 x2", real=True)
    rho = sp.Symbol("rho")
    J = JointDensity(sp.exp(-(x1**2 - 2 * rho * x1 * x2 + x2**2) / (2 * (1 - rho**2)))
                     / (2 * sp.pi * sp.sqrt(1 - rho**2)), (x1, x2), True)
    M = transform_joint(J, (x1 - x2, x2), (u, v)).marginal(u)
    r = 0.5
    cov = [[1, r], [r, 1]]
    inv = np.linalg.inv(cov)
    dens = lambda p, q: np.exp(-0.5 * (inv[0, 0] * p * p + 2 * inv[0, 1] * p * q + inv[1, 1] * q * q)) \
        / (2 * np.pi * np.sqrt(1 - r * r))
    joint = lambda x, t: dens(x + t, t)
    draws = lambda g, n: (lambda z: z[:, 0] - z[:, 1])(g.multivariate_normal([0, 0], cov, n))
    if M.closed_form:
        check_marginal(M, joint, draws, [-1.2, 0.0, 0.8], [0], values={"rho": r})
    np.testing.assert_allclose(M.numpy()(np.array([-1.2, 0.8]), rho=r),
                               [reference(joint, -1.2), reference(joint, 0.8)], rtol=1e-7)


def test_cancelled_parameters_are_accepted():
    al, be, lam = sp.symbols("alpha beta lam", positive=True)
    J = independent(st.Gamma("G1", al, 1 / lam), st.Gamma("G2", be, 1 / lam))
    g1, g2 = J.vars
    M = transform_joint(J, (g1 / (g1 + g2), g1 + g2), (u, v)).marginal(u)
    assert lam not in M.pdf.free_symbols
    values = {"alpha": 2.0, "beta": 3.0, "lam": 1.5}
    got = M.numpy()(np.array([0.3]), **values)
    assert got[0] == pytest.approx(stats.beta(2, 3).pdf(0.3), rel=1e-10)
    assert np.isfinite(M.logpdf_numpy()(np.array([0.3]), **values)).all()
    assert to_scipy(M, **values).pdf(np.array([0.3]))[0] == pytest.approx(stats.beta(2, 3).pdf(0.3))
    sample = M.sample(2000, np.random.default_rng(0), **values)
    assert stats.kstest(sample, stats.beta(2, 3).cdf).pvalue > 1e-3
    with pytest.raises(covar.CovarError, match="unknown"):
        M.numpy()(np.array([0.3]), alpha=2.0, beta=3.0, lamda=1.5)
    # symbolic pdf against quadrature of the joint and samples drawn with numpy
    gam = lambda x, k: x ** (k - 1) * np.exp(-1.5 * x) * 1.5**k / float(sp.gamma(k)) if x > 0 else 0.0
    joint = lambda x, t: gam(x * t, 2) * gam((1 - x) * t, 3) * t if 0 < x < 1 and t > 0 else 0.0
    draws = lambda r, n: (lambda a, b: a / (a + b))(r.gamma(2, 1 / 1.5, n), r.gamma(3, 1 / 1.5, n))
    check_marginal(M, joint, draws, [0.2, 0.55, 0.9], [0, 1], lower=0, values=values)


# -- textbook marginals ---------------------------------------------------------------------------


def test_sum_of_exponentials_is_gamma():
    J = independent(st.Exponential("E1", 1), st.Exponential("E2", 1))
    a, b = J.vars
    M = transform_joint(J, (a + b, b), (u, v)).marginal(u)
    joint = lambda x, t: np.exp(-x) if 0 < t < x else 0.0
    draws = lambda r, n: r.exponential(size=n) + r.exponential(size=n)
    check_marginal(M, joint, draws, [0.3, 1.0, 4.0], [0], lower=0)


def test_polar_radius_is_rayleigh():
    J = normal_pair()
    a, b = J.vars
    r, th = sp.symbols("r theta", real=True)
    M = transform_joint(J, (sp.sqrt(a**2 + b**2), sp.atan2(b, a)), (r, th)).marginal(r)
    joint = lambda x, t: x * np.exp(-x * x / 2) / (2 * np.pi) if x > 0 and -np.pi < t < np.pi else 0.0
    draws = lambda g, n: np.hypot(g.normal(size=n), g.normal(size=n))
    f = symbolic(M)
    for x in [0.2, 1.1, 2.9]:
        assert f(x) == pytest.approx(reference(joint, x, -np.pi, np.pi), rel=1e-9)
    assert abs(mass(f, [0]) - 1) <= 1e-7
    assert ks_pvalue(f, draws(np.random.default_rng(7), 20_000), 0) > 1e-3


def test_product_of_uniforms():
    J = independent(st.Uniform("U1", 0, 1), st.Uniform("U2", 0, 1))
    a, b = J.vars
    M = transform_joint(J, (a * b, b), (u, v)).marginal(u)
    joint = lambda x, t: 1 / t if 0 < x < t < 1 else 0.0
    draws = lambda r, n: r.uniform(size=n) * r.uniform(size=n)
    f = symbolic(M)
    for x in [0.05, 0.4, 0.9]:
        assert f(x) == pytest.approx(reference(joint, x, x, 1.0), rel=1e-9)
    assert abs(mass(f, [0, 1]) - 1) <= 1e-7
    assert ks_pvalue(f, draws(np.random.default_rng(8), 20_000), 0) > 1e-3


def test_sum_of_uniforms_is_triangular():
    J = independent(st.Uniform("U1", 0, 1), st.Uniform("U2", 0, 1))
    a, b = J.vars
    M = transform_joint(J, (a + b, b), (u, v)).marginal(u)
    joint = lambda x, t: 1.0 if 0 < t < 1 and 0 < x - t < 1 else 0.0
    draws = lambda r, n: r.uniform(size=n) + r.uniform(size=n)
    f = symbolic(M)
    for x in [0.3, 1.0 - 1e-3, 1.6]:
        lo, hi = max(0.0, x - 1), min(1.0, x)
        assert f(x) == pytest.approx(reference(joint, x, lo, hi), rel=1e-9)
    assert abs(mass(f, [0, 1, 2]) - 1) <= 1e-9
    assert ks_pvalue(f, draws(np.random.default_rng(9), 20_000), 0) > 1e-3


def test_joint_missing_a_branch_is_refused_not_halved():
    """A joint whose terms carry one branch of a 2-to-1 map has mass 1/2: the marginal says so."""
    half = sp.exp(-u / 2 - v**2 / 2) / (4 * sp.pi * sp.sqrt(u))
    J = JointDensity(half, (u, v), u > 0)
    with pytest.raises(covar.CovarError, match="integrates to"):
        J.marginal(u)
