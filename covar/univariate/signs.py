"""Deciding signs and orders of symbolic quantities (parameter draws come from covar.numeric.verify).

The engine must never guess: a comparison is decided by sympy's assumptions, or the
caller is told (UnsupportedTransform) which assumption would decide it. Random parameter
draws are used only to *check* candidate answers (inverse roots, family matches), never to
choose a branch that sympy could not decide.
"""
from __future__ import annotations

from typing import Iterable

import sympy as sp

from covar.errors import UnsupportedTransform
from covar.text.values import as_expression
from covar.numeric.verify import parameter_draws, to_float as as_float

__all__ = ["as_float", "interior_point", "interior_samples", "is_less", "parameter_draws", "sign_of",
           "sort_points"]


def sign_of(expr: sp.Expr) -> int | None:
    """+1, -1 or 0 when sympy can decide the sign of ``expr``; None when it cannot.

    >>> c = sp.Symbol("c", positive=True)
    >>> sign_of(c + 1), sign_of(-c), sign_of(sp.Symbol("d", real=True))
    (1, -1, None)
    """
    expr = as_expression(expr)
    if expr.is_zero:
        return 0
    if expr.is_positive:
        return 1
    if expr.is_negative:
        return -1
    if expr.is_infinite:
        if expr == sp.oo:
            return 1
        if expr == -sp.oo:
            return -1
    simpler = sp.factor_terms(sp.cancel(expr)) if expr.free_symbols else expr
    if simpler is not expr:
        if simpler.is_zero:
            return 0
        if simpler.is_positive:
            return 1
        if simpler.is_negative:
            return -1
    if not expr.free_symbols:
        value = sp.N(expr, 30)
        if value.is_real and value.is_number and value.is_finite:
            return int(bool(value > 0)) - int(bool(value < 0))
    return None


def is_less(a: sp.Expr, b: sp.Expr) -> bool | None:
    """True/False when a < b is decidable, None otherwise (equal counts as False)."""
    if a == b:
        return False
    if a == -sp.oo or b == sp.oo:
        return True
    if a == sp.oo or b == -sp.oo:
        return False
    s = sign_of(b - a)
    return None if s is None else s > 0


def sort_points(points: Iterable[sp.Expr], what: str = "breakpoints") -> list[sp.Expr]:
    """Distinct points in increasing order; raises when sympy cannot order two of them."""
    distinct: list[sp.Expr] = []
    for p in points:
        p = as_expression(p)
        if any(sign_of(p - q) == 0 for q in distinct if not (p.is_infinite or q.is_infinite)) or p in distinct:
            continue
        distinct.append(p)
    ordered: list[sp.Expr] = []
    for p in distinct:
        pos = 0
        while pos < len(ordered):
            less = is_less(ordered[pos], p)
            if less is None:
                raise UnsupportedTransform(
                    f"cannot decide whether {ordered[pos]} < {p} (two {what}); "
                    "state the parameters' signs or ranges (e.g. --assume 'a>0') or give numbers"
                )
            if not less:
                break
            pos += 1
        ordered.append(p) if pos == len(ordered) else ordered.insert(pos, p)
    return ordered


def interior_point(lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    """A point strictly inside (lo, hi), exact and simple."""
    if lo == -sp.oo and hi == sp.oo:
        return sp.Integer(0)
    if lo == -sp.oo:
        return hi - 1
    if hi == sp.oo:
        return lo + 1
    return (lo + hi) / 2


def interior_samples(lo: float, hi: float, n: int = 3) -> list[float]:
    """n well-spread floats strictly inside (lo, hi), which may be infinite."""
    # off-centre fractions: a symmetric midpoint (y = 0) is where inverse formulas are often 0/0
    fr = [0.1854 + 0.6537 * k / max(n - 1, 1) for k in range(n)]
    if lo == float("-inf") and hi == float("inf"):
        return [(-1.7 + 3.1 * f) for f in fr]
    if lo == float("-inf"):
        return [hi - 0.31 - 2.3 * f for f in fr]
    if hi == float("inf"):
        return [lo + 0.31 + 2.3 * f for f in fr]
    return [lo + (hi - lo) * f for f in fr]
