"""A turning point found numerically keeps its closed form when sympy's solve has one that
agrees to 20 digits: swish's minimum is -W(1/e), so its image starts at an exact end (the
certified numeric roots still decide how many turning points there are)."""
from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy import optimize, stats

import covar


def _swish(x: float) -> float:
    return x / (1.0 + math.exp(-x))


def _reference_pdf(y: float) -> float:
    """Σ f_X(x)/|g'(x)| over the preimages of y, found by brentq on each side of the minimum."""
    turn = -1.0 - float(mpmath.lambertw(mpmath.e ** -1))
    total = 0.0
    for lo, hi in ((-60.0, turn), (turn, 60.0)):
        a, b = _swish(lo) - y, _swish(hi) - y
        if a * b < 0:
            x = optimize.brentq(lambda t: _swish(t) - y, lo, hi, xtol=1e-14)
            s = 1.0 / (1.0 + math.exp(-x))
            total += stats.norm.pdf(x) / abs(s + x * s * (1 - s))
    return total


def test_swish_of_a_normal_has_an_exact_lower_end():
    Y = covar.transform("Normal(0, 1)", "swish(x)")
    assert Y.closed_form
    lo = Y.support.inf
    assert not lo.has(sp.Float) and not Y.pdf.has(sp.Float), (lo, Y.pdf)
    assert lo == -sp.LambertW(sp.exp(-1))  # min of x σ(x) = -W(1/e), written so
    pdf = sp.lambdify(Y.var, Y.pdf, "mpmath")  # the formula the user reads
    for y in (float(lo) + 1e-3, -0.2, -0.05, 0.3, 2.5):
        assert float(pdf(mpmath.mpf(y))) == pytest.approx(_reference_pdf(y), rel=1e-8)
    with mpmath.workdps(20):
        mass = mpmath.quad(pdf, [lo.evalf(20), 0, 1, 8, mpmath.inf])
    assert abs(mass - 1) < 1e-8
    ys = np.array([float(lo) + 1e-3, -0.2, 0.3])
    np.testing.assert_allclose(Y.numpy()(ys), [_reference_pdf(v) for v in ys], rtol=1e-8)
