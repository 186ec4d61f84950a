"""scipy.stats-style frozen distributions and sympy.stats random variables from covar results."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
import sympy.stats as st
from scipy import stats

import covar
from covar.render.interop import FrozenDensity, to_scipy


@pytest.fixture(scope="module")
def halfnormal():
    return covar.transform(covar.parse_density("ChiSquared(1)"), "sqrt(x)").to_scipy()


def test_closed_form_result_matches_scipy_twin(halfnormal):
    ys = np.array([-1.0, 0.1, 0.5, 1.0, 2.5])
    ref = stats.halfnorm()
    np.testing.assert_allclose(halfnormal.pdf(ys), ref.pdf(ys), rtol=1e-12)
    np.testing.assert_allclose(halfnormal.logpdf(ys[1:]), ref.logpdf(ys[1:]), rtol=1e-12)
    np.testing.assert_allclose(halfnormal.cdf(ys), ref.cdf(ys), atol=1e-10)
    np.testing.assert_allclose(halfnormal.sf(ys), ref.sf(ys), atol=1e-10)
    qs = np.array([0.01, 0.25, 0.5, 0.9, 0.999])
    np.testing.assert_allclose(halfnormal.ppf(qs), ref.ppf(qs), rtol=1e-8)
    np.testing.assert_allclose(halfnormal.isf(qs), ref.isf(qs), rtol=1e-8)
    assert halfnormal.mean() == pytest.approx(ref.mean(), rel=1e-9)
    assert halfnormal.var() == pytest.approx(ref.var(), rel=1e-9)
    assert halfnormal.median() == pytest.approx(ref.median(), rel=1e-9)
    assert halfnormal.support() == (0.0, np.inf)
    np.testing.assert_allclose(halfnormal.interval(0.9), ref.interval(0.9), rtol=1e-8)


def test_rvs_push_samples_of_x_through_g(halfnormal):
    draws = halfnormal.rvs(size=(200, 100), random_state=3)
    assert draws.shape == (200, 100) and draws.min() >= 0
    assert stats.kstest(draws.ravel(), stats.halfnorm().cdf).pvalue > 1e-3
    np.testing.assert_array_equal(halfnormal.rvs(5, random_state=1), halfnormal.rvs(5, random_state=1))


def test_mixed_law_cdf_jumps_at_the_atom():
    rv = covar.transform(covar.parse_density("Normal(0, 1)"), "Max(0, x)").to_scipy()
    assert isinstance(rv, FrozenDensity)
    np.testing.assert_allclose(rv.cdf([-1.0, -1e-9, 0.0, 1.0]), [0.0, 0.0, 0.5, stats.norm.cdf(1.0)], atol=1e-10)
    # every q in (0, 1/2] lands on the atom; above it the ppf is the normal's
    np.testing.assert_allclose(rv.ppf([0.1, 0.5, 0.8]), [0.0, 0.0, stats.norm.ppf(0.8)], atol=1e-8)
    assert rv.mean() == pytest.approx(1 / np.sqrt(2 * np.pi), rel=1e-9)
    assert rv.var() == pytest.approx(0.5 - 1 / (2 * np.pi), rel=1e-8)
    draws = rv.rvs(20_000, random_state=0)
    assert abs(np.mean(draws == 0) - 0.5) < 0.02


def test_parameters_are_given_by_name():
    Y = covar.transform(covar.parse_density("Normal(mu, sigma)"), "exp(x)")
    rv = to_scipy(Y, mu=0.5, sigma=0.4)
    ref = stats.lognorm(0.4, scale=np.exp(0.5))
    np.testing.assert_allclose(rv.cdf([0.5, 1.5, 3.0]), ref.cdf([0.5, 1.5, 3.0]), atol=1e-10)
    with pytest.raises(covar.CovarError, match="missing sigma"):
        to_scipy(Y, mu=0.5)


def test_finite_discrete_law_is_an_rv_discrete():
    Y = covar.transform(covar.parse_density("Binomial(4, 1/2)"), "Abs(x - 2)")
    rv = Y.to_scipy()
    np.testing.assert_allclose(rv.pmf([0, 1, 2]), [6 / 16, 8 / 16, 2 / 16])
    assert rv.mean() == pytest.approx(0.75)


def test_to_stats_and_back():
    Y = covar.transform(covar.parse_density("ChiSquared(1)"), "sqrt(x)")
    R = Y.to_stats("H")
    assert st.E(R) == sp.sqrt(2) / sp.sqrt(sp.pi)
    assert float(st.P(R < 1)) == pytest.approx(stats.halfnorm.cdf(1.0), rel=1e-12)
    back = covar.Density.from_stats(R)
    ys = np.linspace(0.05, 4, 20)
    np.testing.assert_allclose(back.numpy()(ys), Y.numpy()(ys), rtol=1e-12)
    assert back.support == sp.Interval(0, sp.oo)


def test_to_stats_refuses_what_sympy_stats_cannot_hold():
    with pytest.raises(covar.UnsupportedTransform, match="mixed"):
        covar.transform(covar.parse_density("Normal(0, 1)"), "Max(0, x)").to_stats()
    with pytest.raises(covar.UnsupportedTransform, match="numeric-only"):
        covar.transform(covar.parse_density("Exponential(1)"), "x**5 + x").to_stats()


@pytest.mark.parametrize("text", ["Normal(mu, 2)", "Gamma(3, 1/2)", "Gumbel(1, 2)", "InverseGamma(3, 2)",
                                  "Binomial(5, 1/4)", "Weibull(2, 3)", "Poisson(lam)"])
def test_to_stats_gives_the_named_sympy_distribution_and_reads_back(text):
    from covar.laws.sympy_stats import law_of

    X = covar.parse_density(text)
    R = X.to_stats("R")
    assert type(R.pspace.distribution).__name__ == X.family.entry.stats_class
    assert law_of(R) == X.family


def test_to_stats_and_from_stats_round_trip_the_named_law():
    X = covar.parse_density("Gamma(3, 1/2)")
    back = covar.Density.from_stats(X.to_stats("G"))
    assert back.family == X.family
    ys = np.linspace(0.1, 9, 15)
    np.testing.assert_allclose(back.numpy()(ys), X.numpy()(ys), rtol=1e-12)


def test_to_stats_of_a_recognised_result_is_the_named_distribution():
    Y = covar.transform(covar.parse_density("Exponential(1)"), "2*x")
    assert str(Y.family) == "ChiSquared(2)"  # the most specific name of Exponential(1/2)
    R = Y.to_stats()
    assert type(R.pspace.distribution).__name__ == "ChiSquaredDistribution"
    assert st.E(R) == 2 and st.variance(R) == 4


def test_to_stats_without_a_sympy_twin_falls_back_to_the_pdf():
    X = covar.parse_density("HalfNormal(2)")
    R = X.to_stats("H")
    assert type(R.pspace.distribution).__name__ == "ContinuousDistributionHandmade"
    assert st.E(R) == 2 * sp.sqrt(2) / sp.sqrt(sp.pi)
