"""Deciding signs and orders of symbolic quantities.

The engine must never guess: a comparison is decided by sympy's assumptions, or the
caller is told (UnsupportedTransform) which assumption would decide it. (Random parameter
draws, in covar.numeric.verify, only *check* candidate answers; they never choose a branch
that sympy could not decide.)
"""
from __future__ import annotations

from typing import Iterable

import sympy as sp

from covar.errors import UnsupportedTransform
from covar.text.values import as_expression

__all__ = ["interior_point", "is_less", "sign_of", "sort_points"]


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
