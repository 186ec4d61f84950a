"""Numerical checks on densities: the input is validated, results can be verified.

``validate_density`` rejects an input that is negative somewhere or does not integrate (sum)
to 1 minus its atoms, when its parameters are concrete. ``total_mass`` is shared with the
checks used by tests and ``covar check``.
"""
from __future__ import annotations

import warnings

import numpy as np
import sympy as sp
from scipy import integrate

from .errors import InvalidDensity

_MASS_TOL = 1e-6
_MAX_TERMS = 100_000


def _interval_mass(f, lo: float, hi: float) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if np.isfinite(lo) and np.isfinite(hi):
            pts = np.linspace(lo, hi, 9)[1:-1]
            return integrate.quad(f, lo, hi, points=pts, limit=400, epsabs=1e-11, epsrel=1e-10)[0]
        return integrate.quad(f, lo, hi, limit=400, epsabs=1e-11, epsrel=1e-10)[0]


def _end_mass(f, end: float, width: float) -> float:
    """∫ f over [end, end + width] (width may be negative) in log scale, t = end + width*e^u:
    densities like 1/(y log(y)^2) spread their mass over many decades next to an end."""
    def in_log_scale(u: float) -> float:
        step = abs(width) * np.exp(u)
        return f(end + np.sign(width) * step) * step

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return integrate.quad(in_log_scale, -np.inf, 0.0, limit=400, epsabs=1e-12, epsrel=1e-10)[0]


def continuous_mass(pdf, intervals: list[tuple[float, float]]) -> float:
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


def _float(v: sp.Expr) -> float:
    return float(sp.N(v)) if v not in (sp.oo, -sp.oo) else (np.inf if v == sp.oo else -np.inf)


def validate_density(density) -> None:
    """Raise InvalidDensity unless ``density`` is nonnegative with total mass 1 (concrete params only)."""
    if density.params or density.pdf is None:
        return
    atoms = float(sum(_float(m) for m in density.atoms.values())) if density.atoms else 0.0
    if any(_float(m) < 0 for m in density.atoms.values()):
        raise InvalidDensity("an atom has negative mass")
    if density.discrete:
        mass = _discrete_mass(density)
    else:
        from .pieces import support_intervals

        f = density.numpy()
        intervals = [(_float(iv.start), _float(iv.end)) for iv in support_intervals(density.support)]
        probe = np.concatenate([
            np.linspace(max(lo, -50), min(hi, 50), 403)[1:-1] for lo, hi in intervals
        ]) if intervals else np.array([])
        with np.errstate(all="ignore"):
            values = f(probe)
        if np.any(np.isnan(values)) or np.any(values < -1e-12):
            bad = probe[np.isnan(values) | (values < -1e-12)][0]
            raise InvalidDensity(
                f"the density {density.pdf} is negative or undefined at {density.var} = {bad:.4g} "
                f"inside its support {density.support}"
            )
        mass = continuous_mass(lambda t: float(f(np.array([t]))[0]), intervals)
    if abs(mass + atoms - 1) > _MASS_TOL * 100:
        raise InvalidDensity(
            f"the density integrates to {mass + atoms:.6g} over {density.support}, not 1; "
            "check the normalising constant and the support"
        )


def _discrete_mass(density) -> float:
    """Sum of the pmf over its support. Terms are evaluated in floating point (exact powers
    and factorials of large integers are slow), and an infinite support is summed until the
    terms stop mattering."""
    support = density.support
    f = sp.lambdify(density.var, density.pdf, "mpmath")
    if not isinstance(support, (sp.FiniteSet, sp.Range)):
        raise InvalidDensity(f"a pmf needs a FiniteSet or Range support, got {support}")
    total, batch = 0.0, []
    for k, point in enumerate(support):
        if k >= _MAX_TERMS:
            break
        value = float(f(float(point)))
        if value < 0 or value != value:
            raise InvalidDensity(f"the pmf is negative or undefined at {density.var} = {point}")
        batch.append(value)
        if len(batch) == 100:
            added = sum(batch)
            total += added
            batch = []
            if k > 200 and added < 1e-15:
                break
    return total + sum(batch)
