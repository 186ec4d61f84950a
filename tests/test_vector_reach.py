"""Random vectors beyond bijections: maps split into smooth regions (order statistics, leaky
ReLU, |x|), user-supplied inverse branches, flow stacks written as one map, and marginals of
three or more variables.

Every joint result is checked against the independent reference (tests/reference.py: the
preimage sum f_X / |det J_g| with finite-difference Jacobians, evaluated with the branch maps
each row states) at points of g(X), and against samples of g(X) drawn with numpy (orthant
frequencies, up to three dimensions). Every marginal is checked against its known law pointwise, by its total mass and
by a KS test of samples of the component.
"""
from __future__ import annotations

import math
import time

import numpy as np
import pytest
import sympy as sp
from scipy import stats

from covar.render.text import phrase
import covar
from covar.errors import NoClosedFormInverse, UnsupportedTransform
from covar.flows import AffineCoupling, Elementwise, Flow, Permutation
from covar.laws.joint import JointDensity

import reference

x1, x2, x3, x4 = sp.symbols("x1 x2 x3 x4", real=True)
y1, y2, y3, y4 = sp.symbols("y1 y2 y3 y4", real=True)
a = sp.Symbol("a", positive=True)
X2, X3 = (x1, x2), (x1, x2, x3)


_DERIVED: dict[tuple, JointDensity] = {}


def derived(J: JointDensity, g: tuple, ys: tuple) -> JointDensity:
    """covar.transform(J, g, ys), derived once per test process for the same law and map: the
    order statistics of three variables (six regions, about 9 s of CPU each) are checked here
    and in test_vector_more, jointly and through each marginal. Results are immutable records,
    so sharing one between tests changes nothing they check."""
    key = (J.pdf, tuple(J.vars), J.support, tuple(g), tuple(ys))
    if key not in _DERIVED:
        _DERIVED[key] = covar.transform(J, g, ys)
    return _DERIVED[key]


def _exp_law(xs: tuple) -> JointDensity:
    return JointDensity(sp.exp(-sum(xs)), xs, sp.And(*[v > 0 for v in xs]),
                        sampler=lambda n, rng, p: rng.exponential(1.0, (n, len(xs))))


def _unif_law(xs: tuple) -> JointDensity:
    return JointDensity(sp.Integer(1), xs, sp.And(*[(v > 0) & (v < 1) for v in xs]),
                        sampler=lambda n, rng, p: rng.uniform(0, 1, (n, len(xs))))


def _normal_law(xs: tuple) -> JointDensity:
    d = len(xs)
    return JointDensity(sp.exp(-sum(v**2 for v in xs) / 2) / (2 * sp.pi) ** sp.Rational(d, 2), xs, True,
                        sampler=lambda n, rng, p: rng.normal(size=(n, d)))


def _gamma_law(xs: tuple, shapes: tuple) -> JointDensity:
    pdf = sp.Mul(*[v ** (k - 1) * sp.exp(-v) / sp.gamma(k) for v, k in zip(xs, shapes)])
    return JointDensity(pdf, xs, sp.And(*[v > 0 for v in xs]),
                        sampler=lambda n, rng, p: np.stack([rng.gamma(float(k), size=n) for k in shapes], -1))


# numpy densities and draws of X, independent of covar
def _fx_exp(X: np.ndarray) -> np.ndarray:
    return np.where(np.all(X > 0, axis=1), np.exp(-X.sum(1)), 0.0)


def _fx_unif(X: np.ndarray) -> np.ndarray:
    return np.all((X > 0) & (X < 1), axis=1).astype(float)


def _fx_normal(X: np.ndarray) -> np.ndarray:
    return np.exp(-(X**2).sum(1) / 2) / (2 * np.pi) ** (X.shape[1] / 2)


_DRAW = {"exp": lambda rng, n, d: rng.exponential(1.0, (n, d)),
         "unif": lambda rng, n, d: rng.uniform(0, 1, (n, d)),
         "normal": lambda rng, n, d: rng.normal(size=(n, d))}
_FX = {"exp": _fx_exp, "unif": _fx_unif, "normal": _fx_normal}
_LAW = {"exp": _exp_law, "unif": _unif_law, "normal": _normal_law}


def _permutations(d: int) -> list:
    """Branch maps for a map symmetric under every permutation of the coordinates."""
    import itertools

    return [(lambda X, p=p: X[:, list(p)]) for p in itertools.permutations(range(d))]


def _sign_flips(cols: tuple) -> list:
    import itertools

    out = []
    for signs in itertools.product((1.0, -1.0), repeat=len(cols)):
        def flip(X: np.ndarray, signs: tuple = signs) -> np.ndarray:
            Y = X.copy()
            for c, s in zip(cols, signs):
                Y[:, c] *= s
            return Y
        out.append(flip)
    return out


_ID = [lambda X: X]
_SWAP_SUM = [lambda X: X, lambda X: X[:, ::-1]]


def _leaky(v: sp.Expr, slope: sp.Expr) -> sp.Expr:
    return sp.Piecewise((v, v > 0), (slope * v, True))


def _flow_4d() -> tuple[tuple, tuple]:
    """Two affine couplings, a permutation and an elementwise exp, composed into one map."""
    z = sp.symbols("x1:5", real=True)
    c1 = AffineCoupling((1, 1, 0, 0), s=(sp.tanh(z[0]), z[1] / 2), t=(z[0] * z[1], z[1] ** 2), inputs=z)
    c2 = AffineCoupling((1, 1, 0, 0), s=(z[0] / 3, sp.tanh(z[1])), t=(z[1], -z[0]), inputs=z)
    flow = Flow((c1, Permutation((2, 3, 0, 1)), c2, Elementwise("exp", dim=4)))
    return z, tuple(flow.forward)


def _flow_3d() -> tuple[tuple, tuple]:
    """Coupling, reversal, coupling and an elementwise tanh in 3-D, composed into one map."""
    z = sp.symbols("x1:4", real=True)
    c1 = AffineCoupling((1, 0, 0), s=(z[0] / 4, -z[0] / 4), t=(z[0] / 2, sp.sin(z[0]) / 2), inputs=z)
    c2 = AffineCoupling((1, 1, 0), s=(z[0] * z[1] / 10,), t=((z[0] - z[1]) / 2,), inputs=z)
    flow = Flow((c1, Permutation((2, 1, 0)), c2, Elementwise("tanh", dim=3)))
    return z, tuple(flow.forward)


TEXT_MAPS = {("Max(x1, x2)", "Min(x1, x2)"): (sp.Max(x1, x2), sp.Min(x1, x2))}  # the same maps as sympy
Z4, FLOW4 = _flow_4d()
Z3, FLOW3 = _flow_3d()
SORT3_MIDDLE = sp.Max(sp.Min(x1, x2), sp.Min(sp.Max(x1, x2), x3))

# id, law kind, variables, map, outputs, branch maps of the reference, parameters, inverse=
JOINT_TABLE = [
    ("minmax-exponential", "exp", X2, (sp.Min(x1, x2), sp.Max(x1, x2)), (y1, y2), _SWAP_SUM, {}, None),
    ("minmax-uniform", "unif", X2, (sp.Min(x1, x2), sp.Max(x1, x2)), (y1, y2), _SWAP_SUM, {}, None),
    ("minmax-normal", "normal", X2, (sp.Min(x1, x2), sp.Max(x1, x2)), (y1, y2), _SWAP_SUM, {}, None),
    ("maxmin-normal", "normal", X2, (sp.Max(x1, x2), sp.Min(x1, x2)), (y1, y2), _SWAP_SUM, {}, None),
    ("min-and-sum-exponential", "exp", X2, (sp.Min(x1, x2), x1 + x2), (y1, y2), _SWAP_SUM, {}, None),
    ("sorted-triple-exponential", "exp", X3, (sp.Min(x1, x2, x3), SORT3_MIDDLE, sp.Max(x1, x2, x3)),
     (y1, y2, y3), _permutations(3), {}, None),
    ("sorted-triple-uniform", "unif", X3,
     (sp.Min(x1, x2, x3), x1 + x2 + x3 - sp.Min(x1, x2, x3) - sp.Max(x1, x2, x3), sp.Max(x1, x2, x3)),
     (y1, y2, y3), _permutations(3), {}, None),
    ("leaky-relu-2d", "normal", X2, (_leaky(x1, sp.Rational(1, 4)), _leaky(x2, sp.Rational(1, 4))), (y1, y2),
     _ID, {}, None),
    ("leaky-relu-3d-symbolic-slope", "normal", X3, tuple(_leaky(v, a) for v in X3), (y1, y2, y3), _ID,
     {"a": 0.3}, None),
    ("abs-both-normal", "normal", X2, (sp.Abs(x1), sp.Abs(x2)), (y1, y2), _sign_flips((0, 1)), {}, None),
    ("abs-difference-and-sum", "normal", X2, (sp.Abs(x1 - x2), x1 + x2), (y1, y2), _SWAP_SUM, {}, None),
    ("abs-first-exponential-shift", "exp", X2, (sp.Abs(x1 - 1), x2), (y1, y2),
     [lambda X: X, lambda X: np.c_[2 - X[:, 0], X[:, 1]]], {}, None),
    ("supplied-branches-minmax", "exp", X2, (sp.Min(x1, x2), sp.Max(x1, x2)), (y1, y2), _SWAP_SUM, {},
     [(y1, y2), (y2, y1)]),
    ("supplied-branches-text", "normal", X2, ("Max(x1, x2)", "Min(x1, x2)"), ("y1", "y2"), _SWAP_SUM, {},
     [("y1", "y2"), ("y2", "y1")]),
    ("flow-3d-as-one-map", "normal", Z3, FLOW3, (y1, y2, y3), _ID, {}, None),
    ("flow-4d-as-one-map", "normal", Z4, FLOW4, (y1, y2, y3, y4), _ID, {}, None),
]


def _orthant_check(K, samples: np.ndarray, params: dict) -> None:
    """Frequencies of g(X) in the orthants around the sample medians (inside a box holding most
    samples) against the symbolic pdf integrated over them by quasi-Monte Carlo."""
    d = samples.shape[1]
    lo, hi = np.quantile(samples, 0.005, axis=0), np.quantile(samples, 0.995, axis=0)
    mid = np.median(samples, axis=0)
    f = reference.fast_symbolic(K, params)
    fv = np.vectorize(lambda *u: f(*u), otypes=[float])
    pts = stats.qmc.Sobol(d, seed=3).random(2 ** 14) * (hi - lo) + lo
    vals = fv(*pts.T)
    assert np.all(np.isfinite(vals)), "the symbolic pdf is not finite inside the sample box"
    volume = float(np.prod(hi - lo))
    inside = np.all((samples >= lo) & (samples <= hi), axis=1)
    for code in range(2 ** d):
        side = np.array([(code >> k) & 1 for k in range(d)], dtype=bool)
        in_pts = np.all((pts > mid) == side, axis=1)
        in_smp = inside & np.all((samples > mid) == side, axis=1)
        want = in_smp.mean()
        got = vals[in_pts].sum() * volume / len(pts)
        assert abs(got - want) <= 0.02 + 0.06 * want, (
            f"orthant {side}: the pdf gives {got:.4f}, samples of g(X) {want:.4f}")


@pytest.mark.parametrize("kind,xs,g,ys,branches,params,inverse",
                         [pytest.param(*row[1:], id=row[0]) for row in JOINT_TABLE])
def test_joint_reach(kind, xs, g, ys, branches, params, inverse):
    J = _LAW[kind](xs)
    K = covar.transform(J, g, ys, inverse=inverse) if inverse is not None else derived(J, g, ys)
    exprs = [reference.bind(e, params) for e in TEXT_MAPS.get(g, g)]
    f = sp.lambdify(xs, exprs, "numpy")

    def G(X: np.ndarray) -> np.ndarray:
        return np.stack(np.broadcast_arrays(*f(*X.T)), axis=-1).astype(float)

    rng = np.random.default_rng(17)
    X = _DRAW[kind](rng, 40, len(xs))
    Y, want = reference.reference_joint_pdf(_FX[kind], G, X, branches)
    reference.check_joint(K, Y, want, params)
    if len(xs) <= 3:  # quasi-Monte Carlo over a 4-D box of a heavy-tailed law is too coarse
        _orthant_check(K, G(_DRAW[kind](rng, 40_000, len(xs))), params)


def test_order_statistics_have_the_textbook_form():
    K = derived(_exp_law(X3), (sp.Min(x1, x2, x3), SORT3_MIDDLE, sp.Max(x1, x2, x3)), (y1, y2, y3))
    assert sp.simplify(K.pdf.args[0][0] - 6 * sp.exp(-y1 - y2 - y3)) == 0
    assert sp.simplify(K.support) == sp.And(y1 > 0, y1 < y2, y2 < y3)
    U = covar.transform(_unif_law(X2), (sp.Min(x1, x2), sp.Max(x1, x2)), (y1, y2))
    assert U.pdf.args[0][0] == 2


def test_flow_stack_as_one_map_is_solved_variable_by_variable_in_seconds():
    started = time.process_time()
    K = covar.transform(_normal_law(Z4), FLOW4, (y1, y2, y3, y4))
    assert time.process_time() - started < 20
    assert "variable by variable" in " ".join(map(phrase, K.derivation.notes))


def test_supplied_branches_are_each_checked():
    J = _exp_law(X2)
    with pytest.raises(NoClosedFormInverse, match="supplied"):
        covar.transform(J, (sp.Min(x1, x2), sp.Max(x1, x2)), (y1, y2), inverse=[(y1, y2)])
    with pytest.raises(NoClosedFormInverse, match="supplied"):
        covar.transform(J, (sp.Min(x1, x2), sp.Max(x1, x2)), (y1, y2), inverse=[(y1, y2), (y2, y1 + 1)])


def test_degenerate_region_is_refused_with_the_reason():
    with pytest.raises(UnsupportedTransform, match="Jacobian is 0"):
        covar.transform(_normal_law(X2), (sp.Max(x1, x2), x2), (y1, y2))


# ------------------------------------------------------------------------------------------
# marginals of three or more variables


def _irwin_hall(s: np.ndarray) -> np.ndarray:
    return np.select([(s > 0) & (s < 1), (s >= 1) & (s < 2), (s >= 2) & (s < 3)],
                     [s**2 / 2, -s**2 + 3 * s - 1.5, (3 - s) ** 2 / 2], 0.0)


G3 = (2, 3, sp.Rational(3, 2))
SHARE = (x1 / (x1 + x2 + x3), x2 / (x1 + x2 + x3), x1 + x2 + x3)
SUM3 = (x1 + x2 + x3, x2, x3)
# id, joint law, map, outputs, kept variable, reference law (scipy), family name or None
MARGINAL_TABLE = [
    ("irwin-hall", _unif_law(X3), SUM3, (y1, y2, y3), y1, _irwin_hall, None),
    ("sum-of-three-exponentials", _exp_law(X3), SUM3, (y1, y2, y3), y1, stats.gamma(3).pdf, "Gamma"),
    ("dirichlet-first-share", _gamma_law(X3, G3), SHARE, (y1, y2, y3), y1, stats.beta(2, 4.5).pdf, "Beta"),
    ("dirichlet-second-share", _gamma_law(X3, G3), SHARE, (y1, y2, y3), y2, stats.beta(3, 3.5).pdf, "Beta"),
    ("dirichlet-total", _gamma_law(X3, G3), SHARE, (y1, y2, y3), y3, stats.gamma(6.5).pdf, "Gamma"),
    ("minimum-of-three-exponentials", _exp_law(X3),
     (sp.Min(x1, x2, x3), SORT3_MIDDLE, sp.Max(x1, x2, x3)), (y1, y2, y3), y1, stats.expon(scale=1 / 3).pdf,
     "Exponential"),
]


def _cdf_of(M) -> callable:
    """The CDF of a univariate symbolic pdf by the midpoint rule on a fine grid (no node at an
    end of the support, where a density such as -log(s) is infinite)."""
    f = reference.fast_symbolic(M)
    lo = float(M.support.inf) if M.support.inf.is_finite else -40.0
    hi = float(M.support.sup) if M.support.sup.is_finite else 60.0
    grid = np.linspace(lo, hi, 20_001)
    mids = (grid[:-1] + grid[1:]) / 2
    cum = np.concatenate([[0.0], np.cumsum([f(t) for t in mids]) * (grid[1] - grid[0])])
    return lambda t: np.interp(t, grid, cum)


def check_marginal(J, g, ys, keep, law, family, samples: int = 60_000, seed: int = 5):
    """The marginal of ``keep`` under g(X): closed form, its family, pointwise against ``law``
    (computed without covar), mass 1, and a KS test of samples of the component; returned."""
    K = derived(J, g, ys)
    M = K.marginal(keep)
    assert M.closed_form and M.pdf is not None
    if family is not None:
        assert M.family is not None and M.family.name == family, M.family
    column = list(ys).index(keep)
    X = J.sampler(samples, np.random.default_rng(seed), {})
    s = np.asarray(np.broadcast_to(sp.lambdify(J.vars, g[column], "numpy")(*X.T), (len(X),)), dtype=float)
    probes = reference.probe_points(s, 11)
    reference.assert_close(reference.symbolic_pdf_values(M, probes), law(probes), probes,
                           "marginal vs its law computed without covar", rtol=1e-7)
    reference.assert_mass_one(M, {}, 1e-6)
    assert stats.kstest(s[:20_000], _cdf_of(M)).pvalue > 1e-3
    assert not math.isnan(float(reference.symbolic_pdf_values(M, [float(np.median(s))])[0]))
    return M


@pytest.mark.parametrize("J,g,ys,keep,law,family", [pytest.param(*row[1:], id=row[0])
                                                     for row in MARGINAL_TABLE])
def test_marginal_of_three_variables(J, g, ys, keep, law, family):
    check_marginal(J, g, ys, keep, law, family)
