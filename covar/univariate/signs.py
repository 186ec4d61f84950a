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

__all__ = ["UndecidedSign", "deciding_gap", "interior_point", "is_less", "lies_in", "sign_of", "sign_part", "sort_points"]


class UndecidedSign(UnsupportedTransform):
    """The answer depends on the sign of ``quantity`` (an expression in the parameters), which
    the assumptions do not settle; covar.univariate.cases splits on it into cases.

    >>> c = sp.Symbol("c", real=True)
    >>> UndecidedSign("cannot decide", c).quantity
    c
    """

    def __init__(self, message: str, quantity: sp.Expr) -> None:
        super().__init__(message)
        self.quantity = quantity


def deciding_gap(condition: sp.Basic) -> sp.Expr:
    """lhs - rhs of the first comparison in ``condition``: the sign that decides it.

    >>> c = sp.Symbol("c", real=True)
    >>> deciding_gap(sp.And(c > 1, c < 3))
    c - 1
    """
    relations = sorted(condition.atoms(sp.core.relational.Relational), key=sp.default_sort_key)
    return relations[0].lhs - relations[0].rhs if relations else sp.nan


def sign_part(expr: sp.Expr) -> sp.Expr:
    """``expr`` without the factors whose sign is known: the part that decides its sign
    (c*exp(c) -> c, 2*(b - a)*(a + b) -> b - a for positive a, b).

    >>> a, b = sp.symbols("a b", positive=True)
    >>> sign_part(b**2 - a**2), sign_part(-3*sp.Symbol("c", real=True)*sp.exp(a))
    (-a + b, -c)
    """
    expr = sp.factor_terms(as_expression(expr))
    if expr.free_symbols:
        expr = sp.factor(expr)
    flip, kept = 1, []
    for factor in sp.Mul.make_args(expr):
        s = sign_of(factor)
        if s in (1, -1):
            flip *= s
        else:
            kept.append(factor)
    return flip * sp.Mul(*kept)


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
                raise UndecidedSign(
                    f"cannot decide whether {ordered[pos]} < {p} (two {what}); "
                    "state the parameters' signs or ranges (e.g. --assume 'a>0') or give numbers",
                    p - ordered[pos])
            if not less:
                break
            pos += 1
        ordered.append(p) if pos == len(ordered) else ordered.insert(pos, p)
    return ordered


def lies_in(p: sp.Expr, interval: sp.Interval) -> bool:
    """Whether ``p`` lies in ``interval``, decided from the assumptions; raises UndecidedSign
    (naming the comparison that decides it) when they do not settle it.

    >>> b, c = sp.symbols("b c", positive=True)
    >>> lies_in(b / 2, sp.Interval(0, b)), lies_in(-c, sp.Interval(0, b))
    (True, False)
    """
    verdict = interval.contains(p)
    if verdict in (sp.true, sp.false):
        return bool(verdict)
    for end, above in ((interval.start, True), (interval.end, False)):
        if end.is_infinite:
            continue
        gap = p - end if above else end - p
        s = sign_of(gap)
        if s is None:
            raise UndecidedSign(
                f"cannot decide whether {p} lies inside the support {interval}; "
                f"state whether {p} {'>' if above else '<'} {end} (e.g. assume='{p} {'>' if above else '<'} {end}')",
                gap)
        if s < 0 or (s == 0 and (interval.left_open if above else interval.right_open)):
            return False
    return True


def interior_point(lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    """A point strictly inside (lo, hi), exact and simple."""
    if lo == -sp.oo and hi == sp.oo:
        return sp.Integer(0)
    if lo == -sp.oo:
        return hi - 1
    if hi == sp.oo:
        return lo + 1
    return (lo + hi) / 2
