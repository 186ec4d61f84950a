"""numpy evaluation: pdf, log-density in log space, parameters, numeric-only results."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import covar


def test_logpdf_matches_log_of_pdf_and_stays_finite_in_the_tails():
    Y = covar.transform(covar.parse_density("Normal(0, 1)"), "2*x + 1")
    ys = np.array([-3.0, 1.0, 4.0])
    np.testing.assert_allclose(Y.logpdf_numpy()(ys), np.log(Y.numpy()(ys)), rtol=1e-12)
    far = Y.logpdf_numpy()(np.array([81.0]))[0]
    assert far == pytest.approx(stats.norm(1, 2).logpdf(81.0), rel=1e-12)
    assert Y.numpy()(np.array([81.0]))[0] == 0.0  # underflows, which is why logpdf exists


def test_logpdf_is_minus_infinity_off_the_support():
    Y = covar.transform(covar.parse_density("ChiSquared(1)"), "sqrt(x)")
    out = Y.logpdf_numpy()(np.array([-1.0, 2.0]))
    assert out[0] == -np.inf and out[1] == pytest.approx(stats.halfnorm.logpdf(2.0), rel=1e-12)


def test_parameters_are_keyword_arguments_and_typos_are_caught():
    Y = covar.transform(covar.parse_density("Gamma(alpha, beta)"), "log(x)")
    f = Y.numpy()
    ref = stats.loggamma(c=2.0, loc=-np.log(1.5))
    np.testing.assert_allclose(f(np.array([-1.0, 0.5]), alpha=2.0, beta=1.5), ref.pdf([-1.0, 0.5]), rtol=1e-10)
    with pytest.raises(covar.CovarError, match="missing beta"):
        f(np.array([0.0]), alpha=2.0)
    with pytest.raises(covar.CovarError, match="unknown betta"):
        f(np.array([0.0]), alpha=2.0, beta=1.0, betta=1.0)


def test_numeric_only_density_matches_simulation_histogram():
    Y = covar.transform(covar.parse_density("Normal(0, 1)"), "x**5 + x")
    assert not Y.closed_form
    rng = np.random.default_rng(5)
    xs = rng.standard_normal(400_000)
    ys = xs**5 + xs
    edges = np.linspace(-2, 2, 21)
    hist, _ = np.histogram(ys, edges)
    mids = 0.5 * (edges[1:] + edges[:-1])
    np.testing.assert_allclose(hist / (len(ys) * np.diff(edges)), Y.numpy()(mids), rtol=0.05)


def test_pmf_of_a_discrete_result():
    Y = covar.transform(covar.parse_density("Poisson(lam)"), "(x - 2)**2")
    p = stats.poisson(2.0).pmf
    got = Y.numpy()(np.array([0, 1, 4, 9, 2]), lam=2.0)
    np.testing.assert_allclose(got, [p(2), p(1) + p(3), p(0) + p(4), p(5), 0.0], rtol=1e-12)
