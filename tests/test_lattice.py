"""Lattices: pmfs inferred from integer supports, maps of integer X (Mod, (-1)**x, floor(x/m),
sign, Min/Max), and continuous X through floor, ceiling, round and fractional parts.

Every pmf is checked against an independent reference (the input pmf summed over preimages,
or scipy's CDF of X differenced over the cell of each integer), for total mass 1, and against
frequencies of numpy/scipy samples of g(X) with a chi-square test; the densities of fractional
parts against a direct sum of scipy's pdf over the branches and a KS test.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest
import sympy as sp
from scipy import stats

from covar.render.text import phrase
import covar
from covar.errors import InvalidDensity
from tests import reference

_SEED = 20261130
_N = 20_000
# integers summed for a total mass: every infinite support here keeps less than 1e-15 of its mass
# beyond its first 120 points (Poisson(1.7) in halves, Geometric(0.35) in thirds, 2**-|x|), and the
# continuous cases compare the sum over their window with scipy's probability of the same window
_MASS_TERMS = 120


@dataclass(frozen=True)
class Case:
    name: str
    density: str
    g: str
    params: dict
    law: Callable[..., Any]          # scipy frozen law of X at params (independent of covar)
    g_np: Callable[[np.ndarray], np.ndarray]
    cell: Callable[[int], tuple[float, float]] | None = None   # continuous X: x-cell of integer k
    family: str | None = None

    def __str__(self) -> str:
        return self.name


def _floor(k: int) -> tuple[float, float]:
    return (k, k + 1)


_P = {"lam": 1.7}
_B = {"n": 7, "p": 0.3}
_G = {"p": 0.35}

INTEGER_CASES = [
    Case("poisson-mod2", "Poisson(lam)", "Mod(x, 2)", _P, lambda lam: stats.poisson(lam),
         lambda x: np.mod(x, 2)),
    Case("poisson-mod3", "Poisson(2)", "Mod(x, 3)", {}, lambda: stats.poisson(2), lambda x: np.mod(x, 3)),
    Case("poisson-minus1-pow", "Poisson(lam)", "(-1)**x", _P, lambda lam: stats.poisson(lam),
         lambda x: (-1.0) ** x),
    Case("binomial-mod2", "Binomial(n, p)", "Mod(x, 2)", _B, lambda n, p: stats.binom(n, p),
         lambda x: np.mod(x, 2)),
    Case("binomial6-mod3", "Binomial(6, p)", "Mod(x, 3)", {"p": 0.4}, lambda p: stats.binom(6, p),
         lambda x: np.mod(x, 3)),
    Case("geometric-mod2", "Geometric(p)", "Mod(x, 2)", _G, lambda p: stats.geom(p), lambda x: np.mod(x, 2)),
    Case("poisson-floor-half", "Poisson(lam)", "floor(x/2)", _P, lambda lam: stats.poisson(lam),
         lambda x: np.floor(x / 2)),
    Case("binomial-floor-half", "Binomial(n, p)", "floor(x/2)", {"n": 9, "p": 0.55},
         lambda n, p: stats.binom(n, p), lambda x: np.floor(x / 2)),
    Case("geometric-ceiling-third", "Geometric(p)", "ceiling(x/3)", _G, lambda p: stats.geom(p),
         lambda x: np.ceil(x / 3), family="Geometric"),
    Case("poisson-sign", "Poisson(lam)", "sign(x - 2)", _P, lambda lam: stats.poisson(lam),
         lambda x: np.sign(x - 2)),
    Case("poisson-sign0", "Poisson(lam)", "sign(x)", _P, lambda lam: stats.poisson(lam),
         lambda x: np.sign(x), family="Binomial"),
    Case("poisson-min", "Poisson(lam)", "Min(x, 3)", _P, lambda lam: stats.poisson(lam),
         lambda x: np.minimum(x, 3)),
    Case("die-mod3", "DiscreteUniform(1, 6)", "Mod(x, 3)", {}, lambda: stats.randint(1, 7),
         lambda x: np.mod(x, 3), family="DiscreteUniform"),
    Case("poisson-parity-floor", "Poisson(lam)", "x - 2*floor(x/2)", _P, lambda lam: stats.poisson(lam),
         lambda x: x - 2 * np.floor(x / 2), family="Binomial"),
]

CONTINUOUS_CASES = [
    Case("exponential-ceiling", "Exponential(lam)", "ceiling(x)", {"lam": 0.8},
         lambda lam: stats.expon(scale=1 / lam), np.ceil, lambda k: (k - 1, k), family="Geometric"),
    Case("exponential-floor", "Exponential(lam)", "floor(x)", {"lam": 1.3},
         lambda lam: stats.expon(scale=1 / lam), np.floor, _floor),
    Case("normal-floor", "Normal(0, 1)", "floor(x)", {}, lambda: stats.norm(), np.floor, _floor),
    Case("normal-round", "Normal(mu, sigma)", "round(x)", {"mu": 0.4, "sigma": 1.6},
         lambda mu, sigma: stats.norm(mu, sigma), lambda x: np.floor(x + 0.5), lambda k: (k - 0.5, k + 0.5)),
    Case("pareto-floor", "Pareto(1, 2)", "floor(x)", {}, lambda: stats.pareto(2), np.floor, _floor),
    Case("weibull-ceiling-double", "Weibull(1, 2)", "ceiling(2*x)", {}, lambda: stats.weibull_min(2),
         lambda x: np.ceil(2 * x), lambda k: ((k - 1) / 2, k / 2)),
    Case("cauchy-floor", "Cauchy(0, 1)", "floor(x)", {}, lambda: stats.cauchy(), np.floor, _floor),
    Case("gamma-floor-third", "Gamma(2, beta)", "floor(x/3)", {"beta": 0.9},
         lambda beta: stats.gamma(2, scale=1 / beta), lambda x: np.floor(x / 3), lambda k: (3 * k, 3 * k + 3)),
    Case("laplace-ceiling", "Laplace(0, 1)", "ceiling(-x/2)", {}, lambda: stats.laplace(),
         lambda x: np.ceil(-x / 2), lambda k: (-2 * k, -2 * k + 2)),
]

FRACTIONAL_CASES = [
    Case("exponential-frac", "Exponential(lam)", "x - floor(x)", {"lam": 1.4},
         lambda lam: stats.expon(scale=1 / lam), lambda x: x - np.floor(x)),
    Case("uniform-frac", "Uniform(0, 2.5)", "frac(x)", {}, lambda: stats.uniform(0, 2.5), lambda x: x - np.floor(x)),
    Case("exponential-mod2", "Exponential(lam)", "Mod(x, 2)", {"lam": 0.6},
         lambda lam: stats.expon(scale=1 / lam), lambda x: np.mod(x, 2)),
]


def _derive(case: Case) -> Any:
    return covar.transform(case.density, case.g)


def _points(Y: Any, params: dict, samples: np.ndarray) -> np.ndarray:
    """The integers the test compares: every value sampled plus the first points of the support."""
    seen = np.unique(samples)
    return seen[np.abs(seen) < 1e6]


def _chi_square(points: np.ndarray, probs: np.ndarray, samples: np.ndarray) -> float:
    counts = np.array([np.sum(samples == v) for v in points], dtype=float)
    expected = probs * len(samples)
    big = expected >= 5
    obs = np.append(counts[big], len(samples) - counts[big].sum())
    exp = np.append(expected[big], len(samples) - expected[big].sum())
    keep = exp > 0
    if keep.sum() < 2:
        return 1.0 if np.all(counts[big] == len(samples)) else 0.0
    return float(stats.chisquare(obs[keep], exp[keep] * obs[keep].sum() / exp[keep].sum()).pvalue)


def _mass(Y: Any, params: dict, n_terms: int = _MASS_TERMS) -> float:
    """The symbolic pmf summed over its support (the first n_terms points of an infinite one;
    both directions around 0 on all the integers)."""
    sup = reference.bind(Y.support, params)
    if isinstance(sup, sp.FiniteSet):
        pts = np.array([float(v) for v in sup])
    else:
        lo = float(sup.inf) if sup.inf.is_finite else -n_terms / 2
        hi = float(sup.sup) if sup.sup.is_finite else lo + n_terms
        pts = np.arange(lo, hi + 1)
    return float(np.sum(reference.symbolic_pmf_values(Y, pts, params)))


@pytest.mark.parametrize("case", INTEGER_CASES, ids=str)
def test_pmf_of_integer_map(case: Case) -> None:
    Y = _derive(case)
    assert Y.discrete and Y.closed_form
    X = covar.parse_density(case.density)
    rng = np.random.default_rng(_SEED)
    ys = case.g_np(case.law(**case.params).rvs(size=_N, random_state=rng).astype(float))
    pts = _points(Y, case.params, ys)
    sym = reference.symbolic_pmf_values(Y, pts, case.params)
    want = reference.reference_pmf(X.pdf, X.var, X.support, case.g_np, pts, case.params)
    reference.assert_close(sym, want, pts, "symbolic pmf vs summed preimages", 1e-9, 1e-12)
    assert abs(_mass(Y, case.params) - 1) <= 1e-8
    assert _chi_square(pts, sym, ys) > 1e-4
    fast = Y.numpy()(pts, **case.params)
    reference.assert_close(fast, sym, pts, "numpy() vs symbolic pmf", 1e-8, 1e-12)
    if case.family is not None:
        assert Y.family is not None and Y.family.name == case.family


@pytest.mark.parametrize("case", CONTINUOUS_CASES, ids=str)
def test_integer_part_of_continuous(case: Case) -> None:
    Y = _derive(case)
    assert Y.discrete and Y.closed_form and not Y.atoms
    law = case.law(**case.params)
    rng = np.random.default_rng(_SEED)
    ys = case.g_np(law.rvs(size=_N, random_state=rng))
    pts = _points(Y, case.params, ys)
    sym = reference.symbolic_pmf_values(Y, pts, case.params)
    assert case.cell is not None
    want = np.array([law.cdf(case.cell(int(k))[1]) - law.cdf(case.cell(int(k))[0]) for k in pts])
    reference.assert_close(sym, want, pts, "symbolic pmf vs scipy's CDF over the cell", 1e-8, 1e-12)
    # mass of the first _MASS_TERMS integers of the support (around 0 on all the integers)
    # against scipy's probability of that window (a Cauchy keeps about 1/(30 pi) beyond it)
    sup = reference.bind(Y.support, case.params)
    lo = float(sup.inf) if sup.inf.is_finite else -_MASS_TERMS / 2
    hi = float(sup.sup) if sup.sup.is_finite else lo + _MASS_TERMS
    ends = sorted(case.cell(int(lo)) + case.cell(int(hi)))
    assert abs(_mass(Y, case.params) - (law.cdf(ends[-1]) - law.cdf(ends[0]))) <= 1e-8
    assert _chi_square(pts, sym, ys) > 1e-4
    if case.family is not None:
        assert Y.family is not None and Y.family.name == case.family


def test_integer_part_of_exponential_is_geometric() -> None:
    lam = sp.Symbol("lam", positive=True)
    Y = covar.transform("Exponential(lam)", "ceiling(x)")
    assert Y.family == covar.laws.families.NamedLaw("Geometric", (1 - sp.exp(-lam),))
    Z = covar.transform("Exponential(lam)", "floor(x)")
    assert Z.support == sp.Range(0, sp.oo)
    assert any("Geometric(1 - exp(-lam))" in phrase(note) for note in Z.derivation.notes)


def test_parity_of_poisson_in_closed_form() -> None:
    lam = sp.Symbol("lam", positive=True)
    Y = covar.transform("Poisson(lam)", "Mod(x, 2)")
    even = Y.pdf.subs(Y.var, 0)
    assert sp.simplify(even - (1 + sp.exp(-2 * lam)) / 2) == 0
    n, p = sp.Symbol("n", positive=True, integer=True), sp.Symbol("p", positive=True)
    B = covar.transform("Binomial(n, p)", "Mod(x, 2)")
    for nv, pv in ((5, 0.2), (8, 0.7)):
        got = float(B.pdf.subs(B.var, 0).subs({n: nv, p: pv}))
        assert abs(got - (1 + (1 - 2 * pv) ** nv) / 2) <= 1e-12


@pytest.mark.parametrize("case", FRACTIONAL_CASES, ids=str)
def test_fractional_part_density(case: Case) -> None:
    Y = _derive(case)
    assert not Y.discrete and Y.closed_form
    law = case.law(**case.params)
    period = float(Y.support.end)
    us = np.linspace(0.013, period - 0.011, 23)
    ks = np.arange(-400, 401)

    def want(u: np.ndarray) -> np.ndarray:
        return np.array([law.pdf(v + period * ks).sum() for v in u])

    ys = case.g_np(law.rvs(size=_N, random_state=np.random.default_rng(_SEED)))
    reference.check_univariate(Y, case.params, us, want, rtol=1e-8, atol=1e-12)
    cdf_pts = np.linspace(0, period, 401)
    dens = reference.symbolic_pdf_values(Y, cdf_pts, case.params)
    cdf = np.concatenate([[0.0], np.cumsum((dens[1:] + dens[:-1]) / 2 * np.diff(cdf_pts))])
    assert stats.kstest(ys, lambda t: np.interp(t, cdf_pts, cdf)).pvalue > 1e-4


# -- a Density on integers is a pmf without discrete=True -------------------------------------
X_ = sp.Symbol("x", real=True)
_N_SYM = sp.Symbol("n", positive=True, integer=True)
_P_SYM = sp.Symbol("p", positive=True)


@pytest.mark.parametrize("pmf, support, params", [
    (sp.Rational(1, 6), sp.FiniteSet(1, 2, 3, 4, 5, 6), {}),
    (sp.Rational(1, 2) ** X_, sp.Naturals, {}),
    (sp.exp(-1) / sp.factorial(X_), sp.Naturals0, {}),
    (sp.Rational(1, 3) * sp.Rational(1, 2) ** sp.Abs(X_), sp.Integers, {}),
    (sp.binomial(_N_SYM, X_) * _P_SYM ** X_ * (1 - _P_SYM) ** (_N_SYM - X_), sp.Range(0, _N_SYM + 1), {"n": 6, "p": 0.3}),
    (sp.binomial(_N_SYM, X_) * _P_SYM ** X_ * (1 - _P_SYM) ** (_N_SYM - X_),
     sp.Intersection(sp.Integers, sp.Interval(0, _N_SYM), evaluate=False), {"n": 4, "p": 0.6}),
], ids=["die", "naturals", "naturals0", "integers", "range-symbolic", "integers-cap-interval"])
def test_integer_support_is_a_pmf(pmf: sp.Expr, support: sp.Set, params: dict) -> None:
    X = covar.Density(pmf, X_, support)
    assert X.discrete and isinstance(X.support, (sp.Range, sp.FiniteSet))
    assert abs(_mass(X, params) - 1) <= 1e-9


def test_integer_support_pmf_is_checked_as_a_pmf() -> None:
    with pytest.raises(InvalidDensity, match="sums to|not 1"):
        covar.Density(sp.Rational(1, 5), X_, sp.Range(0, 6))
    Y = covar.transform(covar.Density(sp.Rational(1, 6), X_, sp.Range(1, 7)), "Mod(x, 2)")
    assert Y.discrete and Y.family is not None and Y.family.name == "Binomial"


def test_user_pmf_with_symbolic_range_through_floor() -> None:
    """A Range-supported user pmf with a symbolic end (a Binomial typed by hand)."""
    p = sp.Rational(9, 20)  # p < 1 is no sympy assumption: a symbolic p would be drawn beyond 1
    X = covar.Density(sp.binomial(_N_SYM, X_) * p ** X_ * (1 - p) ** (_N_SYM - X_), X_,
                      sp.Range(0, _N_SYM + 1))
    Y = covar.transform(X, "floor(x/2)")
    assert Y.support == sp.Range(0, sp.floor(_N_SYM / 2) + 1)
    params = {"n": 7}
    pts = np.arange(0, 4.0)
    want = reference.reference_pmf(X.pdf, X.var, X.support, lambda t: np.floor(t / 2), pts, params)
    reference.assert_close(reference.symbolic_pmf_values(Y, pts, params), want, pts, "floor(x/2)", 1e-10, 1e-12)


def test_negative_binomial_user_pmf_parity() -> None:
    """NegativeBinomial(3, 2/5) as a user pmf on the naturals: P(X even) in closed form."""
    pv = sp.Rational(2, 5)
    X = covar.Density(sp.binomial(X_ + 2, X_) * pv ** 3 * (1 - pv) ** X_, X_, sp.Naturals0)
    Y = covar.transform(X, "Mod(x, 2)")
    assert Y.pdf.subs(Y.var, 0) == sp.Rational(1, 2) + (pv / (2 - pv)) ** 3 / 2
    xs = stats.nbinom(3, float(pv)).rvs(size=_N, random_state=np.random.default_rng(_SEED)).astype(float)
    pts = np.array([0.0, 1.0])
    sym = reference.symbolic_pmf_values(Y, pts)
    want = reference.reference_pmf(X.pdf, X.var, X.support, lambda t: np.mod(t, 2), pts, {}, n_terms=2000)
    reference.assert_close(sym, want, pts, "parity of a negative binomial", 1e-9, 1e-12)
    assert _chi_square(pts, sym, np.mod(xs, 2)) > 1e-4


def test_integer_set_that_is_no_range_says_pmf() -> None:
    with pytest.raises(InvalidDensity, match="set of integers, so the law is a pmf"):
        covar.Density(sp.Rational(1, 6), X_, sp.Union(sp.Range(0, 3), sp.Range(5, 8)))


@pytest.mark.parametrize("law, values", [("Poisson(2)", {}), ("Poisson(lam)", {"lam": 3.5})])
def test_a_residue_pmf_is_written_in_real_numbers(law, values) -> None:
    """Mod(x, 3) of a Poisson: the roots-of-unity filter's result has no i and no (-1)**(1/3)
    (it reads e^{-3λ/2} cos(√3 λ/2)), and its values are the residue sums."""
    Y = covar.transform(law, "Mod(x, 3)")
    assert not Y.pdf.has(sp.I)
    assert not any(p.base.is_negative and not p.exp.is_integer for p in Y.pdf.atoms(sp.Pow)), Y.pdf
    lam = values.get("lam", 2.0)
    pts = np.array([0.0, 1.0, 2.0])
    want = [stats.poisson.pmf(np.arange(r, 400, 3), lam).sum() for r in range(3)]
    reference.assert_close(reference.symbolic_pmf_values(Y, pts, values), np.array(want), pts, "Mod 3", 1e-12, 1e-14)
