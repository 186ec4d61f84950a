"""Fractional parts and Mod inside maps on unbounded supports: a wrapped series sympy cannot sum
gives an honest numeric-only law (never a refusal or a traceback), one it can sum a closed form;
each checked against an independent wrapped sum and samples of g(X)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import covar
from reference import symbolic_pdf_values


def _wrapped(pdf, ys: np.ndarray, period: float) -> np.ndarray:
    """Σ_k f(y + k·period) over every integer k that matters: the density of q mod period
    for q with density f."""
    ks = np.arange(-400, 401)[:, None]
    return pdf(ys[None, :] + ks * period).sum(axis=0)


@pytest.mark.parametrize("law, map_text, inner, period, draw", [
    ("Normal(0, 1)", "x - floor(x)", stats.norm(0, 1), 1.0, lambda r, n: r.normal(size=n) % 1),
    ("Normal(0, 1)", "frac(2*x)", stats.norm(0, 2), 1.0, lambda r, n: (2 * r.normal(size=n)) % 1),
    ("Normal(1, 2)", "Mod(x, 3)", stats.norm(1, 2), 3.0, lambda r, n: r.normal(1, 2, n) % 3),
])
def test_a_fractional_part_of_a_normal_is_numeric_only_and_right(law, map_text, inner, period, draw):
    Y = covar.transform(law, map_text)
    assert not Y.closed_form and float(Y.support.start) == 0.0 and float(Y.support.end) == period
    ys = np.linspace(0.03, period - 0.03, 9)
    want = _wrapped(inner.pdf, ys, period)
    got = Y.numpy()(ys)
    assert np.all(np.abs(got - want) <= 1e-7 * want), (got, want)
    sample = draw(np.random.default_rng(3), 20_000)
    counts, edges = np.histogram(sample, bins=8, range=(0.0, period))
    expected = np.array([_wrapped(inner.pdf, np.linspace(a, b, 41), period).mean() * (b - a)
                         for a, b in zip(edges, edges[1:])]) * len(sample)
    assert stats.chisquare(counts, expected * counts.sum() / expected.sum()).pvalue > 1e-4


def test_a_function_of_a_fractional_part_of_a_gamma_has_a_closed_form():
    # sin(2π frac(X)) for X ~ Gamma(2, 1): the wrapped series sums in closed form
    Y = covar.transform("Gamma(2, 1)", "sin(2*pi*frac(x))")
    assert Y.closed_form
    ys = np.array([-0.93, -0.5, -0.1, 0.2, 0.6, 0.95])
    sample = np.sin(2 * np.pi * (np.random.default_rng(4).gamma(2.0, 1.0, 400_000) % 1))
    got = symbolic_pdf_values(Y, ys)
    # the density the user reads against a histogram of g(X) in narrow bins
    for y, f in zip(ys, got):
        share = np.mean(np.abs(sample - y) <= 0.01) / 0.02
        assert abs(share - f) <= 0.05 * f + 0.02, (y, share, f)
