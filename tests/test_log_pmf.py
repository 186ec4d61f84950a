"""The log-pmf is computed in log space: finite and right where the pmf underflows to 0.0."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy import stats

import covar
from covar.numeric import log_pmf

FAR = np.array([0.0, 1.0, 2.0, 5.0, 40.0, 300.0, 301.0, 20001.0, 2.5, -1.0])

CASES = [  # (law, map, parameters, scipy's log-pmf of y at those parameters)
    ("Poisson(3)", "x + 2", {}, lambda y: stats.poisson.logpmf(y - 2, 3)),
    ("Poisson(lam)", "x", {"lam": 4.5}, lambda y: stats.poisson.logpmf(y, 4.5)),
    ("Poisson(lam)", "x + 1", {"lam": 0.7}, lambda y: stats.poisson.logpmf(y - 1, 0.7)),
    ("Geometric(p)", "x", {"p": 0.05}, lambda y: stats.geom.logpmf(y, 0.05)),
    ("Geometric(1/4)", "2*x + 1", {}, lambda y: stats.geom.logpmf((y - 1) / 2, 0.25)
     + np.where((y - 1) / 2 == np.round((y - 1) / 2), 0.0, -np.inf)),
]


@pytest.mark.parametrize("law, g, values, reference", CASES, ids=[f"{c[1]} of {c[0]}" for c in CASES])
def test_the_log_pmf_is_right_far_out(law, g, values, reference):
    Y = covar.transform(law, g)
    got = Y.logpdf_numpy()(FAR, **values)
    with np.errstate(all="ignore"):
        want = reference(FAR)
    finite = np.isfinite(want)
    assert np.array_equal(np.isfinite(got), finite), (got, want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=1e-11)
    pmf = Y.numpy()(FAR, **values)
    assert np.all(np.isfinite(pmf)) and np.all(pmf[~finite] == 0.0), pmf  # no overflow to nan in lam**k / k!
    assert (pmf[finite] == 0.0).any(), "the test has no point where the pmf underflows"


def test_an_input_pmf_is_evaluated_in_log_space_too():
    X = covar.parse_density("Poisson(lam)")
    np.testing.assert_allclose(X.logpdf_numpy()(FAR[:8], lam=3.0), stats.poisson.logpmf(FAR[:8], 3.0), rtol=1e-11)
    np.testing.assert_allclose(X.numpy()(FAR, lam=3.0), stats.poisson.pmf(FAR, 3.0), rtol=1e-11, atol=0)


def test_a_log_form_that_disagrees_with_mpmath_is_not_used(monkeypatch):
    """The compiled log form is checked against mpmath at each call's parameters; a wrong one
    (here: a deliberately wrong split) falls back to the log of the pmf."""
    k, lam = sp.symbols("k lam", positive=True)
    pmf = lam**k * sp.exp(-lam) / sp.factorial(k)
    monkeypatch.setattr(log_pmf, "log_formula", lambda e: k * sp.log(lam) - sp.loggamma(k + 1))  # lost -lam
    from covar.numeric.evaluate import _compile

    f = log_pmf.checked_log(pmf, k, (lam,), _compile)
    ks = np.arange(0.0, 20.0)
    np.testing.assert_allclose(f(ks, 2.0), stats.poisson.logpmf(ks, 2.0), rtol=1e-12)


def test_the_log_formula_splits_products_and_factorials():
    n, k = sp.symbols("n k", positive=True, integer=True)
    p = sp.Symbol("p", positive=True)
    logged = log_pmf.log_formula(sp.binomial(n, k) * p**k * (1 - p)**(n - k))
    assert logged is not None and not logged.has(sp.binomial, sp.factorial, sp.gamma)
    values = {n: 500, k: 7, p: sp.Rational(1, 3)}
    assert abs(float(logged.subs(values)) - stats.binom.logpmf(7, 500, 1 / 3)) < 1e-9
    assert log_pmf.log_formula(1 / (1 + sp.exp(-k))) is None  # a sum that can underflow stays out


def test_a_pmf_on_listed_points_that_are_not_integers():
    """A FiniteSet support {1/2, 3/2} is evaluated at its own points (rounding to integers gave 0
    everywhere), in both the pmf and its log."""
    x = sp.Symbol("x")
    X = covar.Density(x / 2, x, sp.FiniteSet(sp.Rational(1, 2), sp.Rational(3, 2)))
    ys = np.array([0.5, 1.5, 0.4, 1.0, 0.0, 2.0])
    want = np.array([0.25, 0.75, 0, 0, 0, 0])
    np.testing.assert_allclose(X.numpy()(ys), want, rtol=1e-12)
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(X.logpdf_numpy()(ys), np.log(want), rtol=1e-12)
    Y = covar.transform(X, "x**2")
    np.testing.assert_allclose(Y.numpy()(np.array([0.25, 2.25, 1.0])), [0.25, 0.75, 0.0], rtol=1e-12)


def test_a_split_that_fails_at_points_the_probe_did_not_see_is_redone():
    """log(k**2) splits into 2*log(k), which is nan at k < 0. The probe looks at a few points of
    the first call; a later point with k < 0 must still get log(pmf), not nan."""
    from covar.numeric.evaluate import _compile

    k = sp.Symbol("k", integer=True)
    pmf = k**2 / 110  # on -5..5
    f = log_pmf.checked_log(pmf, k, (), _compile)
    assert f is not None
    first = np.array([3.0, 4.0, 5.0])  # all positive: the log form agrees here
    np.testing.assert_allclose(f(first), np.log(first**2 / 110), rtol=1e-12)
    later = np.array([-3.0, 2.0, -5.0])
    np.testing.assert_allclose(f(later), np.log(later**2 / 110), rtol=1e-12)
