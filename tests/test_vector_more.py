"""More random vectors: marginals of held-out kinds (sums, differences and extremes of three
independent variables, order statistics, Gamma shares, products, mixed sums) and flows with a
saturating tanh layer written as one map.

Each marginal is checked against a law computed without covar (a textbook density, or scipy
quadrature of the convolution), by its total mass, and by a KS test of samples of the
component drawn with numpy. Each joint result is checked against the preimage sum with
finite-difference Jacobians at points of g(X), and the change of variables in the latent
space: f_Y(g(x)) |det J_g(x)| = f_X(x) at samples x of X.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from scipy import integrate, stats

import covar
from covar.flows import AffineCoupling, Elementwise, Flow
from covar.laws.joint import JointDensity

import reference
from test_vector_reach import SORT3_MIDDLE, _exp_law, check_marginal, _gamma_law, _normal_law, _unif_law

x1, x2, x3 = sp.symbols("x1 x2 x3", real=True)
y1, y2, y3 = sp.symbols("y1 y2 y3", real=True)
X2, X3, Y2, Y3 = (x1, x2), (x1, x2, x3), (y1, y2), (y1, y2, y3)
SORT3 = (sp.Min(x1, x2, x3), SORT3_MIDDLE, sp.Max(x1, x2, x3))


def _rates_law(rates: tuple) -> JointDensity:
    """Independent exponentials with the given rates."""
    pdf = sp.Mul(*[r * sp.exp(-r * v) for v, r in zip(X3, rates)])
    return JointDensity(pdf, X3, sp.And(*[v > 0 for v in X3]),
                        sampler=lambda n, rng, p: np.stack([rng.exponential(1 / float(r), n) for r in rates], -1))


def _uniform_and_exponential() -> JointDensity:
    return JointDensity(sp.exp(-x2), X2, (x1 > 0) & (x1 < 1) & (x2 > 0),
                        sampler=lambda n, rng, p: np.c_[rng.uniform(0, 1, n), rng.exponential(1.0, n)])


def _irwin_hall(s: np.ndarray) -> np.ndarray:
    return np.select([(s > 0) & (s < 1), (s >= 1) & (s < 2), (s >= 2) & (s < 3)],
                     [s**2 / 2, -s**2 + 3 * s - 1.5, (3 - s) ** 2 / 2], 0.0)


def _gamma2_minus_exp(s: np.ndarray) -> np.ndarray:
    """The density of (X1 + X2) - X3 for three Exp(1): quadrature of the convolution of a
    Gamma(2) with a reflected Exp(1)."""
    return np.array([integrate.quad(lambda e, t=t: stats.gamma(2).pdf(t + e) * math.exp(-e),
                                    max(0.0, -t), np.inf)[0] for t in np.atleast_1d(s)])


def _uniform_plus_exp(s: np.ndarray) -> np.ndarray:
    return np.where(s > 0, np.exp(-s) * (np.exp(np.minimum(s, 1.0)) - 1.0), 0.0)


# id, joint law, map, kept variable, reference pdf, family name or None
TABLE = [
    ("sum-three-exponentials-rates-1-2-3", _rates_law((1, 2, 3)), (x1 + x2 + x3, x2, x3), y1,
     lambda s: 3 * np.exp(-s) - 6 * np.exp(-2 * s) + 3 * np.exp(-3 * s), None),
    ("sum-minus-one-three-exponentials", _exp_law(X3), (x1 + x2 - x3, x2, x3), y1, _gamma2_minus_exp, None),
    ("difference-of-two-exponentials", _exp_law(X2), (x1 - x2, x2), y1, stats.laplace.pdf, None),
    ("alternating-sum-three-uniforms", _unif_law(X3), (x1 - x2 + x3, x2, x3), y1,
     lambda s: _irwin_hall(s + 1), None),
    ("max-three-exponentials", _exp_law(X3), SORT3, y3, lambda s: 3 * (1 - np.exp(-s)) ** 2 * np.exp(-s), None),
    ("middle-three-exponentials", _exp_law(X3), SORT3, y2, lambda s: 6 * (1 - np.exp(-s)) * np.exp(-2 * s), None),
    ("min-three-uniforms-beta-1-3", _unif_law(X3), SORT3, y1, stats.beta(1, 3).pdf, "Beta"),
    ("middle-three-uniforms-beta-2-2", _unif_law(X3), SORT3, y2, stats.beta(2, 2).pdf, "Beta"),
    ("max-three-uniforms-beta-3-1", _unif_law(X3), SORT3, y3, stats.beta(3, 1).pdf, "Beta"),
    ("gamma-share-beta", _gamma_law(X2, (2, sp.Rational(3, 2))), (x1 / (x1 + x2), x1 + x2), y1,
     stats.beta(2, 1.5).pdf, "Beta"),
    ("gamma-total-of-share-map", _gamma_law(X2, (2, sp.Rational(3, 2))), (x1 / (x1 + x2), x1 + x2), y2,
     stats.gamma(3.5).pdf, "Gamma"),
    ("product-of-two-uniforms", _unif_law(X2), (x1 * x2, x2), y1, lambda s: -np.log(s), None),
    ("uniform-plus-exponential", _uniform_and_exponential(), (x1 + x2, x2), y1, _uniform_plus_exp, None),
    ("sum-three-uniforms-kept-second", _unif_law(X3), (x2, x1 + x2 + x3, x3), y2, _irwin_hall, None),
]


def _marks(g: tuple) -> tuple:
    """Sorting three variables splits x-space into six regions: about 9 s of CPU per transform."""
    return (pytest.mark.slow,) if g is SORT3 else ()


@pytest.mark.parametrize("J,g,keep,law,family", [pytest.param(*row[1:], id=row[0], marks=_marks(row[2]))
                                                 for row in TABLE])
def test_marginal_of_held_out_kind(J, g, keep, law, family):
    check_marginal(J, g, Y3[: len(g)], keep, law, family, samples=40_000, seed=11)


# ------------------------------------------------------------------------------------------
# a flow written as one map: a saturating tanh layer


def _latent_check(K, xs: tuple, g: tuple, rng: np.random.Generator, n: int = 30) -> None:
    """f_Y(g(x)) |det J_g(x)| = f_X(x) at samples x of a standard normal X (g injective), the
    Jacobian by finite differences and f_Y evaluated by sympy from the printed pdf."""
    d = len(xs)
    f = sp.lambdify(xs, list(g), "numpy")

    def G(X: np.ndarray) -> np.ndarray:
        return np.stack(np.broadcast_arrays(*f(*X.T)), axis=-1).astype(float)

    X = rng.normal(size=(n, d))
    Y = G(X)
    keep = np.all(np.abs(Y) < 1 - 1e-6, axis=1) | ~np.any([e.has(sp.tanh) for e in g])
    X, Y = X[keep], Y[keep]
    assert len(X) >= n // 2
    log_det = np.log(np.abs(np.linalg.det(reference.jacobian_fd(G, X))))
    log_fx = -0.5 * (X**2).sum(1) - d / 2 * math.log(2 * math.pi)
    got = np.log(reference.symbolic_pdf_values(K, Y))
    assert np.all(np.abs(got + log_det - log_fx) <= 1e-5), np.max(np.abs(got + log_det - log_fx))


def _tanh_flow_3d() -> tuple:
    """An affine coupling whose scales grow with x1, then an elementwise tanh: the image is the
    cube (-1, 1)^3 with most of the mass piled against its faces."""
    z = X3
    c = AffineCoupling((1, 0, 0), s=(x1 / 2, x1 / 3), t=(2 * x1, 1 - x1), inputs=z)
    return tuple(Flow((c, Elementwise("tanh", dim=3))).forward)


def test_tanh_flow_3d_passes_the_gate_and_the_latent_check():
    g = _tanh_flow_3d()
    K = covar.transform(_normal_law(X3), g, Y3)
    assert "binned chi-square" in " ".join(map(str, K.derivation.notes[-1]))
    _latent_check(K, X3, g, np.random.default_rng(2))


def test_saturating_tanh_flow_3d_with_scale_x1_passes_the_gate_and_the_latent_check():
    """s = (x1, x1/3): ~0.3 % of the samples round onto the cube's faces; the gate bins in atanh
    coordinates."""
    c = AffineCoupling((1, 0, 0), s=(x1, x1 / 3), t=(2 * x1, 1 - x1), inputs=X3)
    g = tuple(Flow((c, Elementwise("tanh", dim=3))).forward)
    K = covar.transform(_normal_law(X3), g, Y3)
    assert "binned chi-square" in " ".join(map(str, K.derivation.notes[-1]))
    _latent_check(K, X3, g, np.random.default_rng(2))

