"""The numerical checks themselves must be able to fail."""
from __future__ import annotations

import numpy as np
import sympy as sp

import covar
from covar.checks import check, check_against_samples

y = sp.Symbol("y", real=True)
HALF_NORMAL = covar.Density(sp.sqrt(2 / sp.pi) * sp.exp(-y**2 / 2), y, sp.Interval(0, sp.oo))


def test_correct_density_passes():
    ys = np.abs(np.random.default_rng(1).standard_normal(100_000))
    report = check_against_samples(HALF_NORMAL, ys)
    assert report.passed and abs(report.mass - 1) < 1e-8 and report.ks_pvalue > 1e-3


def test_slightly_wrong_scale_is_rejected():
    ys = np.abs(np.random.default_rng(1).normal(0, 1.03, 100_000))
    report = check_against_samples(HALF_NORMAL, ys)
    assert not report.passed and "KS" in report.failures[0]


def test_the_tutorials_normal_claim_is_rejected():
    """N(0, 1) on the whole line, checked against samples of sqrt(chi2(1)), must fail."""
    wrong = covar.Density(sp.exp(-y**2 / 2) / sp.sqrt(2 * sp.pi), y, sp.Interval(-sp.oo, sp.oo))
    ys = np.sqrt(np.random.default_rng(2).chisquare(1, 100_000))
    assert not check_against_samples(wrong, ys).passed


def test_missing_mass_and_wrong_atom_are_reported():
    half = covar.Density(sp.exp(-y**2 / 2) / sp.sqrt(2 * sp.pi), y, sp.Interval(0, sp.oo), {0: sp.Rational(1, 3)},
                         validate=False)
    ys = np.maximum(0, np.random.default_rng(3).standard_normal(100_000))
    failures = " ".join(check_against_samples(half, ys).failures)
    assert "integrates to 0.500000, expected 0.666667" in failures
    assert "atom at 0.0" in failures


def test_check_draws_its_own_samples_for_derived_laws():
    Y = covar.transform(covar.parse_density("Normal(0, 1)"), "Max(0, x)")
    report = check(Y, samples=50_000, seed=4)
    assert report.passed and report.samples == 50_000
    assert abs(report.atom_frequencies[0.0] - 0.5) < 0.01


def test_raw_pmfs_are_sampled_and_checked():
    x = sp.Symbol("x", real=True)
    P = covar.Density(sp.exp(-2) * 2**x / sp.factorial(x), x, sp.Range(0, sp.oo), discrete=True)
    Y = covar.transform(P, (x - 2) ** 2)
    assert check(Y, samples=50_000, seed=2).passed
    die = covar.Density(sp.Rational(1, 6), x, sp.FiniteSet(1, 2, 3, 4, 5, 6), discrete=True)
    report = check(covar.transform(die, sp.Min(x, 4)), samples=50_000, seed=3)
    assert report.passed and report.samples == 50_000
