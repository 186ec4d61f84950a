"""Random vectors, third session: marginals whose support is quadratic in the integrated variable
(x1**2 + x2**2 kept with x2), checked against laws computed without covar (scipy's families, or
quadrature of the joint density written in numpy), by mass and by a KS test of samples.
"""
from __future__ import annotations

import math
import time

import numpy as np
import pytest
import sympy as sp
from scipy import integrate, stats

import covar
from covar.errors import NoClosedForm, NoClosedFormInverse, VerificationFailed
from covar.flows import AffineCoupling, Elementwise, Flow
from covar.laws.joint import JointDensity
from covar.multivariate.marginal import term_limits
from covar.numeric.verify import verify
from covar.record import note_words

from test_vector_reach import _exp_law, _normal_law, _unif_law, check_marginal

x1, x2 = sp.symbols("x1 x2", real=True)
y1, y2 = sp.symbols("y1 y2", real=True)
X2, Y2 = (x1, x2), (y1, y2)


def _by_quadrature(joint, limits) -> callable:
    """s -> ∫ joint(s, t) dt over limits(s) = (lo, hi), by scipy quad: a marginal law computed
    from the joint density written by hand in numpy, without covar."""
    def law(s: np.ndarray) -> np.ndarray:
        out = []
        for v in np.atleast_1d(s):
            lo, hi = limits(float(v))
            out.append(integrate.quad(lambda t: joint(float(v), t), lo, hi, limit=400, epsabs=1e-13,
                                      epsrel=1e-11)[0] if lo < hi else 0.0)
        return np.array(out)
    return law


def _sqrt0(v: float) -> float:
    return math.sqrt(max(v, 0.0))


# Y1 = X1 + X2**2 of uniforms: f(a) = |{z in (0, 1): a - 1 < z**2 < a}|
def _unif_plus_square(s: np.ndarray) -> np.ndarray:
    return np.select([(s > 0) & (s < 1), (s >= 1) & (s < 2)], [np.sqrt(np.abs(s)), 1 - np.sqrt(np.abs(s - 1))], 0.0)


# Y1 = X1 - X2**2 of uniforms: f(a) = |{z in (0, 1): -a < z**2 < 1 - a}|
def _unif_minus_square(s: np.ndarray) -> np.ndarray:
    return np.select([(s > -1) & (s < 0), (s >= 0) & (s < 1)], [1 - np.sqrt(np.abs(s)), np.sqrt(np.abs(1 - s))], 0.0)


# Y1 = X1**2 + X2**2 of uniforms: joint of (r, z) is 1/(2 sqrt(r - z**2)) on 0 < z < 1, 0 < r - z**2 < 1
_unif_radius2 = _by_quadrature(lambda r, z: 0.5 / math.sqrt(r - z * z) if r > z * z else 0.0,
                               lambda r: (_sqrt0(r - 1), min(_sqrt0(r), 1.0)))
# Y1 = X1 / (1 + X2**2) of uniforms: joint of (a, z) is 1 + z**2 on 0 < z < 1, 0 < a (1 + z**2) < 1
_unif_shrunk = _by_quadrature(lambda a, z: 1 + z * z,
                              lambda a: (0.0, min(1.0, _sqrt0(1 / a - 1))) if a > 0 else (0.0, 0.0))
# Y1 = X1 + X2**2 of exponentials: joint of (a, z) is exp(-(a - z**2) - z) on 0 < z < sqrt(a)
_exp_plus_square = _by_quadrature(lambda a, z: math.exp(-(a - z * z) - z), lambda a: (0.0, _sqrt0(a)))
# Y1 = X1 * X2**2 of exponentials: joint of (a, z) is exp(-a / z**2 - z) / z**2 on z > 0
_exp_times_square = _by_quadrature(lambda a, z: math.exp(-a / (z * z) - z) / (z * z) if z > 0 else 0.0,
                                   lambda a: (0.0, math.inf) if a > 0 else (0.0, 0.0))

# id, joint law of X, map, kept variable, law of the kept component computed without covar, family
QUADRATIC_TABLE = [
    ("chi2-keep-x2", _normal_law(X2), (x1**2 + x2**2, x2), y1, stats.chi2(2).pdf, "ChiSquared"),
    ("chi2-keep-x1", _normal_law(X2), (x1**2 + x2**2, x1), y1, stats.chi2(2).pdf, "ChiSquared"),
    ("uniform-plus-square", _unif_law(X2), (x1 + x2**2, x2), y1, _unif_plus_square, None),
    ("uniform-minus-square", _unif_law(X2), (x1 - x2**2, x2), y1, _unif_minus_square, None),
    ("uniform-radius-squared", _unif_law(X2), (x1**2 + x2**2, x2), y1, _unif_radius2, None),
    ("uniform-over-one-plus-square", _unif_law(X2), (x1 / (1 + x2**2), x2), y1, _unif_shrunk, None),
    ("uniform-root-of-plus-square", _unif_law(X2), (sp.sqrt(x1 + x2**2), x2), y1,
     lambda s: 2 * s * _unif_plus_square(s**2), None),
    ("exponential-plus-square", _exp_law(X2), (x1 + x2**2, x2), y1, _exp_plus_square, None),
]


@pytest.mark.parametrize("J,g,keep,law,family", [pytest.param(*row[1:], id=row[0]) for row in QUADRATIC_TABLE])
def test_marginal_with_quadratic_support(J, g, keep, law, family):
    check_marginal(J, g, Y2, keep, law, family)


@pytest.mark.slow
def test_marginal_of_exponential_times_square_is_a_meijer_g():
    """Y1 = X1 * X2**2 of exponentials: the condition y1 / z**2 > 0 cleared of its denominator;
    the closed form is a Meijer G (numpy cannot compile it, so it is evaluated by sympy here)."""
    M = covar.transform(_exp_law(X2), (x1 * x2**2, x2), Y2).marginal(y1)
    assert M.closed_form and M.pdf.has(sp.meijerg)
    f = sp.lambdify(y1, M.pdf, "mpmath")
    probes = np.array([0.05, 0.3, 1.0, 2.5, 7.0])
    got = np.array([float(f(v)) for v in probes])
    np.testing.assert_allclose(got, _exp_times_square(probes), rtol=1e-7)
    mass = integrate.quad(lambda v: float(f(v)), 0, np.inf, limit=200)[0]
    assert abs(mass - 1) <= 1e-6


def test_chi_square_marginal_from_the_user_text():
    """The issue's example, as a user types it: the marginal of R = X1**2 + X2**2 is χ²(2)."""
    r = covar.transform("Normal(0,1) * Normal(0,1)", "x1**2 + x2**2, x2", "r, z")
    M = r.marginal("r")
    assert M.family is not None and M.family.name == "ChiSquared"
    rr = sp.Symbol("r", real=True)
    assert sp.simplify(M.pdf.xreplace({M.pdf.free_symbols.pop(): rr}) - sp.Piecewise(
        (0, rr < 0), (sp.exp(-rr / 2) / 2, True))) == 0


def test_quadratic_condition_gives_the_quadratic_formula_limits():
    r, z = sp.symbols("r z", real=True)
    (lim,) = term_limits(sp.Integer(1), (r > 0) & (r - z**2 >= 0), r, z)
    assert set(lim.s_constraints) == {r, 4 * r}
    assert {(b.coef, b.root) for b in lim.bounds} == {(1, -sp.sqrt(r)), (-1, sp.sqrt(r))}
    # A t**2 + ... with A > 0: every z where the discriminant is negative, else two rays
    assert len(term_limits(sp.Integer(1), z**2 + r > 0, r, z)) == 3
    # a perfect square is positive almost everywhere: one term, no bound
    (sq,) = term_limits(sp.Integer(1), (z - r) ** 2 > 0, r, z)
    assert sq.bounds == () and sq.s_constraints == ()
    # the sign of the leading coefficient taken as cases
    assert len(term_limits(sp.Integer(1), r * z**2 < 1, r, z)) == 4


def test_cubic_condition_is_refused_with_a_true_message():
    K = covar.transform(_unif_law(X2), (x1 + x2**3, x2), Y2)
    with pytest.raises(NoClosedForm, match="neither linear nor quadratic"):
        K.marginal(y1)


# ------------------------------------------------------------------------------------------
# order statistics of three iid variables: regions decided by linear programming, in seconds

x3, y3 = sp.symbols("x3 y3", real=True)
SORT3 = (sp.Min(x1, x2, x3), sp.Max(sp.Min(x1, x2), sp.Min(sp.Max(x1, x2), x3)), sp.Max(x1, x2, x3))


@pytest.mark.parametrize("law,keep,want", [
    ("exp", y3, lambda s: 3 * (1 - np.exp(-s)) ** 2 * np.exp(-s)),
    ("exp", y2, lambda s: 6 * (1 - np.exp(-s)) * np.exp(-2 * s)),
    ("unif", y1, stats.beta(1, 3).pdf),
    ("unif", y2, stats.beta(2, 2).pdf),
], ids=["max-exp", "middle-exp", "min-unif", "middle-unif"])
def test_order_statistics_of_three_take_seconds(law, keep, want):
    """The sorted triple's joint and one marginal in at most 3 s of CPU (they took ~9-12 s when
    every region condition went through sympy's logic simplifier)."""
    J = {"exp": _exp_law, "unif": _unif_law}[law]((x1, x2, x3))
    started = time.process_time()
    K = covar.transform(J, SORT3, (y1, y2, y3))
    M = K.marginal(keep)
    spent = time.process_time() - started
    assert spent <= 3.0, f"{spent:.1f} s of CPU"
    assert "smooth on 6 regions" in note_words(K.derivation.notes[0])
    probes = np.array([0.1, 0.35, 0.6, 0.85])
    got = np.array([float(M.pdf.subs(keep, v)) for v in probes])
    np.testing.assert_allclose(got, want(probes), rtol=1e-9)


# ------------------------------------------------------------------------------------------
# the gate on a saturating tanh flow: mass piled against the faces of the cube (-1, 1)^3


def _tanh_flow(scale: sp.Expr) -> tuple:
    z = (x1, x2, x3)
    c = AffineCoupling((1, 0, 0), s=(scale, x1 / 3), t=(2 * x1, 1 - x1), inputs=z)
    return tuple(Flow((c, Elementwise("tanh", dim=3))).forward)


def test_saturating_tanh_flow_passes_the_gate_in_face_coordinates():
    """With s = x1, ~0.3 % of the samples of Y2 are 1.0 in float; the binned test integrates in
    u = atanh(y) and passes."""
    g = _tanh_flow(x1)
    K = covar.transform(_normal_law((x1, x2, x3)), g, (y1, y2, y3))
    assert "binned chi-square" in note_words(K.derivation.notes[-1])
    X = np.random.default_rng(3).normal(size=(20_000, 3))
    Y2 = np.tanh(2 * X[:, 0] + X[:, 1] * np.exp(X[:, 0]))
    assert np.mean(np.abs(Y2) == 1.0) > 0.001  # the case is what it says: samples on the faces


@pytest.mark.parametrize("scale", [x1, x1 / 2], ids=["s=x1", "s=x1/2"])
@pytest.mark.parametrize("tilt", [y1, y2, y1 * y2], ids=["y1", "y2", "y1*y2"])
def test_gate_refuses_a_tilted_density_of_the_tanh_flow(scale, tilt):
    """The right density times (1 + tilt/20) (mass still 1 for the odd tilts) is refused."""
    K = covar.transform(_normal_law((x1, x2, x3)), _tanh_flow(scale), (y1, y2, y3))
    factor = 1 + tilt / 20
    wrong = JointDensity(K.pdf * factor, K.vars, K.support, None, tuple((e * factor, c) for e, c in K.terms),
                         K.sampler)
    with pytest.raises(VerificationFailed):
        verify(wrong, "a deliberately wrong density")


# ------------------------------------------------------------------------------------------
# a user-supplied list of inverse branches for a smooth map that is not injective

RADIUS_MAP = "x1**2 + x2**2, x2"


def test_supplied_branches_of_a_two_to_one_map_give_the_chi_square_marginal():
    r = covar.transform("Normal(0,1) * Normal(0,1)", RADIUS_MAP, "r, z",
                        inverse=[("sqrt(r - z**2)", "z"), ("-sqrt(r - z**2)", "z")])
    assert "binned chi-square" in note_words(r.derivation.notes[-1])
    M = r.marginal("r")
    assert M.family is not None and M.family.name == "ChiSquared"


@pytest.mark.parametrize("branches", [
    [("sqrt(r - z**2)", "z")],                                   # one branch missing
    [("sqrt(r - z**2)", "z"), ("sqrt(r - z**2)", "z")],          # one branch twice
    [("sqrt(r - z**2)", "z"), ("-sqrt(r - z**2)", "-z")],        # a branch that is no inverse
], ids=["missing", "doubled", "not-an-inverse"])
def test_a_wrong_list_of_branches_is_refused(branches):
    with pytest.raises(NoClosedFormInverse, match="supplied by the user"):
        covar.transform("Normal(0,1) * Normal(0,1)", RADIUS_MAP, "r, z", inverse=branches)
