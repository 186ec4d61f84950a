"""Multivariate bijections and branch sums: every result is checked numerically.

Checks used here (and imported by test_marginals.py / test_flows.py):
* pointwise: at x drawn from X, f_Y(g(x)) = sum over preimages f_X(x') / |det J_g(x')|, with
  J_g from finite differences (independent of the symbolic Jacobian);
* normalisation: cubature over a truncated box;
* samples: binned chi-square of 1e5 pushed samples against cell probabilities by cubature.
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
import sympy.stats as st
from scipy import integrate, stats

from covar.render.text import phrase
import covar
from covar.numeric.checks import finite_difference_jacobian
from covar.errors import CovarError, NoClosedFormInverse, UnsupportedTransform
from covar.laws.joint import JointDensity
from covar.multivariate.products import independent
from covar.multivariate.transform import transform_joint

import reference

x1, x2, x3 = sp.symbols("x1 x2 x3", real=True)
y1, y2, y3, r, th, ph = sp.symbols("y1 y2 y3 r theta phi", real=True)
NORMAL2 = JointDensity(sp.exp(-(x1**2 + x2**2) / 2) / (2 * sp.pi), (x1, x2), True)


# ------------------------------------------------------------------------------------------
# numerical checks


def vector_map(g, xs):
    f = sp.lambdify(xs, list(g), "numpy")

    def run(X: np.ndarray) -> np.ndarray:
        return np.stack(np.broadcast_arrays(*f(*X.T)), axis=-1).astype(float)

    return run


def check_pointwise(J, K, g, n=200, seed=0, multiplicity=1, values=None):
    """f_Y(g(x)) == multiplicity * f_X(x)/|det J_g(x)| at sampled x (symmetric branches)."""
    values = values or {}
    rng = np.random.default_rng(seed)
    X = J.sample(n, rng, **values)
    G = vector_map([e.xreplace({p: values[p.name] for p in e.free_symbols if p.name in values}) for e in g], J.vars)
    Y = G(X)
    det = np.abs(np.linalg.det(finite_difference_jacobian(G, X)))
    keep = det > 1e-3
    expected = multiplicity * J.numpy()(*X[keep].T, **values) / det[keep]
    got = K.numpy()(*Y[keep].T, **values)
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    assert keep.mean() > 0.9


def total_mass_2d(K, box, values=None):
    f = K.numpy()
    (a, b), (c, d) = box
    val, err = integrate.dblquad(lambda v, u: float(f(np.array(u), np.array(v), **(values or {}))),
                                 a, b, c, d, epsabs=1e-8, epsrel=1e-7)
    return val


def chi_square_2d(K, samples, bins=5, values=None, gl=48):
    """p-value of a binned chi-square: quantile grid cells plus the remainder outside the grid."""
    f = K.numpy()
    qs = np.linspace(0.05, 0.95, bins + 1)
    ex = np.quantile(samples[:, 0], qs)
    ey = np.quantile(samples[:, 1], qs)
    nodes, weights = np.polynomial.legendre.leggauss(gl)
    probs, counts = [], []
    for i in range(bins):
        for j in range(bins):
            u = (ex[i + 1] - ex[i]) / 2 * nodes + (ex[i + 1] + ex[i]) / 2
            v = (ey[j + 1] - ey[j]) / 2 * nodes + (ey[j + 1] + ey[j]) / 2
            U, V = np.meshgrid(u, v, indexing="ij")
            w = np.outer(weights, weights) * (ex[i + 1] - ex[i]) * (ey[j + 1] - ey[j]) / 4
            probs.append(float(np.sum(w * f(U, V, **(values or {})))))
            inside = ((samples[:, 0] >= ex[i]) & (samples[:, 0] < ex[i + 1])
                      & (samples[:, 1] >= ey[j]) & (samples[:, 1] < ey[j + 1]))
            counts.append(inside.sum())
    probs.append(1 - sum(probs))
    counts.append(len(samples) - sum(counts))
    expected = np.array(probs) * len(samples)
    return stats.chisquare(np.array(counts), expected).pvalue


# ------------------------------------------------------------------------------------------
# public problems


def test_polar_normals_issue_example():
    J = covar.JointDensity(sp.exp(-(x1**2 + x2**2) / 2) / (2 * sp.pi), (x1, x2), True)
    K = transform_joint(J, (sp.sqrt(x1**2 + x2**2), sp.atan2(x2, x1)), (r, th))
    expected = r * sp.exp(-r**2 / 2) / (2 * sp.pi)
    assert sp.simplify(K.terms[0][0] - expected) == 0
    f = K.numpy()
    assert f(np.array([1.0]), np.array([0.5]))[0] == pytest.approx(np.exp(-0.5) / (2 * np.pi))
    assert f(np.array([-1.0]), np.array([0.5]))[0] == 0.0          # r < 0 is outside
    assert f(np.array([1.0]), np.array([3.5]))[0] == 0.0           # theta > pi is outside
    d = K.derivation
    assert sp.simplify(d.det - r) == 0 and d.abs_det == r
    assert sp.simplify(d.inverse[0] - r * sp.cos(th)) == 0
    assert total_mass_2d(K, ((0, 12), (-np.pi, np.pi))) == pytest.approx(1, abs=1e-7)


def test_polar_normals_samples_chi_square():
    J = independent(st.Normal("X1", 0, 1), st.Normal("X2", 0, 1))
    K = transform_joint(J, (sp.sqrt(x1**2 + x2**2), sp.atan2(x2, x1)), (r, th))
    S = K.sample(100_000, np.random.default_rng(1))
    assert chi_square_2d(K, S) > 1e-3


def test_box_muller():
    U = independent(st.Uniform("U1", 0, 1), st.Uniform("U2", 0, 1))
    u1, u2 = U.vars
    g = (sp.sqrt(-2 * sp.log(u1)) * sp.cos(2 * sp.pi * u2), sp.sqrt(-2 * sp.log(u1)) * sp.sin(2 * sp.pi * u2))
    K = transform_joint(U, g, (y1, y2))
    f = K.numpy()
    pts = np.random.default_rng(3).normal(size=(50, 2)) * 2
    np.testing.assert_allclose(f(*pts.T), np.exp(-(pts**2).sum(1) / 2) / (2 * np.pi), rtol=1e-10)
    check_pointwise(U, K, g)
    S = K.sample(100_000, np.random.default_rng(2))
    assert chi_square_2d(K, S) > 1e-3


def test_realnvp_coupling_as_a_general_map():
    J = independent(st.Normal("X1", 0, 1), st.Normal("X2", 0, 1))
    g = (x1, x2 * sp.exp(x1 / 2) + x1**2)
    K = transform_joint(J, g, (y1, y2))
    expected = sp.exp(-y1**2 / 2 - (y2 - y1**2)**2 * sp.exp(-y1) / 2 - y1 / 2) / (2 * sp.pi)
    f, e = K.numpy(), sp.lambdify((y1, y2), expected)
    pts = np.random.default_rng(4).normal(size=(50, 2))
    np.testing.assert_allclose(f(*pts.T), e(*pts.T), rtol=1e-10)
    assert sp.simplify(K.derivation.det - sp.exp(-y1 / 2)) == 0
    check_pointwise(J, K, g)


# ------------------------------------------------------------------------------------------
# further bijections


def test_spherical_coordinates_3d():
    J = independent(st.Normal("X1", 0, 1), st.Normal("X2", 0, 1), st.Normal("X3", 0, 1))
    R = sp.sqrt(x1**2 + x2**2 + x3**2)
    g = (R, sp.acos(x3 / R), sp.atan2(x2, x1))
    K = transform_joint(J, g, (r, th, ph))
    assert sp.simplify(K.terms[0][0] - r**2 * sp.exp(-r**2 / 2) * sp.sin(th) / (2 * sp.pi) ** sp.Rational(3, 2)) == 0
    f = K.numpy()
    rng = np.random.default_rng(5)
    rr, tt, pp = rng.uniform(0.1, 4, 40), rng.uniform(0, np.pi, 40), rng.uniform(-np.pi, np.pi, 40)
    np.testing.assert_allclose(f(rr, tt, pp), rr**2 * np.exp(-rr**2 / 2) * np.sin(tt) / (2 * np.pi) ** 1.5, rtol=1e-10)
    assert f(np.array([1.0]), np.array([-0.5]), np.array([0.0]))[0] == 0  # theta < 0 is outside
    check_pointwise(J, K, g)


def test_lognormal_2d():
    J = independent(st.Normal("X1", 0, 1), st.Normal("X2", 0, 1))
    g = (sp.exp(x1), sp.exp(x2))
    K = transform_joint(J, g, (y1, y2))
    f = K.numpy()
    a = np.array([0.5, 2.0])
    np.testing.assert_allclose(f(a, a[::-1]), stats.lognorm(1).pdf(a) * stats.lognorm(1).pdf(a[::-1]))
    assert f(np.array([-1.0]), np.array([1.0]))[0] == 0
    check_pointwise(J, K, g)
    assert total_mass_2d(K, ((0, 30), (0, 30))) == pytest.approx(stats.lognorm(1).cdf(30) ** 2, abs=1e-5)


def test_dirichlet_from_gammas():
    J = independent(st.Gamma("G1", 2, 1), st.Gamma("G2", 3, 1), st.Gamma("G3", 1.5, 1))
    g1, g2, g3 = J.vars
    S = g1 + g2 + g3
    g = (g1 / S, g2 / S, S)
    K = transform_joint(J, g, (y1, y2, y3))
    check_pointwise(J, K, g)
    f = K.numpy()
    rng = np.random.default_rng(6)
    p = rng.dirichlet([2, 3, 1.5], 30)
    s = rng.gamma(6.5, size=30)
    expected = stats.dirichlet([2, 3, 1.5]).pdf(p.T) * stats.gamma(6.5).pdf(s)
    np.testing.assert_allclose(f(p[:, 0], p[:, 1], s), expected, rtol=1e-8)
    assert f(np.array([0.7]), np.array([0.6]), np.array([1.0]))[0] == 0  # y1 + y2 > 1


def test_affine_map_with_symbolic_matrix():
    a, b, c, d = sp.symbols("a b c d", real=True)
    J = NORMAL2
    g = (a * x1 + b * x2 + 1, c * x1 + d * x2 - 2)
    K = transform_joint(J, g, (y1, y2))
    assert sp.simplify(K.derivation.det - 1 / (a * d - b * c)) == 0
    vals = dict(a=2.0, b=0.5, c=-1.0, d=1.5)
    A = np.array([[2.0, 0.5], [-1.0, 1.5]])
    mvn = stats.multivariate_normal([1, -2], A @ A.T)
    pts = np.random.default_rng(7).normal(size=(30, 2))
    np.testing.assert_allclose(K.numpy()(*pts.T, **vals), mvn.pdf(pts), rtol=1e-10)


def test_product_and_ratio_pair():
    J = independent(st.Exponential("E1", 1), st.Exponential("E2", 2))
    e1, e2 = J.vars
    g = (e1 * e2, e1 / e2)
    K = transform_joint(J, g, (y1, y2))
    check_pointwise(J, K, g)
    # P(E1/E2 < 5) = 1 - E[exp(-5 E2)] = 5/7 for E2 ~ Exp(2); products above 40 are negligible
    assert total_mass_2d(K, ((0, 25), (0, 5))) == pytest.approx(5 / 7, abs=1e-4)


def test_uniform_square_rotated():
    U = independent(st.Uniform("U1", 0, 1), st.Uniform("U2", 0, 1))
    u1, u2 = U.vars
    g = (u1 + u2, u1 - u2)
    K = transform_joint(U, g, (y1, y2))
    f = K.numpy()
    assert f(np.array([1.0]), np.array([0.0]))[0] == pytest.approx(0.5)
    assert f(np.array([0.2]), np.array([0.5]))[0] == 0  # outside the rotated square
    # integrate over the image found by hand (|y2| < min(y1, 2 - y1)): the pdf must be 1/2 there
    mass = integrate.dblquad(lambda v, u: float(f(np.array(u), np.array(v))), 0, 2,
                             lambda u: -min(u, 2 - u), lambda u: min(u, 2 - u))[0]
    assert mass == pytest.approx(1, abs=1e-6)
    S = K.sample(100_000, np.random.default_rng(8))
    assert chi_square_2d(K, S) > 1e-3


def test_triangular_map_in_4d():
    xs = sp.symbols("w1:5", real=True)
    J = JointDensity(sp.exp(-sum(v**2 for v in xs) / 2) / (2 * sp.pi) ** 2, xs, True,
                     sampler=lambda n, rng, p: rng.normal(size=(n, 4)))
    w1, w2, w3, w4 = xs
    g = (w1, w2 + w1**2, w3 * sp.exp(w1 + w2), w4 + sp.sin(w3))
    ys = sp.symbols("v1:5", real=True)
    K = transform_joint(J, g, ys)
    assert K.derivation.jacobian.is_lower
    check_pointwise(J, K, g)


def test_supplied_inverse_is_used_and_checked():
    g = (sp.sqrt(x1**2 + x2**2), sp.atan2(x2, x1))
    K = transform_joint(NORMAL2, g, (r, th), inverse=(r * sp.cos(th), r * sp.sin(th)))
    assert "supplied" in " ".join(map(phrase, K.derivation.notes))
    with pytest.raises(NoClosedFormInverse, match="inverse"):
        transform_joint(NORMAL2, g, (r, th), inverse=(r * sp.sin(th), r * sp.cos(th)))


def test_unsolvable_map_raises_with_advice():
    with pytest.raises(NoClosedFormInverse, match="inverse="):
        transform_joint(NORMAL2, (x1 + sp.sin(x1) + sp.exp(x1 * x2), x2 + sp.cos(x1)), (y1, y2), timeout=30)


def test_wrong_dimension_raises():
    with pytest.raises(UnsupportedTransform, match="auxiliary"):
        transform_joint(NORMAL2, (x1 + x2,), (y1,))


# ------------------------------------------------------------------------------------------
# non-injective maps and compositions


def test_square_of_first_component_sums_two_branches():
    J = independent(st.Normal("X1", 0, 1), st.Normal("X2", 0, 1))
    K = transform_joint(J, (x1**2, x2), (y1, y2))
    assert len(K.derivation.pieces) == 2
    f = K.numpy()
    a = np.array([0.3, 2.0])
    np.testing.assert_allclose(f(a, a), stats.chi2(1).pdf(a) * stats.norm.pdf(a), rtol=1e-10)
    check_pointwise(J, K, (x1**2, x2), multiplicity=2)
    S = K.sample(100_000, np.random.default_rng(9))
    assert chi_square_2d(K, S) > 1e-3


def test_abs_of_first_component():
    J = independent(st.Normal("X1", 0, 1), st.Normal("X2", 0, 1))
    K = transform_joint(J, (sp.Abs(x1), x2), (y1, y2))
    f = K.numpy()
    assert f(np.array([1.0]), np.array([0.0]))[0] == pytest.approx(2 * stats.norm.pdf(1) * stats.norm.pdf(0))
    assert f(np.array([-1.0]), np.array([0.0]))[0] == 0
    assert total_mass_2d(K, ((0, 10), (-10, 10))) == pytest.approx(1, abs=1e-7)


def test_composition_keeps_each_step():
    J = independent(st.Exponential("X1", 1), st.Exponential("X2", 1))
    K1 = transform_joint(J, (2 * x1, x2), (y1, y2))
    s, t = sp.symbols("s t", real=True)
    K2 = transform_joint(K1, (y1 + y2, y2), (s, t))
    steps = K2.derivation.steps
    assert len(steps) == 2 and steps[0].y == (y1, y2) and steps[1].y == (s, t)
    assert "Step 2" in K2.derivation.text()
    check_pointwise(J, K2, (2 * x1 + x2, x2))


def test_independent_from_covar_densities_and_parameters():
    x = sp.Symbol("x", real=True)
    lam = sp.Symbol("lam", positive=True)
    X = covar.Density(lam * sp.exp(-lam * x), x, sp.Interval(0, sp.oo), validate=False)
    J = independent(X, X)
    assert J.vars[0].name == "x1" and J.vars[1].name == "x2"
    assert sp.simplify(J.pdf - lam**2 * sp.exp(-lam * (J.vars[0] + J.vars[1]))) == 0
    f = J.numpy()
    assert f(np.array([1.0]), np.array([-1.0]), lam=2.0)[0] == 0
    assert f(np.array([1.0]), np.array([0.5]), lam=2.0)[0] == pytest.approx(4 * np.exp(-3.0))
    with pytest.raises(CovarError, match="sampler"):
        JointDensity(J.pdf, J.vars, J.support).sample(10)


# ------------------------------------------------------------------------------------------
# the table: every joint result's symbolic pdf against an independent reference


def _normal_fx(X: np.ndarray) -> np.ndarray:
    return np.exp(-(X**2).sum(1) / 2) / (2 * np.pi) ** (X.shape[1] / 2)


def _unit_box_fx(X: np.ndarray) -> np.ndarray:
    return np.all((X > 0) & (X < 1), axis=1).astype(float)


def _exp12_fx(X: np.ndarray) -> np.ndarray:
    return np.where(np.all(X > 0, axis=1), 2 * np.exp(-X[:, 0] - 2 * X[:, 1]), 0.0)


_ID = lambda X: X  # noqa: E731
_FLIP1 = lambda X: X * np.array([-1.0, 1.0])  # noqa: E731
_N2 = lambda rng, n: rng.normal(size=(n, 2))  # noqa: E731
_U2 = lambda rng, n: rng.uniform(size=(n, 2))  # noqa: E731
_E12 = lambda rng, n: np.stack([rng.exponential(1, n), rng.exponential(0.5, n)], 1)  # noqa: E731
JOINT_TABLE = [
    # id, J, g, outputs, draw X, f_X, branch maps (all preimages of g(x)), mass box (or None), xfail
    ("polar", NORMAL2, (sp.sqrt(x1**2 + x2**2), sp.atan2(x2, x1)), (r, th), _N2, _normal_fx, [_ID],
     ((0, 12), (-np.pi, np.pi)), None),
    ("box-muller", JointDensity(sp.Integer(1), (x1, x2), (x1 > 0) & (x1 < 1) & (x2 > 0) & (x2 < 1)),
     (sp.sqrt(-2 * sp.log(x1)) * sp.cos(2 * sp.pi * x2), sp.sqrt(-2 * sp.log(x1)) * sp.sin(2 * sp.pi * x2)),
     (y1, y2), _U2, _unit_box_fx, [_ID], None, None),
    ("realnvp-coupling", NORMAL2, (x1, x2 * sp.exp(x1 / 2) + x1**2), (y1, y2), _N2, _normal_fx, [_ID], None, None),
    ("lognormal-2d", NORMAL2, (sp.exp(x1), sp.exp(x2)), (y1, y2), _N2, _normal_fx, [_ID], None, None),
    ("rotated-square", JointDensity(sp.Integer(1), (x1, x2), (x1 > 0) & (x1 < 1) & (x2 > 0) & (x2 < 1)),
     (x1 + x2, x1 - x2), (y1, y2), _U2, _unit_box_fx, [_ID], None, None),
    ("product-ratio-exp", JointDensity(2 * sp.exp(-x1 - 2 * x2), (x1, x2), (x1 > 0) & (x2 > 0)),
     (x1 * x2, x1 / x2), (y1, y2), _E12, _exp12_fx, [_ID], None, None),
    ("square-first", NORMAL2, (x1**2, x2), (y1, y2), _N2, _normal_fx, [_ID, _FLIP1],
     ((0, 60), (-12, 12)), None),
    ("abs-first", NORMAL2, (sp.Abs(x1), x2), (y1, y2), _N2, _normal_fx, [_ID, _FLIP1],
     ((0, 12), (-12, 12)), None),
    ("radius-squared-and-second", NORMAL2, (x1**2 + x2**2, x2), (y1, y2), _N2, _normal_fx, [_ID, _FLIP1],
     None, None),
]


@pytest.mark.parametrize("J,g,ys,draw,fx,branches,box", [
    pytest.param(*row[1:8], id=row[0], marks=[pytest.mark.xfail(strict=True, reason=row[8])] if row[8] else [])
    for row in JOINT_TABLE])
def test_joint_symbolic_pdf(J, g, ys, draw, fx, branches, box):
    """The symbolic K.pdf (mpmath) = the preimage sum f_X/|det J_g| (finite differences) = numpy()."""
    K = transform_joint(J, g, ys)
    G = vector_map(g, J.vars)
    X = draw(np.random.default_rng(11), 40)
    Y, want = reference.reference_joint_pdf(fx, G, X, branches)
    reference.check_joint(K, Y, want)
    if box is not None:
        assert reference.symbolic_mass_2d(K, box) == pytest.approx(1, abs=2e-5)
