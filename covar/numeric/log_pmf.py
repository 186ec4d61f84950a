"""A pmf's logarithm computed in log space (log-gamma for factorials), checked against mpmath.

The log of a pmf evaluated as ``np.log(pmf)`` is -inf wherever the pmf underflows (a Poisson(3)
at k = 300 has log-pmf -1088, and pmf 0.0 in floats). Here the formula itself is taken to log
space: factorials, binomials and gammas become log-gammas, products and powers become sums, and
the compiled log form is compared with an mpmath evaluation of log(pmf) at a few of the points of
each call's parameters before it is trusted (a split of a log that is not valid for those
parameters fails that check, and the call falls back to ``np.log(pmf)``).

>>> import sympy as sp
>>> k, lam = sp.symbols("k lam", positive=True)
>>> log_formula(lam**k * sp.exp(-lam) / sp.factorial(k))
k*log(lam) - lam - loggamma(k + 1)
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import mpmath
import numpy as np
import sympy as sp

_CHECKED_POINTS = 3
_TOLERANCE = 1e-10  # absolute on the log scale: 1e-10 relative on the pmf
_ROUNDING = 1e-9  # a log-pmf above this is not a log of a probability


def log_formula(expr: sp.Expr) -> sp.Expr | None:
    """log(expr) with every product, power and gamma function split into a sum of logs (the
    parameters taken as they make the pmf positive); None when the result still has a log of
    something that can underflow or a Piecewise inside a log."""
    if isinstance(expr, sp.Piecewise):
        branches = [(log_formula(e), c) for e, c in expr.args]
        if any(e is None for e, _ in branches):
            return None
        return sp.Piecewise(*branches)
    if expr == 0:
        return sp.S.NegativeInfinity
    gammas = expr.rewrite(sp.gamma)  # factorial(k) -> gamma(k + 1); binomials likewise
    logged = sp.expand_log(sp.log(gammas), force=True)
    logged = logged.xreplace({e: sp.loggamma(e.args[0].args[0], evaluate=False) for e in logged.atoms(sp.log)
                              if isinstance(e.args[0], sp.gamma)})
    if logged.has(sp.Piecewise) or any(_may_underflow(e.args[0]) for e in logged.atoms(sp.log)):
        return None
    return logged


def _may_underflow(e: sp.Expr) -> bool:
    """Can this argument of a log underflow at far points? (It has a power or an exponential
    with a symbolic exponent that the split did not take out of the log.)"""
    return any((isinstance(a, sp.Pow) and not a.exp.is_number) or (isinstance(a, sp.exp) and not a.args[0].is_number)
               for a in sp.preorder_traversal(e))


def checked_log(expr: sp.Expr, var: sp.Symbol, params: Sequence[sp.Symbol],
                compile_: Callable[[sp.Expr, Sequence[sp.Symbol]], Callable[..., Any]]
                ) -> Callable[..., np.ndarray] | None:
    """A function (ks, *p) -> log expr at the integer points ks (all inside the support), in log
    space where the log form agrees with mpmath at the call's parameters, else np.log of the
    formula; None when the formula has no log form."""
    logged = log_formula(expr)
    if logged is None:
        return None
    args = (var, *params)
    fast = compile_(logged, args)
    plain = compile_(expr, args)
    reference = sp.lambdify(args, sp.log(expr), "mpmath")
    faithful: dict[tuple, bool] = {}

    def logged_plain(ks: np.ndarray, *p: Any) -> np.ndarray:
        from covar.numeric.evaluate import as_real

        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(as_real(plain(ks, *p), ks.shape))

    def evaluate(ks: np.ndarray, *p: Any) -> np.ndarray:
        key = tuple(float(v) for v in p) if not any(np.ndim(v) for v in p) else None
        good = faithful.get(key) if key is not None else None
        if good is not False:
            with np.errstate(all="ignore"):
                raw = np.broadcast_to(np.asarray(fast(ks, *p)), ks.shape)  # a constant log form too
            if good is None:  # a complex log form (of (-1)**(1/3)) is never used
                good = not np.iscomplexobj(raw) and _agrees(raw.astype(float), ks, p, reference)
                if key is not None:
                    faithful[key] = good
            if good:
                out = np.array(raw, dtype=float)
                # a log of a pmf is at most 0: nan or a positive value at a point the probe did
                # not see (2*log(k) split from log(k**2), at k < 0) is redone from the pmf itself
                bad = ~(out <= _ROUNDING)
                if bad.any():
                    out[bad] = logged_plain(ks[bad], *(np.broadcast_to(v, ks.shape)[bad] if np.ndim(v) else v
                                                       for v in p))
                return out
        return logged_plain(ks, *p)

    return evaluate


def _agrees(values: np.ndarray, ks: np.ndarray, p: Sequence[Any], reference: Callable[..., Any]) -> bool:
    """Do the log-space values match mpmath's log of the pmf at a few of the points (the first,
    the last and the largest)?"""
    if ks.size == 0:
        return False
    flat_k, flat_v = ks.reshape(-1), values.reshape(-1)
    picks = {0, flat_k.size - 1, int(np.argmax(flat_k))}
    if any(np.ndim(v) for v in p):
        return False  # parameters given per point: checked point by point would cost a pass
    for i in sorted(picks)[:_CHECKED_POINTS]:
        with mpmath.workdps(30):
            try:
                want = complex(reference(mpmath.mpf(float(flat_k[i])), *(mpmath.mpf(float(v)) for v in p)))
            except (ValueError, ZeroDivisionError, TypeError):
                return False
        if want.imag != 0 or not np.isfinite(want.real):
            return False
        if not (abs(flat_v[i] - want.real) <= _TOLERANCE * max(1.0, abs(want.real))):
            return False
    return True
