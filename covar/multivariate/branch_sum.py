"""The sum over inverse branches written as one compact, checked expression."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import sympy as sp

from covar.errors import DerivationTimeout
from covar.laws.joint import JointDensity
from covar.multivariate.branch_check import parameter_values, support_points
from covar.multivariate.conditions import flatten_and, simplify_on
from covar.numeric.budget import time_budget
from covar.numeric.verify import close_each
from covar.record import Note


def _single_quantity(rel: sp.Basic, ys: Sequence[sp.Symbol]) -> sp.Basic | None:
    """The one quantity a condition depends on (a variable y_i, or one function of the y such as
    atan2(y2, y1)), or None when it depends on more (or on parameters)."""
    free = rel.free_symbols
    if len(free) == 1 and next(iter(free)) in ys:
        return next(iter(free))
    funcs = [f for f in rel.atoms(sp.Function) if f.free_symbols == free]
    if len(funcs) == 1 and free <= set(ys):
        d = sp.Dummy()
        if not rel.xreplace({funcs[0]: d}).free_symbols - {d}:
            return funcs[0]
    return None


def _null_overlap(a: sp.Basic, b: sp.Basic, ys: Sequence[sp.Symbol]) -> bool:
    """True only when a & b provably holds on a set of measure zero at most.

    Some conjuncts of a & b that depend on one quantity q only (a variable, or a function such
    as atan2(y2, y1)) must leave q a null set: then so is the whole intersection.
    """
    both = flatten_and(a) + flatten_and(b)
    by_quantity: dict[sp.Basic, list[sp.Basic]] = {}
    for c in both:
        q = _single_quantity(c, ys)
        if q is not None:
            by_quantity.setdefault(q, []).append(c)
    for q, cs in by_quantity.items():
        d = sp.Dummy("q", real=True)
        try:
            with time_budget(2.0, "comparing branch conditions"):
                where = sp.And(*cs).xreplace({q: d}).as_set()
        except (DerivationTimeout, NotImplementedError, TypeError, ValueError):
            continue
        if sp.sympify(where.measure).is_zero:
            return True
    return False


def branch_sum(terms: Sequence[tuple[sp.Expr, sp.Basic]], ys: Sequence[sp.Symbol]) -> sp.Expr:
    """sum_k Piecewise((e_k, c_k), (0, True)), written compactly without changing its value.

    Branches with the same condition add up in one Piecewise (k equal contributions read as
    k*e); equal expressions share one Piecewise under Or(conditions) only when the conditions
    provably overlap on a null set, so no region is counted fewer times than it has branches.
    """
    by_condition: dict[sp.Basic, list[sp.Expr]] = {}
    for e, c in terms:
        by_condition.setdefault(c, []).append(e)
    summed = []
    for c, es in by_condition.items():
        total = sp.Add(*es)
        if len(set(es)) > 1:
            total = simplify_on(total, c, ys)
        summed.append((total, c))
    groups: list[tuple[sp.Expr, list[sp.Basic]]] = []
    for e, c in summed:
        for ge, gcs in groups:
            if ge == e and all(_null_overlap(c, d, ys) for d in gcs):
                gcs.append(c)
                break
        else:
            groups.append((e, [c]))
    return sp.Add(*[sp.Piecewise((e, sp.Or(*cs)), (0, True)) for e, cs in groups])


def multiplicity_notes(terms: Sequence[tuple[sp.Expr, sp.Basic]]) -> list[Note]:
    """Say which branches share a condition and a contribution (so the pdf counts them k times)."""
    seen: dict[tuple[sp.Expr, sp.Basic], list[int]] = {}
    for k, (e, c) in enumerate(terms, start=1):
        seen.setdefault((e, c), []).append(k)
    return [(f"Branches {', '.join(map(str, ks))} have the same contribution on the same condition ", c,
             f": it is counted {len(ks)} times.") for (e, c), ks in seen.items() if len(ks) > 1]


def sum_agrees(pdf: sp.Expr, terms: Sequence[tuple[sp.Expr, sp.Basic]], J: JointDensity,
               g: Sequence[sp.Expr], ys: Sequence[sp.Symbol], seed: int = 2024) -> bool:
    """The compact pdf equals the plain sum of the branch terms at points in and near the image."""
    rng = np.random.default_rng(seed)
    free = (pdf.free_symbols | set().union(*(e.free_symbols | c.free_symbols for e, c in terms))
            | J.pdf.free_symbols | J.support.free_symbols | set().union(*(e.free_symbols for e in g)))
    vals = parameter_values(free - set(J.vars) - set(ys), seed)
    xs_pts = support_points(J, vals, rng, 60)
    with np.errstate(all="ignore"):
        gf = sp.lambdify(J.vars, [e.xreplace(vals) for e in g], "numpy")
        image = np.stack(np.broadcast_arrays(*gf(*xs_pts.T)), axis=-1).astype(float) if len(xs_pts) \
            else np.zeros((0, len(ys)))
        pts = np.concatenate([image, image + rng.normal(0, 0.3, image.shape),
                              rng.normal(0, 2, (60, len(ys)))])
        pts = pts[np.all(np.isfinite(pts), axis=1)]
        n = len(pts)
        want = np.zeros(n)
        for e, c in terms:
            inside = np.broadcast_to(np.asarray(sp.lambdify(ys, c.xreplace(vals), "numpy")(*pts.T), dtype=bool), (n,))
            value = np.broadcast_to(np.asarray(sp.lambdify(ys, e.xreplace(vals), "numpy")(*pts.T), dtype=complex), (n,))
            want = want + np.where(inside, value, 0)
        got = np.broadcast_to(np.asarray(sp.lambdify(ys, pdf.xreplace(vals), "numpy")(*pts.T), dtype=complex), (n,))
    ok = np.isfinite(want)
    return bool(np.all(close_each(got[ok], want[ok], rtol=1e-8, atol=1e-8)))
