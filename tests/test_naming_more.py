"""Naming laws that were right but unnamed: two-sided laws (the difference of two iid
Exponentials is a Laplace) and the integer part of an Exponential (Geometric0 on {0, 1, ...},
Geometric on {1, 2, ...} for the ceiling).

A name is only worth giving when it is right: each test compares the named law's pdf/pmf with
the derived one at points, and samples of g(X) drawn with numpy with the named law (KS for a
continuous law, chi-square for a pmf), and checks that a law that is not the family gets no name.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from scipy import stats

import covar
from covar.laws.families import NamedLaw, get_family
from covar.univariate.recognize import recognize_cells

_RNG_SEED = 20261130


def _values(expr: sp.Expr, var: sp.Symbol, points, params: dict[str, float]) -> list[float]:
    sub = {s: params[s.name] for s in expr.free_symbols if s.name in params}
    return [float(expr.xreplace(sub).subs(var, p)) for p in points]


def _named_scipy(law: NamedLaw, params: dict[str, float]):
    args = [float(a.xreplace({s: params[s.name] for s in a.free_symbols})) for a in law.args]
    return get_family(law.name).scipy(*args)


# -- Laplace from two mirrored exponentials ------------------------------------------------------

LAPLACE_CASES = [
    # (joint law, map, params, expected family args as functions of params, sampler of y)
    ("Exponential(1) * Exponential(1)", "x1 - x2, x2", {}, lambda p: (0.0, 1.0),
     lambda r, p, n: r.exponential(1, n) - r.exponential(1, n)),
    ("Exponential(lam) * Exponential(lam)", "x1 - x2, x2", {"lam": 1.7}, lambda p: (0.0, 1 / p["lam"]),
     lambda r, p, n: r.exponential(1 / p["lam"], n) - r.exponential(1 / p["lam"], n)),
    ("Exponential(lam) * Exponential(lam)", "(x1 - x2)/2 + 1, x2", {"lam": 0.6},
     lambda p: (1.0, 1 / (2 * p["lam"])),
     lambda r, p, n: (r.exponential(1 / p["lam"], n) - r.exponential(1 / p["lam"], n)) / 2 + 1),
]


@pytest.mark.parametrize("joint, g, params, args, sample", LAPLACE_CASES)
def test_difference_of_iid_exponentials_is_named_laplace(joint, g, params, args, sample) -> None:
    M = covar.transform(joint, g, "y, z").marginal("y")
    assert M.family is not None and M.family.name == "Laplace"
    law = _named_scipy(M.family, params)
    loc, scale = args(params)
    assert abs(law.mean() - loc) <= 1e-12 and abs(law.std() - math.sqrt(2) * scale) <= 1e-12
    points = [-3.1, -0.7, 0.2, 0.9, 1.6, 4.4]
    derived = _values(M.pdf, M.var, points, params)
    assert np.allclose(derived, law.pdf(points), rtol=1e-10, atol=0)
    ys = sample(np.random.default_rng(_RNG_SEED), params, 20_000)
    assert stats.kstest(ys, law.cdf).pvalue > 1e-3


def test_laplace_through_a_univariate_affine_map_is_named() -> None:
    Y = covar.transform("Laplace(m, s)", "2*x + 1")
    assert Y.family is not None and Y.family.name == "Laplace"
    params = {"m": 0.4, "s": 0.8}
    law = _named_scipy(Y.family, params)
    assert abs(law.mean() - 1.8) <= 1e-12 and abs(law.std() - math.sqrt(2) * 1.6) <= 1e-12
    ys = 2 * stats.laplace(0.4, 0.8).rvs(20_000, random_state=_RNG_SEED) + 1
    assert stats.kstest(ys, law.cdf).pvalue > 1e-3


def test_asymmetric_difference_gets_no_name() -> None:
    M = covar.transform("Exponential(1) * Exponential(2)", "x1 - x2, x2", "y, z").marginal("y")
    assert M.family is None


def test_two_cells_that_are_not_mirror_images_get_no_name() -> None:
    y = sp.Symbol("y", real=True)
    assert recognize_cells([(-sp.oo, 0, sp.exp(2 * y) / 3), (0, sp.oo, 2 * sp.exp(-y) / 3)], y) is None
    # same shape on each side but the left side carries too much mass: not a density of the family
    assert recognize_cells([(-sp.oo, 0, sp.exp(y)), (0, sp.oo, sp.exp(-y) / 2)], y) is None
    # not adjacent
    assert recognize_cells([(-sp.oo, -1, sp.exp(y)), (1, sp.oo, sp.exp(-y))], y) is None
    # two finite cells of one constant: a Uniform on their union
    assert str(recognize_cells([(1, 2, sp.Rational(1, 2)), (0, 1, sp.Rational(1, 2))], y)) == "Uniform(0, 2)"


# -- the integer part of an Exponential -----------------------------------------------------------

LATTICE_CASES = [
    ("Exponential(2)", "floor(x)", {}, "Geometric0", lambda p: 1 - math.exp(-2), 0,
     lambda r, p, n: np.floor(r.exponential(1 / 2, n))),
    ("Exponential(lam)", "floor(x)", {"lam": 0.7}, "Geometric0", lambda p: 1 - math.exp(-p["lam"]), 0,
     lambda r, p, n: np.floor(r.exponential(1 / p["lam"], n))),
    ("Exponential(lam)", "ceiling(x)", {"lam": 0.7}, "Geometric", lambda p: 1 - math.exp(-p["lam"]), 1,
     lambda r, p, n: np.ceil(r.exponential(1 / p["lam"], n))),
    ("Exponential(lam)", "floor(x/3)", {"lam": 0.45}, "Geometric0", lambda p: 1 - math.exp(-3 * p["lam"]), 0,
     lambda r, p, n: np.floor(r.exponential(1 / p["lam"], n) / 3)),
]


@pytest.mark.parametrize("law, g, params, name, success, start, sample", LATTICE_CASES)
def test_integer_part_of_exponential_is_named_geometric(law, g, params, name, success, start, sample) -> None:
    Y = covar.transform(law, g)
    assert Y.discrete and Y.support == sp.Range(start, sp.oo)
    assert Y.family is not None and Y.family.name == name
    p = success(params)
    (named_p,) = Y.family.args
    assert abs(float(named_p.xreplace({s: params[s.name] for s in named_p.free_symbols})) - p) <= 1e-12
    ks = np.arange(start, start + 15)
    # the named law's pmf, the textbook pmf and the derived pmf agree
    textbook = p * (1 - p) ** (ks - start)
    named = _named_scipy(Y.family, params).pmf(ks)
    derived = _values(Y.pdf, Y.var, ks, params)
    assert np.allclose(named, textbook, rtol=1e-12) and np.allclose(derived, textbook, rtol=1e-10)
    # samples of g(X) against the named law (chi-square on the first values, tail pooled)
    ys = sample(np.random.default_rng(_RNG_SEED), params, 50_000)
    edges = list(range(start, start + 8))
    observed = [np.sum(ys == k) for k in edges] + [np.sum(ys >= edges[-1] + 1)]
    probs = list(_named_scipy(Y.family, params).pmf(edges)) + [_named_scipy(Y.family, params).sf(edges[-1])]
    assert abs(sum(probs) - 1) <= 1e-12
    assert stats.chisquare(observed, np.array(probs) * len(ys)).pvalue > 1e-3


def test_floor_keeps_saying_it_is_a_shifted_geometric() -> None:
    from covar.record import note_words

    Y = covar.transform("Exponential(lam)", "floor(x)")
    assert any("follows Geometric(1 - exp(-lam))" in note_words(n) for n in Y.derivation.notes)


def test_geometric0_catalog_entry_is_geometric_minus_one() -> None:
    fam = get_family("geometric0")
    k, p = sp.Symbol("k", integer=True), sp.Rational(3, 10)
    assert fam.support(p) == sp.Range(0, sp.oo)
    assert sp.summation(fam.pdf(k, p), (k, 0, sp.oo)) == 1
    twin = fam.scipy(0.3)
    assert np.allclose(twin.pmf(np.arange(6)), 0.3 * 0.7 ** np.arange(6), rtol=1e-12)
    draws = fam.sampler(np.random.default_rng(_RNG_SEED), 100_000, 0.3)
    assert draws.min() == 0 and abs(draws.mean() - 0.7 / 0.3) <= 0.03
    X = covar.parse_density("Geometric0(3/10)")
    assert X.mean == sp.Rational(7, 3) and X.variance == sp.Rational(70, 9)
    for t in (0, 1.5, 4):
        assert abs(float(fam.cdf_fn(sp.Float(t), p)) - twin.cdf(t)) <= 1e-12


def test_geometric0_is_refused_outside_its_domain() -> None:
    with pytest.raises(covar.InvalidDensity, match="probability"):
        covar.parse_density("Geometric0(3/2)")


# -- F and beta-prime laws (Snedecor's F from scaled chi-squares, X/(1 - X) of a Beta) -----------

@pytest.mark.parametrize("law, g, var, name, scipy_law, values", [
    ("ChiSquared(2) * ChiSquared(4)", "(x1/2)/(x2/4), x2", "y1", "FisherF(2, 4)", stats.f(2, 4), {}),
    ("ChiSquared(5) * ChiSquared(3)", "(x1/5)/(x2/3), x2", "y1", "FisherF(5, 3)", stats.f(5, 3), {}),
    ("Gamma(a, 1) * Gamma(b, 1)", "x1/x2, x2", "y1", "BetaPrime(a, b)", stats.betaprime(0.7, 2.5),
     {"a": 0.7, "b": 2.5}),
])
def test_ratios_are_named_f_and_beta_prime(law, g, var, name, scipy_law, values):
    Y = covar.transform(law, g, "y1, y2").marginal(var)
    assert str(Y.family) == name
    ys = np.array([0.05, 0.4, 1.3, 6.0])
    exact = {p: sp.Float(values[p.name], 30) for p in Y.params}
    got = [float(Y.pdf.xreplace(exact).subs(Y.var, v)) for v in ys]  # the formula the user reads
    np.testing.assert_allclose(got, scipy_law.pdf(ys), rtol=1e-9)


@pytest.mark.parametrize("law, g, name, scipy_law", [
    ("Beta(2, 3)", "x/(1 - x)", "BetaPrime(2, 3)", stats.betaprime(2, 3)),
    ("StudentT(5)", "x**2", "FisherF(1, 5)", stats.f(1, 5)),
])
def test_univariate_maps_named_f_and_beta_prime(law, g, name, scipy_law):
    Y = covar.transform(law, g)
    assert str(Y.family) == name
    ys = np.array([0.05, 0.4, 1.3, 6.0])
    np.testing.assert_allclose([float(Y.pdf.subs(Y.var, v)) for v in ys], scipy_law.pdf(ys), rtol=1e-10)
