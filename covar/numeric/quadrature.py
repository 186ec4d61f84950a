"""Integrals of a density over intervals: adaptive quadrature, and one vectorised pass.

``continuous_mass`` is scalar adaptive quadrature, split at 0 and ±1 and taken in log scale
next to finite ends (where integrable singularities live); ``grid_mass`` and
``segment_masses`` integrate many segments at once by Gauss–Legendre, for evaluators too
costly to call point by point (root-finding) and for the CDF between sorted samples.

>>> import numpy as np
>>> pdf = lambda t: np.exp(-t)
>>> round(continuous_mass(pdf, [(0.0, np.inf)]), 9), round(grid_mass(pdf, [(0.0, np.inf)]), 9)
(1.0, 1.0)
"""
from __future__ import annotations

import warnings
from typing import Callable

import numpy as np

from covar.numeric.sampling import _grid

#: a pdf of one float, and a vectorised pdf of an array of points
ScalarPdf = Callable[[float], float]
VectorPdf = Callable[[np.ndarray], np.ndarray]


def _interval_mass(f: ScalarPdf, lo: float, hi: float) -> float:
    from scipy import integrate  # on first use: a derivation with symbolic parameters never needs it

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if np.isfinite(lo) and np.isfinite(hi):
            pts = np.linspace(lo, hi, 9)[1:-1]
            return integrate.quad(f, lo, hi, points=pts, limit=400, epsabs=1e-11, epsrel=1e-10)[0]
        return integrate.quad(f, lo, hi, limit=400, epsabs=1e-11, epsrel=1e-10)[0]


def _end_mass(f: ScalarPdf, end: float, width: float) -> float:
    """∫ f over [end, end + width] (width may be negative) in log scale, t = end + width*e^u:
    densities like 1/(y log(y)^2) spread their mass over many decades next to an end."""
    def in_log_scale(u: float) -> float:
        step = abs(width) * np.exp(u)
        return f(end + np.sign(width) * step) * step

    from scipy import integrate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return integrate.quad(in_log_scale, -np.inf, 0.0, limit=400, epsabs=1e-12, epsrel=1e-10)[0]


def continuous_mass(pdf: ScalarPdf, intervals: list[tuple[float, float]]) -> float:
    """∫ pdf over the given (lo, hi) pairs: adaptive quadrature split at 0 and ±1, and in log
    scale next to finite ends, where integrable singularities live."""
    total = 0.0
    for lo, hi in intervals:
        if np.isfinite(lo) and np.isfinite(hi):
            w = (hi - lo) / 4
            total += _end_mass(pdf, lo, w) + _end_mass(pdf, hi, -w)
            lo, hi = lo + w, hi - w
        elif np.isfinite(lo):
            total += _end_mass(pdf, lo, 1.0)
            lo += 1.0
        elif np.isfinite(hi):
            total += _end_mass(pdf, hi, -1.0)
            hi -= 1.0
        cuts = sorted({lo, hi, *[c for c in (-1.0, 0.0, 1.0) if lo < c < hi]})
        for a, b in zip(cuts, cuts[1:]):
            total += _interval_mass(pdf, a, b)
    return total


_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(10)


def segment_masses(f: VectorPdf, a: np.ndarray, b: np.ndarray, split: int = 4) -> np.ndarray:
    """∫_a^b f for many finite segments at once: Gauss–Legendre on ``split`` sub-segments each."""
    edges = a[:, None] + (b - a)[:, None] * np.linspace(0, 1, split + 1)[None, :]
    lo, hi = edges[:, :-1], edges[:, 1:]
    mid, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
    nodes = mid[..., None] + half[..., None] * _GL_NODES
    with np.errstate(all="ignore"):
        vals = np.real(np.asarray(f(nodes.ravel()), dtype=complex)).reshape(nodes.shape)
    vals = np.where(np.isfinite(vals), vals, 0.0)
    return ((vals * _GL_WEIGHTS).sum(axis=-1) * half).sum(axis=-1)


def grid_mass(vector_pdf: VectorPdf, intervals: list[tuple[float, float]]) -> float:
    """∫ pdf over the (lo, hi) pairs in one vectorised pass: Gauss–Legendre on a grid that is
    geometrically dense next to finite ends and reaches far into infinite tails."""
    total = 0.0
    for lo, hi in intervals:
        xs = _grid(lo, hi)
        total += float(segment_masses(vector_pdf, xs[:-1], xs[1:], split=1).sum())
    return total
