"""Conditions of a multivariate map: where the image lies, and simplification under them.

A branch x = h(y) of g^{-1} applies where X's support holds at h(y), where the range of each
component of g allows y (``range_condition``) and where h is real (``domain_condition``);
``simplify_condition`` drops what is always true, and ``simplify_on`` simplifies an expression
knowing the signs a condition implies.
"""
from __future__ import annotations

from typing import Sequence

import sympy as sp

from covar.errors import DerivationTimeout
from covar.numeric.budget import time_budget
from covar.text.values import as_sympy


def try_simplify(expr: sp.Expr, seconds: float = 4.0) -> sp.Expr:
    """simplify() when it finishes in time; the unsimplified (equal) expression otherwise."""
    try:
        with time_budget(seconds, "simplification"):
            return sp.simplify(expr)
    except DerivationTimeout:
        return expr


def flatten_and(cond: sp.Basic) -> list[sp.Basic]:
    """The conjuncts of ``cond`` (``cond`` itself when it is not an And)."""
    return list(cond.args) if isinstance(cond, sp.And) else [cond]


def _decide(rel: sp.Basic) -> sp.Basic:
    """A relational decided from sign information when possible (e.g. exp(u) > 0 -> True)."""
    if not isinstance(rel, sp.core.relational.Relational) or isinstance(rel, (sp.Eq, sp.Ne)):
        return rel
    lhs, rhs = rel.lhs, rel.rhs
    if isinstance(lhs, sp.exp) and rhs.is_positive:  # exp(u) < c  <=>  u < log(c)
        rel = rel.func(lhs.args[0], sp.log(rhs))
    elif isinstance(rhs, sp.exp) and lhs.is_positive:
        rel = rel.func(sp.log(lhs), rhs.args[0])
    if rel in (sp.true, sp.false):
        return rel
    angles = rel.atoms(sp.atan2)
    if len(angles) == 1 and (rel.free_symbols - angles.pop().free_symbols) == set():
        # a condition on one polar angle a in (-pi, pi]: decide it at the ends when linear in a
        a = sp.Dummy("a")
        r = rel.xreplace({next(iter(rel.atoms(sp.atan2))): a})
        e = sp.expand(r.lhs - r.rhs)
        if e.is_polynomial(a) and sp.degree(e, a) <= 1:
            ends = [as_sympy(r.func(e.subs(a, v), 0)) for v in (-sp.pi, sp.pi)]
            if all(x is sp.true for x in ends):
                return sp.true
            if all(x is sp.false for x in ends) and r.func(e.subs(a, 0), 0) is sp.false:
                return sp.false
    e = sp.expand(rel.lhs - rel.rhs) if not rel.has(sp.Piecewise) else rel.lhs - rel.rhs
    if e.is_number:
        return as_sympy(rel.func(e, 0))
    checks = {sp.StrictGreaterThan: (e.is_positive, e.is_nonpositive),
              sp.GreaterThan: (e.is_nonnegative, e.is_negative),
              sp.StrictLessThan: (e.is_negative, e.is_nonnegative),
              sp.LessThan: (e.is_nonpositive, e.is_positive)}
    yes, no = checks[type(rel)]
    if yes:
        return sp.true
    if no:
        return sp.false
    return rel


def decided_conjuncts(cond: sp.Basic) -> sp.Basic:
    """``cond`` with the conjuncts that are always true dropped; False when one is always false.

    >>> u = sp.Symbol("u", real=True)
    >>> decided_conjuncts((sp.exp(u) > 0) & (u < 1))
    u < 1
    """
    parts = []
    for c in flatten_and(cond):
        d = _decide(c)
        if d is sp.false:
            return sp.false
        if d is not sp.true:
            parts.append(d)
    return sp.And(*parts)


def simplify_condition(cond: sp.Basic) -> sp.Basic:
    """Drop conjuncts that are always true, detect ones that are always false, then let sympy's
    logic simplify what is left."""
    out = decided_conjuncts(cond)
    if out is sp.false or out.atoms(sp.Function):
        return out  # sympy's logic simplification is slow and weak on transcendental conditions
    try:
        with time_budget(2.0, "condition simplification"):
            simpler = out.simplify()
        # keep sympy's form only when it stays a plain conjunction of inequalities
        if all(isinstance(c, sp.core.relational.Relational) for c in flatten_and(simpler)):
            return simpler
    except (DerivationTimeout, TypeError, NotImplementedError, RecursionError):
        pass  # sympy's logic simplifier gave up or ran out of time: keep the plain conjunction
    return out


def _positive_bounds(cond: sp.Basic, ys: Sequence[sp.Symbol]) -> dict[sp.Symbol, sp.Symbol]:
    """Variables the condition forces positive (y > c with c >= 0), as positive stand-ins."""
    out = {}
    for c in flatten_and(cond):
        if isinstance(c, (sp.StrictGreaterThan, sp.GreaterThan)) and c.lhs in ys:
            lo, v = c.rhs, c.lhs
        elif isinstance(c, (sp.StrictLessThan, sp.LessThan)) and c.rhs in ys:
            lo, v = c.lhs, c.rhs
        else:
            continue
        if lo.is_nonnegative:  # y >= 0: the point y = 0 has no mass, so y > 0 may be assumed
            out[v] = sp.Symbol(v.name, positive=True)
    return out


def as_positive(rel: sp.Basic) -> sp.Expr | None:
    """e with rel equivalent to e > 0 or e >= 0 (y2**2 + y3**2 < y1: y1 - y2**2 - y3**2 > 0, up to
    its boundary, a null set); None for a relation that is no inequality."""
    if isinstance(rel, (sp.StrictGreaterThan, sp.GreaterThan)):
        return rel.lhs - rel.rhs
    if isinstance(rel, (sp.StrictLessThan, sp.LessThan)):
        return rel.rhs - rel.lhs
    return None


def simplify_on(expr: sp.Expr, cond: sp.Basic, ys: Sequence[sp.Symbol]) -> sp.Expr:
    """Simplify knowing the sign information in ``cond`` (so |r| -> r when r > 0)."""
    pos: dict[sp.Basic, sp.Basic] = dict(_positive_bounds(cond, ys))
    parts = set(flatten_and(cond))
    # a sum the condition keeps positive (y1 - y2**2 > 0) stands in as a positive symbol too, so
    # sqrt(z)*sqrt(1/z) = 1 and sympy's Piecewise((asin(..), z > 0), ...) takes its first branch
    for rel in parts:
        e = as_positive(rel)
        if e is not None and isinstance(rel, (sp.StrictGreaterThan, sp.StrictLessThan)):
            e = sp.expand(e)
            if isinstance(e, sp.Add) and e.free_symbols & set(ys):
                pos[e] = sp.Dummy("z", positive=True)
    back = {p: v for v, p in pos.items()}
    out = try_simplify(expr.xreplace(pos)).xreplace(back)
    # |sin(v)| = sin(v) for a polar angle v confined to [0, pi] (spherical coordinates)
    # |b**p| = b**p for a fractional power p > 0 of a base the condition keeps nonnegative
    nonnegative = {sp.expand(e) for e in map(as_positive, parts) if e is not None}
    for a in out.atoms(sp.Abs):
        arg = a.args[0]
        if (isinstance(arg, sp.Pow) and arg.exp.is_Rational and not arg.exp.is_integer
                and arg.exp.is_positive and sp.expand(arg.base) in nonnegative):
            out = out.xreplace({a: arg})
    for a in out.atoms(sp.Abs):
        if isinstance(a.args[0], sp.sin) and a.args[0].args[0] in ys:
            v = a.args[0].args[0]
            if ({v >= 0, sp.Ge(v, 0)} & parts) and ({v <= sp.pi, sp.Le(v, sp.pi)} & parts):
                out = out.xreplace({a: a.args[0]})
    return out


_RANGES = {
    sp.atan2: (-sp.pi, sp.pi, True, False),  # (lo, hi, lo open, hi open): atan2 in (-pi, pi]
    sp.acos: (0, sp.pi, False, False),
    sp.asin: (-sp.pi / 2, sp.pi / 2, False, False),
    sp.atan: (-sp.pi / 2, sp.pi / 2, True, True),
    sp.tanh: (-1, 1, True, True),
}


def range_condition(gi: sp.Expr, yi: sp.Symbol) -> sp.Basic:
    """What y_i = g_i(x) must satisfy because of the range of g_i's outermost function.

    These do not come from X's support (polar angles live in (-pi, pi] whatever X is), so they
    are read off the forward map. Nonnegative components get a strict bound: their zero set has
    probability 0 and the Jacobian degenerates there.
    """
    if gi.func in _RANGES:
        lo, hi, lo_open, hi_open = _RANGES[gi.func]
        return sp.And(yi > lo if lo_open else yi >= lo, yi < hi if hi_open else yi <= hi)
    if gi.is_nonnegative or (isinstance(gi, sp.Pow) and gi.exp.is_Rational and gi.exp > 0
                             and gi.exp.q % 2 == 0):  # sqrt(x) is real only as a value >= 0
        return yi > 0
    if gi.is_nonpositive:
        return yi < 0
    return sp.true


def domain_condition(h: Sequence[sp.Expr]) -> sp.Basic:
    """Where the inverse is real-valued: sqrt/fractional powers of nonnegatives, log of positives,
    asin/acos of [-1, 1], atanh of (-1, 1)."""
    conds = []
    for e in h:
        for node in sp.preorder_traversal(e):
            if isinstance(node, sp.Pow) and not node.exp.is_integer and not node.base.is_nonnegative:
                conds.append(node.base >= 0)
            elif isinstance(node, sp.log) and not node.args[0].is_positive:
                conds.append(node.args[0] > 0)
            elif isinstance(node, (sp.asin, sp.acos)):
                conds += [node.args[0] >= -1, node.args[0] <= 1]
            elif isinstance(node, sp.atanh):  # an inverted tanh inside a flow stack
                conds += [node.args[0] > -1, node.args[0] < 1]
    return sp.And(*conds)
