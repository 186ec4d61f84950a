"""Y.to_scipy(**params): complete scipy distributions for continuous, discrete and mixed laws,
checked against scipy's own distributions and against independent numeric integration."""
from __future__ import annotations

import time

import numpy as np
import pytest
import sympy as sp
from scipy import integrate, optimize, stats

import covar
from covar.numeric.cdf_table import tabulate
from covar.render.interop import FrozenDensity

QS = np.array([1e-6, 0.001, 0.05, 0.3, 0.5, 0.77, 0.95, 0.999, 1 - 1e-6])

# (input, map, parameter values, scipy's frozen distribution of the result)
RECOGNISED = [
    ("Normal(mu, sigma)", "exp(x)", {"mu": 0.5, "sigma": 0.4}, stats.lognorm(0.4, scale=np.exp(0.5))),
    ("ChiSquared(1)", "sqrt(x)", {}, stats.halfnorm()),
    ("Uniform(0, 1)", "-log(x)", {}, stats.expon()),
    ("Gamma(alpha, beta)", "log(x)", {"alpha": 2.5, "beta": 1.5}, stats.loggamma(2.5, loc=-np.log(1.5))),
    ("Exponential(1)", "x**(1/3)", {}, stats.weibull_min(3)),
    ("Normal(mu, sigma)", "2*x + 1", {"mu": -1.0, "sigma": 2.0}, stats.norm(-1.0, 4.0)),
]


@pytest.fixture(scope="module", params=RECOGNISED, ids=lambda case: f"{case[0]}->{case[1]}")
def recognised(request):
    text, g, values, ref = request.param
    return covar.transform(text, g), values, ref


def test_recognised_family_gives_scipys_own_distribution(recognised):
    Y, values, ref = recognised
    rv = Y.to_scipy(**values)
    assert isinstance(rv, stats._distn_infrastructure.rv_continuous_frozen)
    ys = ref.ppf(QS)
    np.testing.assert_allclose(rv.pdf(ys), ref.pdf(ys), rtol=1e-12)


def test_covars_own_path_matches_scipy_on_a_recognised_family(recognised):
    """The FrozenDensity path (no twin) on laws scipy knows: pdf, cdf, ppf, moments."""
    Y, values, ref = recognised
    rv = FrozenDensity(Y, values)
    ys = ref.ppf(QS)
    np.testing.assert_allclose(rv.pdf(ys), ref.pdf(ys), rtol=1e-9)
    np.testing.assert_allclose(rv.logpdf(ys), ref.logpdf(ys), rtol=1e-9, atol=1e-12)
    assert np.max(np.abs(rv.cdf(ys) - QS)) < 1e-10
    assert np.max(np.abs(rv.sf(ys) - (1 - QS))) < 1e-10
    assert np.max(np.abs(ref.cdf(rv.ppf(QS)) - QS)) < 1e-10  # ppf accurate to 1e-10 in u
    assert np.max(np.abs(ref.sf(rv.isf(QS)) - QS)) < 1e-10
    for got, want in zip(rv.stats("mvsk"), ref.stats("mvsk")):
        assert abs(got - float(want)) <= 1e-7 * max(1.0, abs(float(want)))
    assert rv.moment(3) == pytest.approx(ref.moment(3), rel=1e-7)
    assert rv.entropy() == pytest.approx(float(ref.entropy()), rel=1e-7, abs=1e-9)
    lo, hi = rv.interval(0.9)
    assert lo == pytest.approx(ref.ppf(0.05), rel=1e-8) and hi == pytest.approx(ref.ppf(0.95), rel=1e-8)
    assert rv.support() == pytest.approx(ref.support())
    draws = rv.rvs(size=(100, 50), random_state=1)
    assert draws.shape == (100, 50) and stats.kstest(draws.ravel(), ref.cdf).pvalue > 1e-3


def _independent_cdf(Y, values):
    """P(Y <= y) by scipy quadrature of the symbolic pdf (not covar's compiled evaluator)."""
    pdf = sp.lambdify(Y.var, Y.pdf.subs(values), "math")
    lo = float(Y.support.inf.subs(values)) if Y.support.inf.is_finite else -np.inf

    def cdf(t: float) -> float:
        return integrate.quad(lambda s: float(pdf(s)), lo, t, epsabs=1e-13, epsrel=1e-12, limit=200)[0]
    return cdf, pdf


@pytest.mark.parametrize("text, g", [("Uniform(0, 1)", "x + x**2"), ("Normal(0, 1)", "x**3 + x"),
                                     ("Exponential(1)", "sqrt(x) + x")])
def test_unrecognised_derived_law_against_numeric_integration(text, g):
    Y = covar.transform(text, g)
    assert Y.family is None and Y.closed_form
    rv = Y.to_scipy()
    assert isinstance(rv, FrozenDensity)
    cdf, pdf = _independent_cdf(Y, {})
    ys = rv.ppf(np.array([0.02, 0.2, 0.5, 0.8, 0.98]))
    for t in ys:
        assert abs(float(rv.cdf(t)) - cdf(t)) < 1e-10
        assert float(rv.pdf(t)) == pytest.approx(float(pdf(t)), rel=1e-10)
    for q in (0.02, 0.2, 0.5, 0.8, 0.98):
        assert abs(cdf(float(rv.ppf(q))) - q) < 1e-10
    mean = integrate.quad(lambda s: s * float(pdf(s)), *rv.support(), limit=200)[0]
    assert rv.mean() == pytest.approx(mean, rel=1e-8, abs=1e-10)
    # and against g(X) itself: samples of X pushed through g by numpy, not by covar
    base = {"Uniform(0, 1)": stats.uniform(), "Normal(0, 1)": stats.norm(), "Exponential(1)": stats.expon()}[text]
    gx = sp.lambdify(sp.Symbol("x", real=True), covar.transform(text, g).derivation.g)(
        base.rvs(20_000, random_state=np.random.default_rng(5)))
    assert stats.kstest(gx, rv.cdf).pvalue > 1e-3


def test_numeric_only_law_ppf_is_the_map_itself():
    # g(x) = x + sin(2 pi x)/8 is increasing on [0, 1] with no closed-form inverse: ppf(q) = g(q)
    Y = covar.transform("Uniform(0, 1)", "x + sin(2*pi*x)/8")
    assert not Y.closed_form
    rv = Y.to_scipy()
    qs = np.array([0.01, 0.2, 0.5, 0.8, 0.99])
    g = qs + np.sin(2 * np.pi * qs) / 8
    np.testing.assert_allclose(rv.ppf(qs), g, atol=1e-9)
    inverse = [optimize.brentq(lambda s, v=v: s + np.sin(2 * np.pi * s) / 8 - v, 0, 1, xtol=1e-15) for v in g]
    np.testing.assert_allclose(rv.cdf(g), inverse, atol=1e-9)


def test_mixed_law_has_scipy_semantics_with_its_atom():
    rv = covar.transform("Normal(0, 1)", "Max(0, x)").to_scipy()
    assert isinstance(rv, FrozenDensity)
    np.testing.assert_allclose(rv.cdf([-1.0, -1e-9, 0.0, 1.0]), [0.0, 0.0, 0.5, stats.norm.cdf(1.0)], atol=1e-10)
    np.testing.assert_allclose(rv.ppf([0.1, 0.5, 0.5 + 1e-9, 0.8]),
                               [0.0, 0.0, stats.norm.ppf(0.5 + 1e-9), stats.norm.ppf(0.8)], atol=1e-9)
    assert rv.moment(2) == pytest.approx(0.5, rel=1e-9)
    m, v = rv.stats("mv")
    assert m == pytest.approx(1 / np.sqrt(2 * np.pi), rel=1e-9)
    assert v == pytest.approx(0.5 - 1 / (2 * np.pi), rel=1e-8)
    # entropy: the half-normal part's -∫ f log f plus the atom's -m log m
    half = integrate.quad(lambda t: -stats.norm.pdf(t) * stats.norm.logpdf(t), 0, np.inf)[0]
    assert rv.entropy() == pytest.approx(half + 0.5 * np.log(2), rel=1e-8)
    assert rv.interval(0.5)[0] == 0.0
    assert abs(np.mean(rv.rvs(20_000, random_state=0) == 0) - 0.5) < 0.02


def test_discrete_laws_are_rv_discrete():
    rv = covar.transform("Poisson(3)", "(x - 2)**2").to_scipy()
    pois = stats.poisson(3)
    expected = {0: pois.pmf(2), 1: pois.pmf(1) + pois.pmf(3), 4: pois.pmf(0) + pois.pmf(4), 9: pois.pmf(5)}
    np.testing.assert_allclose(rv.pmf(list(expected)), list(expected.values()), rtol=1e-12)
    assert rv.mean() == pytest.approx(3 + 1, rel=1e-10)  # E[(X-2)^2] = var + (mean - 2)^2
    assert rv.cdf(1) == pytest.approx(pois.pmf(1) + pois.pmf(2) + pois.pmf(3), rel=1e-12)
    assert rv.ppf(0.5) == 1.0
    rg = covar.transform("Geometric(p)", "sqrt(x)").to_scipy(p=0.3)
    assert rg.pmf(np.sqrt(2)) == pytest.approx(0.3 * 0.7, rel=1e-12)
    assert rg.mean() == pytest.approx(sum(np.sqrt(k) * 0.3 * 0.7**(k - 1) for k in range(1, 400)), rel=1e-10)
    # a recognised pmf is scipy's own
    twin = covar.parse_density("Poisson(lam)").to_scipy(lam=2.0)
    assert twin.pmf(3) == pytest.approx(stats.poisson(2.0).pmf(3), rel=1e-14)
    assert twin.ppf(0.5) == stats.poisson(2.0).ppf(0.5)


@pytest.mark.parametrize("values, message", [
    ({"mu": 0.5}, "missing sigma"),
    ({"mu": 0.5, "sigma": -1.0}, "sigma must be > 0, got -1.0"),
    ({"mu": 0.5, "sigma": "2"}, "is text"),
])
def test_parameter_values_are_checked(values, message):
    Y = covar.transform("Normal(mu, sigma)", "exp(x)")
    with pytest.raises(covar.CovarError) as err:
        Y.to_scipy(**values)
    assert message in str(err.value)


def test_family_domain_is_checked():
    with pytest.raises(covar.InvalidDensity, match="needs a < b"):
        covar.parse_density("Uniform(a, b)").to_scipy(a=2.0, b=1.0)


def test_tabulated_cdf_across_gaps_and_poles():
    table = tabulate(lambda t: np.full_like(t, 0.25), [(0.0, 1.0), (2.0, 4.0)])
    np.testing.assert_allclose(table.cdf(np.array([0.5, 1.5, 3.0, 5.0])), [0.125, 0.25, 0.5, 0.75], atol=1e-13)
    np.testing.assert_allclose(table.ppf(np.array([0.125, 0.25, 0.5])), [0.5, 1.0, 3.0], atol=1e-12)
    arcsine = tabulate(stats.arcsine.pdf, [(0.0, 1.0)])
    qs = np.linspace(0.001, 0.999, 101)
    assert np.max(np.abs(stats.arcsine.cdf(arcsine.ppf(qs)) - qs)) < 1e-10


def test_to_scipy_is_fast_on_many_points():
    Y = covar.transform("Uniform(0, 1)", "x + x**2")
    rv = Y.to_scipy()
    qs = np.random.default_rng(0).random(100_000)
    start = time.process_time()
    ys = rv.ppf(qs)
    rv.cdf(ys)
    rv.rvs(100_000, random_state=0)
    assert time.process_time() - start < 5  # 36 ms per point before: an hour for 10^5 points
