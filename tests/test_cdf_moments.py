"""Y.cdf, Y.cdf_numpy(), Y.mean, Y.variance, Y.moment(k): checked against samples of g(X) drawn
with numpy/scipy (empirical CDF, Monte Carlo moments) and against the symbolic pdf (quadrature)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy import integrate, stats

import covar
from covar.univariate.cdf import confirm
from reference import bind, fast_symbolic

Sampler = Callable[[np.random.Generator, int, dict], np.ndarray]


@dataclass(frozen=True)
class Problem:
    """X (text), g (text), parameter values, X sampled with numpy/scipy, g in numpy."""

    name: str
    density: str
    g: str
    sample_x: Sampler
    g_np: Callable[[np.ndarray], np.ndarray]
    params: dict = field(default_factory=dict)
    closed: bool = True          # a closed-form CDF is expected
    moments: tuple[int, ...] = (1, 2)  # orders checked by Monte Carlo (finite 2k-th moment)
    pmf_input: bool = False


def _scipy(dist: Callable[[dict], object]) -> Sampler:
    return lambda rng, n, p: np.asarray(dist(p).rvs(n, random_state=rng), dtype=float)  # type: ignore[attr-defined]


N01 = _scipy(lambda p: stats.norm(0, 1))
PROBLEMS = [
    Problem("exp-scale", "Exponential(1)", "2*x", _scipy(lambda p: stats.expon()), lambda x: 2 * x),
    Problem("normal-square", "Normal(0, 1)", "x**2", N01, lambda x: x ** 2),
    Problem("uniform-square-cells", "Uniform(-1, 2)", "x**2", _scipy(lambda p: stats.uniform(-1, 3)), lambda x: x ** 2),
    Problem("relu-atom", "Normal(0, 1)", "Max(0, x)", N01, lambda x: np.maximum(0, x)),
    Problem("clip-two-atoms", "Normal(0, 1)", "Min(Max(x, -1), 1)", N01, lambda x: np.clip(x, -1, 1)),
    Problem("abs-normal", "Normal(0, 1)", "Abs(x)", N01, np.abs),
    Problem("lognormal-params", "Normal(mu, sigma)", "exp(x)",
            _scipy(lambda p: stats.norm(p["mu"], p["sigma"])), np.exp, {"mu": 0.3, "sigma": 0.45}),
    Problem("expgamma-params", "Gamma(alpha, beta)", "log(x)",
            _scipy(lambda p: stats.gamma(p["alpha"], scale=1 / p["beta"])), np.log, {"alpha": 2.5, "beta": 1.5}),
    Problem("exp-sqrt-rate", "Exponential(rate)", "sqrt(x)",
            _scipy(lambda p: stats.expon(scale=1 / p["rate"])), np.sqrt, {"rate": 1.7}),
    Problem("cauchy-reciprocal", "Cauchy(0, 1)", "1/x", _scipy(lambda p: stats.cauchy()), lambda x: 1 / x,
            moments=()),
    Problem("uniform-neglog", "Uniform(0, 1)", "-log(x)", _scipy(lambda p: stats.uniform()), lambda x: -np.log(x)),
    Problem("beta-reflect", "Beta(2, 3)", "1 - x", _scipy(lambda p: stats.beta(2, 3)), lambda x: 1 - x),
    Problem("laplace-cube", "Laplace(0, 1)", "x**3", _scipy(lambda p: stats.laplace()), lambda x: x ** 3),
    Problem("logistic-exp", "Logistic(0, 1)", "exp(x)", _scipy(lambda p: stats.logistic()), np.exp, moments=()),
    Problem("pareto-log", "Pareto(1, 3)", "log(x)", _scipy(lambda p: stats.pareto(3)), np.log),
    Problem("weibull-square", "Weibull(1, 2)", "x**2", _scipy(lambda p: stats.weibull_min(2)), lambda x: x ** 2),
    Problem("chi2-sqrt", "ChiSquared(3)", "sqrt(x)", _scipy(lambda p: stats.chi2(3)), np.sqrt),
    Problem("uniform-sin-three-pieces", "Uniform(0, 6)", "sin(x)", _scipy(lambda p: stats.uniform(0, 6)), np.sin),
    Problem("uniform-shift-params", "Uniform(a, b)", "x - a",
            _scipy(lambda p: stats.uniform(p["a"], p["b"] - p["a"])), lambda x: x + 0.4, {"a": -0.4, "b": 1.3}),
    Problem("numeric-only", "Uniform(0, 1)", "x + sin(x)/2", _scipy(lambda p: stats.uniform()),
            lambda x: x + np.sin(x) / 2, closed=False),
    Problem("poisson-min-pmf", "Poisson(2)", "Min(x, 3)", _scipy(lambda p: stats.poisson(2)),
            lambda x: np.minimum(x, 3), pmf_input=True),
    Problem("binomial-square-pmf", "Binomial(4, 1/3)", "(x - 2)**2", _scipy(lambda p: stats.binom(4, 1 / 3)),
            lambda x: (x - 2) ** 2, pmf_input=True),
    Problem("geometric-pmf-input", "Geometric(p)", "", _scipy(lambda p: stats.geom(p["p"])), lambda x: x,
            {"p": 0.35}, pmf_input=True),
    Problem("gamma-input-params", "Gamma(alpha, beta)", "", _scipy(lambda p: stats.gamma(p["alpha"], scale=1 / p["beta"])),
            lambda x: x, {"alpha": 1.7, "beta": 0.8}),
]
SAMPLES = 20_000


def _law(pr: Problem) -> covar.Density:
    X = covar.parse_density(pr.density)
    return X if not pr.g else covar.transform(X, pr.g)


_LAWS: dict[str, covar.Density] = {}


def law_of(pr: Problem) -> covar.Density:
    if pr.name not in _LAWS:
        _LAWS[pr.name] = _law(pr)
    return _LAWS[pr.name]


def samples(pr: Problem, seed: int = 7, n: int = SAMPLES) -> np.ndarray:
    rng = np.random.default_rng(seed)
    with np.errstate(all="ignore"):
        return np.asarray(pr.g_np(pr.sample_x(rng, n, pr.params)), dtype=float)


def symbolic_cdf(Y: covar.Density, params: dict) -> Callable[[np.ndarray], np.ndarray]:
    """The CDF the user reads, lambdified here (scipy), independently of cdf_numpy()."""
    expr = bind(Y.cdf, params)
    assert expr.free_symbols <= {Y.var}, expr.free_symbols
    f = sp.lambdify(Y.var, expr, modules=["scipy", "numpy"])
    return lambda ts: np.broadcast_to(np.asarray(f(np.asarray(ts, dtype=float)), dtype=float), np.shape(ts))


def reference_cdf(pr: Problem, Y: covar.Density, ts: np.ndarray) -> np.ndarray:
    """P(Y <= t) from the symbolic pdf (scipy quad from the support's start) plus the atoms; for a
    pmf input, the input pmf summed over the x with g(x) <= t."""
    p = pr.params
    if pr.pmf_input:
        X = covar.parse_density(pr.density)
        start = float(bind(X.support.inf, p))
        xs = np.arange(start, start + 400)
        px = np.array([float(sp.N(bind(X.pdf, p).subs(X.var, int(v)), 30)) for v in xs])
        gx = pr.g_np(xs)
        return np.array([px[gx <= t + 1e-12].sum() for t in ts])
    f = fast_symbolic(Y, p)
    lo = float(bind(Y.support.inf, p))
    out = []
    for t in ts:
        mass = 0.0
        if t > lo:
            a = lo if math.isfinite(lo) else min(t, 0.0) - 1.0
            mass = integrate.quad(f, a, t, limit=400, epsabs=1e-11, epsrel=1e-10)[0]
            if not math.isfinite(lo):
                mass += integrate.quad(f, -np.inf, a, limit=400, epsabs=1e-11, epsrel=1e-10)[0]
        mass += sum(float(sp.N(bind(m, p))) for a_, m in Y.atoms.items() if float(bind(a_, p)) <= t)
        out.append(mass)
    return np.array(out)


def probe_points(ys: np.ndarray) -> np.ndarray:
    qs = np.quantile(ys, [0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.98])
    return np.unique(np.round(qs, 6) + 0.0137)


@pytest.mark.parametrize("pr", PROBLEMS, ids=[p.name for p in PROBLEMS])
def test_cdf_matches_samples_and_pdf(pr: Problem) -> None:
    Y = law_of(pr)
    ys = samples(pr)
    if pr.closed:
        assert Y.cdf is not None, Y.cdf_record.notes
        F = symbolic_cdf(Y, pr.params)
        assert isinstance(Y.cdf, sp.Expr) and Y.cdf.free_symbols <= {Y.var} | set(Y.params)
    else:
        assert Y.cdf is None
        F = lambda ts: Y.cdf_numpy()(np.asarray(ts, dtype=float), **pr.params)  # noqa: E731
    # the empirical CDF of numpy samples of g(X) at every distinct sample value (atoms included)
    xs = np.unique(ys)
    if len(xs) > 3000:
        xs = xs[:: len(xs) // 3000]
    ecdf = np.searchsorted(np.sort(ys), xs, side="right") / len(ys)
    with np.errstate(all="ignore"):
        fx = F(xs)
    d = np.max(np.abs(fx - ecdf))
    assert d <= 2.2 / math.sqrt(len(ys)), f"KS distance {d:.4f} against {len(ys)} samples"
    if pr.closed:  # against the integral of the symbolic pdf at points
        ts = probe_points(ys)
        want = reference_cdf(pr, Y, ts)
        got = F(ts)
        assert np.all(np.abs(got - want) <= 1e-6), (ts, got, want)
    # the compiled CDF agrees with the formula; monotone; 0 and 1 at the ends
    grid = np.linspace(np.quantile(ys, 0.001) - 1, np.quantile(ys, 0.999) + 1, 41)
    compiled = Y.cdf_numpy()(grid, **pr.params)
    assert np.all(np.abs(compiled - F(grid)) <= 1e-8)
    assert np.all(np.diff(compiled) >= -1e-12)
    ends = F(np.array([-1e4, 1e4]))
    assert abs(ends[0]) <= 1e-3 and abs(ends[1] - 1) <= 1e-3, ends


@pytest.mark.parametrize("pr", [p for p in PROBLEMS if p.moments], ids=[p.name for p in PROBLEMS if p.moments])
def test_moments_match_monte_carlo_and_pdf(pr: Problem) -> None:
    Y = law_of(pr)
    ys = samples(pr, seed=11, n=400_000)
    for k in pr.moments:
        m = Y.moment(k)
        value = float(sp.N(bind(m, pr.params), 30))
        yk = ys ** k
        se = yk.std() / math.sqrt(len(yk))
        assert abs(value - yk.mean()) <= 6 * se + 1e-12, f"E[Y^{k}] = {value} but Monte Carlo {yk.mean()} ± {se}"
        if pr.pmf_input or not pr.closed:
            continue
        # ∫ y^k f_Y from the symbolic pdf, plus the atoms
        f = fast_symbolic(Y, pr.params)
        lo, hi = (float(bind(e, pr.params)) for e in (Y.support.inf, Y.support.sup))
        cuts = sorted({lo, hi, 0.0, *[float(bind(a, pr.params)) for a in Y.atoms]})
        cuts = [c for c in cuts if lo <= c <= hi]
        quad = sum(integrate.quad(lambda t: t ** k * f(t), a, b, limit=400)[0] for a, b in zip(cuts, cuts[1:]))
        quad += sum(float(bind(a, pr.params)) ** k * float(bind(w, pr.params)) for a, w in Y.atoms.items())
        assert abs(value - quad) <= 1e-6 * max(1.0, abs(quad)), (k, value, quad)
    assert sp.simplify(Y.variance - (Y.moment(2) - Y.mean ** 2)) == 0


# -- exact values, divergence and undefined moments ----------------------------------------------

@pytest.mark.parametrize("density,g,k,want", [
    ("Uniform(0, 1)", "x**2", 1, sp.Rational(1, 3)),
    ("Exponential(2)", "3*x", 2, sp.Rational(9, 2)),
    ("Normal(0, 1)", "Max(0, x)", 1, 1 / sp.sqrt(2 * sp.pi)),
    ("Cauchy(0, 1)", "x", 1, sp.nan),
    ("Cauchy(0, 1)", "1/x", 1, sp.nan),
    ("Cauchy(0, 1)", "x", 2, sp.oo),
    ("Uniform(0, 1)", "1/x", 1, sp.oo),
    ("Uniform(0, 1)", "-1/x", 1, -sp.oo),
    ("Poisson(2)", "Min(x, 3)", 1, 3 - 9 * sp.exp(-2)),
])
def test_exact_moments(density: str, g: str, k: int, want: sp.Expr) -> None:
    got = covar.transform(density, g).moment(k)
    if want is sp.nan or want.is_infinite:
        assert got is want
    else:
        assert sp.simplify(got - want) == 0, got


def test_variance_infinite_and_undefined() -> None:
    assert covar.transform("Pareto(1, 3/2)", "x").variance == sp.oo  # finite mean, E[Y^2] = oo
    assert covar.parse_density("Cauchy(0, 1)").variance is sp.nan  # no mean
    mu, sigma = sp.symbols("mu sigma", positive=True)
    lognormal = covar.transform("Normal(mu, sigma)", "exp(x)")
    assert sp.simplify(lognormal.mean - sp.exp(lognormal.params[0] + lognormal.params[1] ** 2 / 2)) == 0


def test_moment_order_is_checked() -> None:
    Y = covar.parse_density("Exponential(1)")
    assert Y.moment(0) == 1
    with pytest.raises(covar.CovarError, match="nonnegative integer"):
        Y.moment(-1)


# -- the gate and the record --------------------------------------------------------------------------

def test_gate_rejects_a_wrong_cdf() -> None:
    Y = covar.transform("Normal(0, 1)", "x**2")
    y = Y.var
    wrong = sp.Piecewise((0, y < 0), (sp.erf(y / sp.sqrt(2)), True))  # erf(y/√2) instead of erf(√y/√2)
    assert confirm(Y, wrong) is not None
    assert confirm(Y, Y.cdf) is None


def test_cdf_of_a_derived_input() -> None:
    """A chain: the CDF of the input is itself derived (no catalog entry for the middle law)."""
    Y1 = covar.transform("Uniform(-1, 2)", "x**2")
    Y2 = covar.transform(Y1, "sqrt(y)", "z")
    assert Y2.cdf is not None
    z = np.array([0.2, 0.7, 1.2, 1.8])
    want = np.where(z < 1, 2 * z / 3, (z + 1) / 3)  # P(|X| <= z) for X ~ U(-1, 2)
    assert np.all(np.abs(Y2.cdf_numpy()(z) - want) <= 1e-9)


def test_cdf_steps_render() -> None:
    Y = covar.transform("Uniform(-1, 2)", "x**2")
    record = Y.cdf_record
    text = record.text()
    assert "Piece 1" in text and "Sum over the pieces" in text and "verified numerically" in text
    from covar.render.latex import phrase

    assert all(phrase(step.title) for step in record.display())


def test_numeric_cdf_handles_atoms_and_nan() -> None:
    Y = covar.transform("Normal(0, 1)", "Min(Max(x, -1), 1)")
    F = Y.cdf_numpy()
    got = F(np.array([-2.0, -1.0, 0.0, 1.0, np.nan]))
    assert np.allclose(got[:4], [0.0, stats.norm.cdf(-1), 0.5, 1.0], atol=1e-9) and np.isnan(got[4])
    with mpmath.workdps(15):
        assert float(sp.N(Y.cdf.subs(Y.var, 0))) == pytest.approx(0.5)


def test_no_closed_form_is_honest() -> None:
    """Without a closed form the CDF is None with a note, and cdf_numpy() still integrates."""
    X = covar.parse_density("Binomial(n, p)")
    assert X.cdf is None and X.cdf_record.notes
    T = covar.parse_density("StudentT(3)")  # sympy may or may not integrate it within the budget
    points = [-1.0, 0.0, 2.0]
    if T.cdf is None:
        assert "no closed-form" in T.cdf_record.notes[-1]
    else:  # a closed form is only ever returned when it is right
        shown = [float(sp.N(T.cdf.subs(T.var, t))) for t in points]
        assert np.allclose(shown, stats.t(3).cdf(points), atol=1e-9)
    got = T.cdf_numpy()(np.array(points))
    assert np.allclose(got, stats.t(3).cdf(points), atol=1e-7)


_CATALOG_ARGS = {
    "Normal": (0.3, 1.4), "LogNormal": (0.2, 0.6), "Uniform": (-1, 2), "Exponential": (1.5,),
    "Gamma": (2.5, 1.5), "ChiSquared": (3,), "Chi": (3,), "Cauchy": (0.5, 2), "Laplace": (0.5, 1.5),
    "Logistic": (0.5, 1.5), "Gumbel": (0.5, 1.5), "Weibull": (1.5, 2.5), "Pareto": (1, 3),
    "Rayleigh": (1.5,), "Levy": (0.5, 1.5), "Arcsin": (-1, 2), "HalfNormal": (1.5,),
    "InverseGamma": (2.5, 1.5), "ExpGamma": (2.5, 1.5), "Poisson": (2.5,), "Geometric": (0.35,),
    "DiscreteUniform": (-2, 4),
}


@pytest.mark.parametrize("name", sorted(_CATALOG_ARGS))
def test_catalog_cdf_matches_scipy(name: str) -> None:
    """Each catalog CDF (valid on the support) against scipy's, at points inside the support."""
    from covar.laws.families import get_family

    fam = get_family(name)
    args = tuple(sp.nsimplify(a) for a in _CATALOG_ARGS[name])
    x = sp.Symbol("x", real=True)
    expr = fam.cdf(x, *args)
    frozen = fam.scipy(*args)
    lo, hi = frozen.ppf(0.01), frozen.ppf(0.99)
    for t in np.linspace(lo, hi, 7):
        got = float(sp.N(expr.subs(x, sp.Float(t, 30)), 20))
        assert abs(got - float(frozen.cdf(t))) <= 1e-9, (t, got, frozen.cdf(t))


def test_cdf_and_moments_through_a_mixed_input() -> None:
    """Y2 = 2·max(0, X) + 1: the atom moves to 1 and the CDF jumps there by 1/2."""
    Y2 = covar.transform(covar.transform("Normal(0, 1)", "Max(0, x)"), "2*y + 1", "z")
    z = np.array([0.5, 1.0, 1.7, 4.0])
    want = np.where(z < 1, 0.0, stats.norm.cdf((z - 1) / 2))
    assert np.all(np.abs(symbolic_cdf(Y2, {})(z) - want) <= 1e-12)
    assert sp.simplify(Y2.mean - (1 + 2 / sp.sqrt(2 * sp.pi))) == 0
    assert sp.simplify(Y2.variance - (2 - 2 / sp.pi)) == 0
