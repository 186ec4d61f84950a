"""Regions of x-space where a map built from Min, Max, Abs and Piecewise is one smooth formula.

Each switch (``Min(a, b, ...)``, ``Max(...)``, ``Abs(a)``, ``Piecewise(...)`` whose conditions
depend on x) is replaced, innermost first, by one of its cases, and the case's condition joins
the region's condition. Order statistics ``(Min(x1, x2), Max(x1, x2))`` give two regions
(x1 < x2: the identity; x1 >= x2: the swap); an elementwise leaky ReLU in n dimensions gives
2^n. Regions whose conditions cannot hold together are dropped: sympy's logic, or, for
conditions linear in x with numeric coefficients, a linear program that finds no interior point.

>>> import sympy as sp
>>> x1, x2 = sp.symbols("x1 x2", real=True)
>>> regions = smooth_regions((sp.Min(x1, x2), sp.Max(x1, x2)), (x1, x2))
>>> [r.g for r in regions]
[(x1, x2), (x2, x1)]
>>> [bool(r.condition.subs({x1: 0, x2: 1})) for r in regions]
[True, False]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import sympy as sp
from scipy.optimize import linprog

from covar.errors import UnsupportedTransform
from covar.multivariate.conditions import as_positive, decided_conjuncts, flatten_and, simplify_condition

#: more regions than this is refused (2^6: a leaky ReLU in 6 dimensions)
MAX_REGIONS = 64

_SWITCHES = (sp.Min, sp.Max, sp.Abs, sp.Piecewise)


@dataclass(frozen=True)
class Region:
    """Where ``condition`` (in x) holds, the map is the smooth formula ``g``."""

    g: tuple[sp.Expr, ...]
    condition: sp.Basic


def _is_switch(node: sp.Basic, xs: Sequence[sp.Symbol]) -> bool:
    if not isinstance(node, _SWITCHES) or not (node.free_symbols & set(xs)):
        return False
    if isinstance(node, sp.Piecewise):  # a Piecewise whose conditions do not involve x is smooth
        return any(c.free_symbols & set(xs) for _, c in node.args)
    return True


def has_switches(g: Sequence[sp.Expr], xs: Sequence[sp.Symbol]) -> bool:
    """Does g contain a Min, Max, Abs or Piecewise (conditions in x) of the variables?"""
    return any(_is_switch(n, xs) for e in g for n in sp.preorder_traversal(e))


def _innermost_switch(g: Sequence[sp.Expr], xs: Sequence[sp.Symbol]) -> sp.Basic | None:
    """A switch none of whose arguments contains another switch."""
    for e in g:
        for node in sp.postorder_traversal(e):
            if _is_switch(node, xs):
                return node
    return None


def _cases(node: sp.Basic) -> list[tuple[sp.Expr, sp.Basic]]:
    """(value, condition) for each case of a switch; the conditions partition x-space."""
    if isinstance(node, sp.Abs):
        a = node.args[0]
        return [(a, a >= 0), (-a, a < 0)]
    if isinstance(node, (sp.Min, sp.Max)):
        args = sorted(node.args, key=sp.default_sort_key)
        before = sp.Lt if isinstance(node, sp.Min) else sp.Gt  # strictly beats earlier arguments
        after = sp.Le if isinstance(node, sp.Min) else sp.Ge
        return [(a, sp.And(*[before(a, b) for b in args[:i]], *[after(a, b) for b in args[i + 1:]]))
                for i, a in enumerate(args)]
    out: list[tuple[sp.Expr, sp.Basic]] = []
    earlier: list[sp.Basic] = []
    for value, cond in node.args:
        out.append((value, sp.And(cond, *[sp.Not(c) for c in earlier])))
        earlier.append(cond)
    return out


def _null(cond: sp.Basic) -> bool:
    """False, or an equation between two different functions of x (a set of measure zero)."""
    return cond is sp.false or any(isinstance(c, sp.Eq) for c in flatten_and(cond))


def smooth_regions(g: Sequence[sp.Expr], xs: Sequence[sp.Symbol], support: sp.Basic = sp.true
                   ) -> list[Region]:
    """The regions (within ``support``) on which g is a single smooth formula.

    A map without switches is one region with condition True.
    """
    work = [Region(tuple(g), sp.true)]
    done: list[Region] = []
    while work:
        region = work.pop(0)
        node = _innermost_switch(region.g, xs)
        if node is None:
            done.append(region)
            continue
        for value, case in _cases(node):
            cond = region_condition(sp.And(region.condition, case), xs)
            if _null(cond) or provably_empty(sp.And(cond, support), xs):
                continue
            work.append(Region(tuple(e.xreplace({node: value}) for e in region.g), cond))
        if len(work) + len(done) > MAX_REGIONS:
            raise UnsupportedTransform(
                f"the map {tuple(g)} splits into more than {MAX_REGIONS} regions where it is smooth; "
                "transform fewer components at a time (a composition of smaller maps)")
    return done


def region_condition(cond: sp.Basic, xs: Sequence[sp.Symbol]) -> sp.Basic:
    """``cond`` simplified and tidied (see :func:`tidy_condition`); False when it is provably
    empty. A conjunction of inequalities linear in ``xs`` with numeric coefficients (the regions
    of Min, Max and Abs of the variables) is decided by linear programming alone: sympy's logic
    simplifier spends seconds on the same question (order statistics of three variables).

    >>> x1, x2 = sp.symbols("x1 x2", real=True)
    >>> region_condition((x1 < x2) & (x1 < x2 + 1) & (x2 >= 0), (x1, x2))
    (0 < x2) & (x1 < x2)
    >>> region_condition((x1 < x2) & (x2 < x1 - 1), (x1, x2))
    False
    """
    out = decided_conjuncts(cond)
    if out is sp.false:
        return out
    if _linear_rows(out, xs) is None:
        out = simplify_condition(out)
        return out if out is sp.false else tidy_condition(out, xs)
    return sp.false if provably_empty(out, xs) else tidy_condition(out, xs)


def _linear_rows(cond: sp.Basic, xs: Sequence[sp.Symbol], partial: bool = False
                 ) -> tuple[np.ndarray, np.ndarray] | None:
    """cond as A x < b (every conjunct read as strict), or None when it is not linear in x with
    numeric coefficients; with ``partial``, its conjuncts that are (None when none is)."""
    rows, rhs = [], []
    for rel in flatten_and(cond):
        if rel is sp.true:
            continue
        if isinstance(rel, (sp.StrictLessThan, sp.LessThan)):
            e = rel.lhs - rel.rhs
        elif isinstance(rel, (sp.StrictGreaterThan, sp.GreaterThan)):
            e = rel.rhs - rel.lhs
        elif partial:
            continue
        else:
            return None
        try:
            poly = sp.Poly(e, *xs)
        except sp.PolynomialError:
            if partial:
                continue
            return None
        if poly.total_degree() > 1 or not all(c.is_number for c in poly.coeffs()):
            if partial:
                continue
            return None
        rows.append([float(poly.coeff_monomial(x)) for x in xs])
        rhs.append(-float(poly.coeff_monomial(1)))
    if not rows:
        return None
    return np.array(rows), np.array(rhs)


def provably_empty(cond: sp.Basic, xs: Sequence[sp.Symbol]) -> bool:
    """True only when the open set where ``cond`` holds is certainly empty (a null set at most).

    Factors of known sign (from the assumptions, or from conjuncts such as y3 < 0) are divided
    out of each conjunct first, so y1*y3 > 0 with y3 < 0 reads y1 < 0. Then the conjuncts linear
    in x with numeric coefficients are checked: the largest margin m with A x + m <= b (m at most
    1) is found by linear programming; no positive margin means no interior point (the other
    conjuncts can only make the set smaller).

    >>> y1, y3 = sp.symbols("y1 y3", real=True)
    >>> provably_empty((y1 > 1) & (y3 < 0) & (y1*y3 > 0), (y1, y3))
    True
    >>> provably_empty((y1 < 1) & (y3 > 0) & (y1*y3 > 0), (y1, y3))
    False
    """
    if cond is sp.false:
        return True
    reduced = _known_signs_divided_out(cond, xs)
    if reduced is sp.false:
        return True
    linear = _linear_rows(reduced, xs, partial=True)
    if linear is None:
        return False
    A, b = linear
    n = A.shape[1]
    scale = np.maximum(np.abs(A).sum(axis=1), 1.0)[:, None]  # margins comparable across rows
    res = linprog(c=np.r_[np.zeros(n), -1.0], A_ub=np.c_[A / scale, np.ones(len(A))], b_ub=b / scale[:, 0],
                  bounds=[(None, None)] * n + [(None, 1.0)], method="highs")
    if res.status == 2:  # infeasible even with negative margins: certainly empty
        return True
    return bool(res.status == 0 and -res.fun <= 1e-9)


def _signed_stand_ins(parts: list[sp.Basic], xs: Sequence[sp.Symbol]) -> dict[sp.Symbol, sp.Expr]:
    """Variables that a conjunct bounds away from 0 on one side (v > c >= 0, v < c <= 0), as
    positive or negative stand-ins."""
    out: dict[sp.Symbol, sp.Expr] = {}
    for rel in parts:
        e = as_positive(rel)
        if e is None:
            continue
        e = sp.expand(e)
        for v in xs:
            rest = e - v
            if rest.is_number and not rest.free_symbols and rest.is_nonpositive:  # v > -rest >= 0
                out[v] = sp.Dummy(v.name, positive=True)
            rest = e + v
            if rest.is_number and not rest.free_symbols and rest.is_nonpositive:  # v < rest <= 0
                out[v] = -sp.Dummy(v.name, positive=True)
    return out


def _is_product(e: sp.Expr, xs: Sequence[sp.Symbol]) -> bool:
    """Is e a polynomial in x of degree 2 or more (a candidate for factoring)?"""
    return bool(e.free_symbols & set(xs)) and e.is_polynomial(*xs) and sp.Poly(e, *xs).total_degree() > 1


def _known_signs_divided_out(cond: sp.Basic, xs: Sequence[sp.Symbol]) -> sp.Basic:
    """cond with every factor of known sign divided out of each conjunct (the relation flipped
    for a negative one), repeated while this teaches new signs. Exact on the set where cond
    holds, up to null sets."""
    parts = flatten_and(cond)
    for _ in range(len(xs) + 1):
        signs = _signed_stand_ins(parts, xs)
        new = []
        for rel in parts:
            e = as_positive(rel)
            if e is None or not _is_product(e, xs):
                new.append(rel)
                continue
            kept, flip = [], 1
            for f in sp.Mul.make_args(sp.factor(e)):
                known = f.xreplace(signs)
                if known.is_positive:
                    continue
                if known.is_negative:
                    flip = -flip
                    continue
                kept.append(f)
            new.append(flip * sp.Mul(*kept) > 0)
        if new == parts:
            break
        parts = new
    return sp.And(*parts)


def signs_decided(cond: sp.Basic, ys: Sequence[sp.Symbol]) -> sp.Basic:
    """``cond`` with the sign of each variable that is a factor of a product conjunct decided
    where the other sign leaves a provably empty set, that sign's factors divided out and the
    result tidied (exact up to null sets); ``cond`` itself when no sign is decided.

    >>> s, u = sp.symbols("s u", real=True)
    >>> signs_decided((s*u >= 0) & (s*(1 - u) >= 0), (s, u))
    (0 < s) & (0 < u) & (u < 1)
    """
    products = [e for e in map(as_positive, flatten_and(cond)) if e is not None and _is_product(e, ys)]
    decided = []
    for v in ys:
        if not any(e.has(v) for e in products):
            continue
        positive, negative = provably_empty(cond & (v < 0), ys), provably_empty(cond & (v > 0), ys)
        if positive != negative:
            decided.append(v > 0 if positive else v < 0)
    if not decided:
        return cond
    reduced = _known_signs_divided_out(sp.And(cond, *decided), ys)
    return reduced if reduced is sp.false else tidy_condition(reduced, ys)


def _strict(rel: sp.Basic, ys: Sequence[sp.Symbol]) -> sp.Basic:
    """A conjunct as P < N (P, N sums of terms with positive coefficients), positive factors free
    of the variables divided out; its boundary (a null set) is left out."""
    if isinstance(rel, (sp.StrictLessThan, sp.LessThan)):
        e = sp.expand(rel.lhs - rel.rhs)
    elif isinstance(rel, (sp.StrictGreaterThan, sp.GreaterThan)):
        e = sp.expand(rel.rhs - rel.lhs)
    else:
        return rel
    factor, _ = sp.factor_terms(e).as_independent(*ys, as_Add=False)
    if factor.is_positive or factor.is_negative:
        e = sp.expand(e / abs(factor))
    lhs = sp.Add(*[t for t in sp.Add.make_args(e) if not t.could_extract_minus_sign()])
    rhs = -sp.Add(*[t for t in sp.Add.make_args(e) if t.could_extract_minus_sign()])
    return sp.Lt(lhs, rhs)


def tidy_condition(cond: sp.Basic, ys: Sequence[sp.Symbol]) -> sp.Basic:
    """A conjunction of inequalities in one canonical strict form, with the conjuncts that the
    others imply dropped (decided by linear programming for linear conditions with numeric
    coefficients), so that equal regions of different branches are written alike."""
    parts = [_strict(c, ys) for c in flatten_and(cond)]
    if any(p is sp.false for p in parts):
        return sp.false
    parts = list(dict.fromkeys(p for p in parts if p is not sp.true))
    k = 0
    while k < len(parts) and len(parts) > 1:
        others = [p for i, p in enumerate(parts) if i != k]
        if _implied(parts[k], others, ys):
            parts = others
        else:
            k += 1
    return sp.And(*parts)


def _implied(rel: sp.Basic, others: list[sp.Basic], ys: Sequence[sp.Symbol]) -> bool:
    """Do the linear conditions ``others`` imply the linear condition ``rel``?"""
    target, rest = _linear_rows(rel, ys), _linear_rows(sp.And(*others), ys)
    if target is None or rest is None:
        return False
    (a,), (b,) = target
    A, c = rest
    res = linprog(c=-a, A_ub=A, b_ub=c, bounds=[(None, None)] * len(ys), method="highs")
    return bool(res.status == 0 and -res.fun <= b + 1e-12 * max(1.0, abs(b)))
