"""Is an input a valid density? ``validate_density`` says why not (InvalidDensity).

With concrete parameters, an input is refused when it is negative or undefined somewhere in its
support, or does not integrate (sum, for a pmf) to 1 minus its atoms. Derived results are not
checked here: covar.numeric.verify is the gate for those.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp
from covar.errors import InvalidDensity
from covar.numeric.quadrature import continuous_mass  # imports scipy.integrate on first use only
from covar.numeric.verify import to_float

_MASS_TOL = 1e-4
_MAX_TERMS = 100_000


def _real_number(v: sp.Expr, what: str) -> float:
    """A float of a sympy number (±inf for ±oo); InvalidDensity if it is not a real number."""
    try:
        return to_float(v)
    except (ValueError, TypeError) as exc:
        raise InvalidDensity(f"the {what} {v} is not a real number ({exc})") from None


# probe points beyond [-50, 50], where a pdf typed by hand may stop being defined
_FAR = np.array([60.0, 100.0, 1e3, 1e6])


def _probe_points(intervals: list[tuple[float, float]]) -> np.ndarray:
    parts = [np.linspace(max(lo, -50), min(hi, 50), 403)[1:-1] for lo, hi in intervals]
    return np.concatenate(parts) if parts else np.array([])


def _check_far(density, intervals: list[tuple[float, float]]) -> None:
    """The pdf at a few far points, evaluated exactly (floating point would overflow there):
    a hand-typed Piecewise often stops being defined beyond the region its author looked at."""
    import mpmath

    far = np.concatenate([_FAR, -_FAR])

    def exp(z: Any) -> Any:
        # exp(z) = 2**(z/ln 2), exponent rounded: mpmath's exact argument reduction of an
        # astronomically large z (exp(-exp(1e6)) of a Gumbel pdf) is very slow, and only the sign
        # and rough size of the value matter here
        if isinstance(z, mpmath.mpf) and abs(z) > 1e5:
            return mpmath.ldexp(mpmath.mpf(1), int(z / mpmath.ln2))
        return mpmath.exp(z)

    f = sp.lambdify(density.var, density.pdf, modules=[{"exp": exp}, "mpmath"])  # big exponents, no overflow
    for point in (p for p in far if any(lo < p < hi for lo, hi in intervals)):
        try:
            with mpmath.workdps(20):
                value = complex(f(mpmath.mpf(int(point))))
        except (TypeError, ValueError, ZeroDivisionError, NameError):  # no numeric value
            raise InvalidDensity(f"the density {density.pdf} is undefined at {density.var} = "
                                 f"{point:g} inside its support {density.support}; define it on the "
                                 "whole support (a Piecewise needs a last (value, True) branch)") from None
        if not (value.imag == 0 and value.real >= 0):
            raise InvalidDensity(
                f"the density {density.pdf} is negative or undefined at {density.var} = {point:g} "
                f"inside its support {density.support}"
            )


def _float_values(f, points: np.ndarray, density) -> np.ndarray:
    with np.errstate(all="ignore"):
        try:
            values = np.asarray(f(points), dtype=float)
        except (OverflowError, TypeError, ValueError) as exc:
            raise InvalidDensity(
                f"the density {density.pdf} cannot be evaluated as a real number inside its "
                f"support {density.support} ({type(exc).__name__}: {exc}); check its size and form"
            ) from None
    return np.broadcast_to(values, points.shape)


def _integrand(f, density):
    """t -> pdf(t) for quadrature: the compiled evaluator, and where it overflows into nan or
    inf (exp(1000)/(1 + exp(1000))**2), the pdf itself in mpmath; a value that is still nan
    stays nan, so the mass is nan and the density is refused."""
    import mpmath

    exact = sp.lambdify(density.var, density.pdf, "mpmath")

    def value(t: float) -> float:
        v = float(_float_values(f, np.array([t]), density)[0])
        if np.isfinite(v):
            return v
        try:
            w = exact(mpmath.mpf(t))
            return float(w) if not isinstance(w, mpmath.mpc) else float("nan")
        except (TypeError, ValueError, ZeroDivisionError, OverflowError):
            return float("nan")

    return value


def validate_density(density) -> None:
    """Raise InvalidDensity unless ``density`` is nonnegative with total mass 1 (concrete params only).

    nan, -inf and complex values anywhere count as failures, never as a pass."""
    if density.params or density.pdf is None:
        return
    masses = [_real_number(m, "atom mass") for m in density.atoms.values()]
    if any(not (m >= 0) for m in masses):
        raise InvalidDensity("an atom has negative or undefined mass; atom masses must be in [0, 1]")
    atoms = float(sum(masses))
    if density.discrete:
        mass = _discrete_mass(density)
    else:
        from covar.univariate.pieces import support_intervals

        huge = [n for n in density.pdf.atoms(sp.Number) if n.is_finite and abs(n) > _FLOAT_MAX]
        if huge:
            shown = sp.sstr(huge[0])
            shown = shown if len(shown) <= 30 else shown[:30] + "..."
            raise InvalidDensity(f"the density contains the number {shown}, beyond floating point "
                                 "range (about 1e308): a density's constants must be moderate numbers")
        try:
            f = density.numpy(backend="numpy")
        except (TypeError, OverflowError) as exc:
            raise InvalidDensity(f"the density {density.pdf} cannot be evaluated numerically "
                                 f"({type(exc).__name__}: {exc})") from None
        intervals = [(_real_number(iv.start, "support end"), _real_number(iv.end, "support end"))
                     for iv in support_intervals(density.support)]
        _check_far(density, intervals)
        probe = _probe_points(intervals)
        values = _float_values(f, probe, density)
        bad = np.isnan(values) | ~(values >= -1e-12)
        if np.any(bad):
            where = probe[bad][0]
            raise InvalidDensity(
                f"the density {density.pdf} is negative or undefined at {density.var} = {where:.4g} "
                f"inside its support {density.support}"
            )
        mass = continuous_mass(_integrand(f, density), intervals)
    if not (abs(mass + atoms - 1) <= _MASS_TOL):
        raise InvalidDensity(
            f"the density integrates to {mass + atoms:.6g} over {density.support}, not 1; "
            "check the normalising constant and the support"
        )


_TAIL_TOL = 1e-12
_FLOAT_MAX = 1e300
_SUM_SECONDS = 2.0


def _term_function(density):
    """k -> pmf(k) as a float, evaluated in mpmath (no overflow in lam**k or k!)."""
    import mpmath

    f = sp.lambdify(density.var, density.pdf, "mpmath")

    def term(k: sp.Expr) -> float:
        point = mpmath.mpf(int(k)) if k.is_Integer else mpmath.mpf(_real_number(k, "support point"))
        try:
            raw = f(point)
            value = float(raw) if not isinstance(raw, mpmath.mpc) else float("nan")
        except (TypeError, ValueError, OverflowError, ZeroDivisionError):
            value = float("nan")
        if not (value >= 0 and value < np.inf):
            raise InvalidDensity(f"the pmf {density.pdf} is negative or undefined at "
                                 f"{density.var} = {k}; a pmf is a finite number >= 0 at every point")
        return value

    return term


def _closed_sum(density, first: sp.Expr, step: sp.Expr) -> float | None:
    """Σ_{j >= 0} pmf(first + step*j) by sympy summation, when it gives a number quickly."""
    from covar.numeric.budget import time_budget
    from covar.errors import DerivationTimeout

    j = sp.Dummy("j", integer=True, nonnegative=True)
    try:
        with time_budget(_SUM_SECONDS, "summation of the pmf"):
            total = sp.summation(density.pdf.xreplace({density.var: first + step * j}), (j, 0, sp.oo))
            exact = total.is_number and not total.has(sp.Sum, sp.Piecewise, sp.Integral)
            value = complex(sp.N(total)) if exact else None
    except (DerivationTimeout, NotImplementedError, TypeError, ValueError, ZeroDivisionError):
        return None
    if value is None or value.imag != 0 or np.isnan(value.real):
        return None
    return value.real


def _one_sided_sum(density, term, first: sp.Expr, step: sp.Expr) -> float:
    """Σ_{j >= 0} pmf(first + step*j): in closed form when sympy can, else numerically with a
    ratio-test bound on the tail. Terms are checked to be finite and >= 0 on the way."""
    exact = _closed_sum(density, first, step)
    if exact is not None:
        if exact == np.inf:
            raise InvalidDensity(f"the pmf {density.pdf} sums to infinity over {density.support}")
        return exact
    total, previous, ratio = 0.0, None, 0.0
    for j in range(_MAX_TERMS):
        value = term(first + step * j)
        total += value
        if previous is not None and previous > 0:
            ratio = max(ratio, value / previous)
        previous = value
        if j % 100 == 99:
            if ratio < 1 and value * ratio / (1 - ratio) <= _TAIL_TOL:
                return total
            if value == 0.0 and ratio == 0.0:
                return total
            ratio = 0.0  # the bound uses the ratios of the latest block only
    raise InvalidDensity(
        f"cannot check that the pmf {density.pdf} sums to 1 over {density.support}: after "
        f"{_MAX_TERMS} terms the sum is {total:.6g} and the tail is not provably small; "
        "give a pmf whose sum sympy can compute, or a finite support"
    )


def _discrete_mass(density) -> float:
    """Sum of the pmf over its support: finite supports term by term, infinite ones in closed
    form (sympy summation) or numerically with a proven tail bound. Every term must be >= 0."""
    support = density.support
    if not isinstance(support, (sp.FiniteSet, sp.Range)):
        raise InvalidDensity(f"a pmf needs a FiniteSet or Range support, got {support}")
    term = _term_function(density)
    if isinstance(support, sp.FiniteSet) or support.size.is_finite:
        if support.size > _MAX_TERMS if isinstance(support, sp.Range) else len(support) > _MAX_TERMS:
            raise InvalidDensity(f"the support {support} has more than {_MAX_TERMS} points; "
                                 "covar checks pmfs on at most that many points")
        return float(sum(term(point) for point in support))
    start, stop, step = support.start, support.stop, support.step
    # nonnegativity at the first points and at far points of each side, before any summing
    ends = [(start, step)] if start.is_finite else [(support.sup, -step)] if stop.is_finite \
        else [(sp.Integer(0), sp.Integer(1)), (sp.Integer(-1), sp.Integer(-1))]
    for first, direction in ends:
        for j in [*range(200), *(10 ** e for e in range(3, 16))]:
            term(first + direction * j)
    if start.is_finite:
        return _one_sided_sum(density, term, start, step)
    if stop.is_finite:  # Range(-oo, b): count down from the last point
        return _one_sided_sum(density, term, support.sup, -step)
    # the whole integer lattice (step 1 after normalisation): k >= 0 and k < 0
    return (_one_sided_sum(density, term, sp.Integer(0), sp.Integer(1))
            + _one_sided_sum(density, term, sp.Integer(-1), sp.Integer(-1)))
