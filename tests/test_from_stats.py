"""Every sympy.stats family the issue lists comes in through Density.from_stats and transforms."""
from __future__ import annotations

import time

import numpy as np
import pytest
import sympy as sp
import sympy.stats as st

import covar
from covar.numeric.checks import check

RVS = {
    "Normal": lambda: st.Normal("X", 1, 2), "LogNormal": lambda: st.LogNormal("X", 0, 1),
    "Uniform": lambda: st.Uniform("X", 1, 3), "Exponential": lambda: st.Exponential("X", 2),
    "Gamma": lambda: st.Gamma("X", 3, 2), "Beta": lambda: st.Beta("X", 2, 5),
    "ChiSquared": lambda: st.ChiSquared("X", 3), "Chi": lambda: st.Chi("X", 3),
    "StudentT": lambda: st.StudentT("X", 4), "Cauchy": lambda: st.Cauchy("X", 0, 2),
    "Laplace": lambda: st.Laplace("X", 1, 2), "Logistic": lambda: st.Logistic("X", 0, 1),
    "Gumbel": lambda: st.Gumbel("X", 1, 0), "Weibull": lambda: st.Weibull("X", 2, 3),
    "Pareto": lambda: st.Pareto("X", 1, 3), "Rayleigh": lambda: st.Rayleigh("X", 2),
    "Levy": lambda: st.Levy("X", 0, 1), "Arcsin": lambda: st.Arcsin("X", 0, 1),
}


@pytest.mark.parametrize("name", list(RVS))
def test_from_stats_then_transform(name):
    rv = RVS[name]()
    X = covar.Density.from_stats(rv)
    assert X.family is not None and X.family.name == name and str(X.family).startswith(name)
    xs = np.linspace(-3, 6, 37)
    inside = np.array([bool(X.support.interior.contains(sp.Float(v))) and v != 0 for v in xs])
    ref = [float(st.density(rv)(sp.Float(v))) for v in xs[inside]]
    np.testing.assert_allclose(X.numpy()(xs[inside]), ref, rtol=1e-9)
    Y = covar.transform(X, "2*x + 1")
    report = check(Y, samples=100_000, seed=11)
    assert report.passed, report.failures


def test_independent_components_sample_with_the_catalog_sampler(monkeypatch):
    from covar.laws.families import NamedLaw

    calls = []
    original = NamedLaw.sample

    def spy(self, rng, size, **params):
        calls.append(str(self))
        return original(self, rng, size, **params)

    monkeypatch.setattr(NamedLaw, "sample", spy)
    lam = sp.Symbol("lam", positive=True)
    J = covar.independent(st.Gamma("G", 2, 1 / lam), st.Uniform("U", 0, 1))
    draws = J.sample(40_000, np.random.default_rng(5), lam=2.0)
    assert sorted(calls) == ["Gamma(2, lam)", "Uniform(0, 1)"]
    assert draws.shape == (40_000, 2)
    assert abs(draws[:, 0].mean() - 1.0) <= 0.02 and abs(draws[:, 1].mean() - 0.5) <= 0.01


def test_a_distribution_outside_the_catalog_has_no_family_but_still_samples():
    X = covar.Density.from_stats(st.Maxwell("M", 1))
    assert X.family is None
    draws = X.sample(20_000, np.random.default_rng(2))
    assert np.all(draws >= 0) and abs(draws.mean() - 2 * np.sqrt(2 / np.pi)) <= 0.03
    J = covar.independent(st.Maxwell("M", 1), st.Normal("Z", 0, 1))
    assert J.sample(10, np.random.default_rng(2)).shape == (10, 2)


def test_discrete_and_finite_stats_variables_keep_their_catalog_family():
    assert str(covar.Density.from_stats(st.Poisson("P", 3)).family) == "Poisson(3)"
    assert str(covar.Density.from_stats(st.Binomial("B", 4, sp.Rational(1, 2))).family) == "Binomial(4, 1/2)"
    assert covar.Density.from_stats(st.Die("D", 6)).family is None


def test_a_double_exponential_pdf_validates_quickly():
    # the far probe points of validation once evaluated exp(-exp(1e6)) exactly, which is very slow in mpmath
    x = sp.Symbol("x", real=True)
    start = time.process_time()
    covar.Density(sp.exp(-x - sp.exp(-x)), x, sp.Interval(-sp.oo, sp.oo))
    covar.Density.from_stats(st.Gumbel("X", 1, 0))
    assert time.process_time() - start < 5, "validating a Gumbel pdf took more than 5 s of CPU"
