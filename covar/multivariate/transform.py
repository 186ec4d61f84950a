"""Densities of multivariate maps Y = g(X): the change of variables over the inverse branches.

    f_Y(y) = sum_k f_X(h_k(y)) |det J_{h_k}(y)|   over the branches h_k of g^{-1} whose condition holds

Every inverse (solved or supplied) is checked numerically at points of X's support before a
density is returned: each sampled x must be recovered by exactly one active branch of
g^{-1}(g(x)), and every active branch must map back to y under g.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import sympy as sp

from covar.errors import CovarError, NoClosedFormInverse, UnsupportedTransform
from covar.laws.density import as_real_symbol
from covar.laws.joint import JointDensity
from covar.multivariate.branch_check import check_branches
from covar.multivariate.branch_sum import branch_sum, multiplicity_notes, sum_agrees
from covar.multivariate.conditions import (
    domain_condition,
    range_condition,
    simplify_condition,
    simplify_on,
    try_simplify,
)
from covar.multivariate.inverse_branches import candidate_inverses
from covar.multivariate.regions import Region, region_condition, signs_decided, smooth_regions
from covar.numeric.budget import DEFAULT_BUDGET_SECONDS, time_budget
from covar.record import InversePiece, MapRecord, Note
from covar.text.values import as_expression


def _by_name(expr: Any, symbols: Sequence[sp.Symbol]) -> sp.Expr:
    """Read (text: whitelist parser) and rename free symbols to the given symbols by name."""
    names = {s.name: s for s in symbols}
    e = as_expression(expr, names, what="map component")
    swap = {f: names[f.name] for f in e.free_symbols if f.name in names and f is not names[f.name]}
    return e.xreplace(swap)


def _jacobian_det(Jh: sp.Matrix) -> sp.Expr:
    # Triangular maps (flows, sequential substitutions): product of the diagonal, no expansion.
    if Jh.is_lower or Jh.is_upper:
        return sp.Mul(*Jh.diagonal())
    return Jh.det(method="berkowitz")


def _at(cond: sp.Basic, xs: Sequence[sp.Symbol], h: Sequence[sp.Expr]) -> sp.Basic:
    return cond.xreplace(dict(zip(xs, h)))


def _candidates(regions: list[Region], xs: list[sp.Symbol], ys: list[sp.Symbol]
                ) -> Iterator[tuple[str, list[tuple[tuple[sp.Expr, ...], sp.Basic]]]]:
    """Candidate sets of branches (h, where h applies by its region), most direct first.

    A smooth map offers every candidate set its solver finds; a map with several regions offers
    one set: the first solution on each region, each branch confined to its region.
    """
    if len(regions) == 1 and regions[0].condition is sp.true:
        for how, branches in candidate_inverses(list(regions[0].g), xs, ys):
            yield how, [(h, sp.true) for h in branches]
        return
    found: list[tuple[tuple[sp.Expr, ...], sp.Basic]] = []
    for r in regions:
        first = next(candidate_inverses(list(r.g), xs, ys), None)
        if first is None:
            if sp.Matrix(r.g).jacobian(xs).det(method="berkowitz").simplify() == 0:
                raise UnsupportedTransform(
                    f"where {r.condition} the map is {r.g}, whose Jacobian is 0: g(X) has no joint "
                    "density there (it lies on a lower-dimensional set)")
            raise NoClosedFormInverse(
                f"could not solve {r.g} = {tuple(ys)} for {tuple(xs)} where {r.condition}; pass "
                "inverse= as a list with one tuple per branch")
        found += [(h, _at(r.condition, xs, h)) for h in first[1]]
    yield f"solved g(x) = y on each of the {len(regions)} regions where g is smooth", found


def _supplied_region(h: tuple[sp.Expr, ...], regions: list[Region], xs: list[sp.Symbol],
                     ys: list[sp.Symbol]) -> sp.Basic:
    """Where a user's branch h applies: the regions on which g(h(y)) = y identically (True for a
    smooth map, or when no region's formula confirms h; the numerical check then decides)."""
    if len(regions) == 1:
        return sp.true
    rule = dict(zip(xs, h))
    matches = [r.condition.xreplace(rule) for r in regions
               if all(try_simplify(gi.xreplace(rule) - yi) == 0 for gi, yi in zip(r.g, ys))]
    return sp.Or(*matches) if matches else sp.true


def transform_joint(J: JointDensity, g: Sequence[Any], new_vars: Sequence[Any],
                    inverse: Sequence[Any] | None = None, timeout: float | None = None) -> JointDensity:
    """The joint density of Y = g(X) for X ~ J, g a bijection (or finitely many bijective pieces).

    ``inverse`` may give x = h(y) (a tuple, or a list of tuples for several branches); otherwise
    it is solved for. Either way it is checked at sampled points before a density is returned.

    >>> from sympy import symbols, exp, pi
    >>> x1, x2, s, t = symbols("x1 x2 s t", real=True)
    >>> J = JointDensity(exp(-x1 - x2), (x1, x2), (x1 > 0) & (x2 > 0))
    >>> K = transform_joint(J, (x1 + x2, x2), (s, t))
    >>> K.derivation.inverse
    (s - t, t)
    >>> K.marginal(s).pdf
    Piecewise((0, s < 0), (s*exp(-s), True))
    """
    if not isinstance(J, JointDensity):
        raise CovarError("transform_joint needs a JointDensity; use covar.independent(...) to build one")
    started = time.perf_counter()
    xs = list(J.vars)
    # the map's symbols are the law's by name: its variables, and its parameters with their
    # assumptions (d in "(x1/d)/(x2/e)" is ChiSquared(d)'s positive d, not a second symbol d)
    known = xs + sorted(J.params, key=lambda p: p.name)
    g = [_by_name(e, known) for e in (g if isinstance(g, (tuple, list)) else [g])]
    ys = [as_real_symbol(sp.Symbol(v) if isinstance(v, str) else v) for v in new_vars]
    if not (len(g) == len(ys) == len(xs)):
        raise UnsupportedTransform(
            f"a bijection of R^{len(xs)} needs {len(xs)} component functions and {len(xs)} new "
            f"variables (got {len(g)} and {len(ys)}); add auxiliary components such as y2 = x2 "
            "and take .marginal(...) afterwards")
    if len({y.name for y in ys}) != len(ys):
        raise UnsupportedTransform(f"the new variables {ys} must have distinct names")
    stray = set().union(*(e.free_symbols for e in g)) & set(ys) - set(xs)
    if stray:
        raise UnsupportedTransform(f"the map uses the new variables {stray}; write it in {tuple(xs)}")
    budget = DEFAULT_BUDGET_SECONDS if timeout is None else timeout
    notes: list[Note] = []
    with time_budget(budget, "multivariate transform"):
        regions = smooth_regions(g, xs, J.support)
        if inverse is not None:
            inv = list(inverse)
            listed = [inv] if not isinstance(inv[0], (tuple, list)) else inv
            supplied = [tuple(_by_name(e, ys) for e in h) for h in listed]
            if any(len(h) != len(xs) for h in supplied):
                raise UnsupportedTransform(f"each inverse branch needs {len(xs)} components")
            candidates = iter([("inverse supplied by the user",
                                [(h, _supplied_region(h, regions, xs, ys)) for h in supplied])])
        else:
            candidates = _candidates(regions, xs, ys)
        range_cond = sp.And(*[range_condition(gi, yi) for gi, yi in zip(g, ys)])
        failures = []
        for how, branches in candidates:
            kept, conds = [], []
            for h, where in branches:
                h = tuple(as_expression(e) for e in h)
                cond = sp.And(J.support.xreplace(dict(zip(xs, h))), where, range_cond, domain_condition(h))
                cond = region_condition(cond, ys) if len(regions) > 1 else signs_decided(simplify_condition(cond), ys)
                if cond is not sp.false:
                    kept.append(h)
                    conds.append(cond)
            why = check_branches(J, g, ys, kept, conds) if kept else "no branch of the inverse applies"
            if why is None:
                notes.append((f"Inverse: {how}; checked numerically at points of the support.",))
                break
            failures.append(f"{how}: {why}")
        else:
            detail = "; ".join(failures) or "no closed-form solution found"
            raise NoClosedFormInverse(
                f"could not find a confirmed inverse of {tuple(g)} = {tuple(ys)} for {tuple(xs)} "
                f"({detail}); pass inverse=(x1 as a function of {tuple(ys)}, ...), or a list of "
                "such tuples for a map with several branches")
        if len(regions) > 1:
            smooth: list[str | sp.Basic] = [f"g is smooth on {len(regions)} regions: "]
            for i, r in enumerate(regions):
                smooth += (["; "] if i else []) + [sp.Tuple(*r.g), " where ", r.condition]
            notes.insert(0, (*smooth, "."))
        pieces, terms = [], []
        for h, cond in zip(kept, conds):
            Jh = sp.Matrix(h).jacobian(ys)
            det = simplify_on(_jacobian_det(Jh), cond, ys)
            if det == 0:
                raise UnsupportedTransform(f"the Jacobian of the inverse {h} is identically 0; "
                                           "the map is not a bijection")
            abs_det = simplify_on(sp.Abs(det), cond, ys)
            contribution = simplify_on(J.pdf.xreplace(dict(zip(xs, h))) * abs_det, cond, ys)
            pieces.append(InversePiece(h, sp.ImmutableMatrix(Jh), det, abs_det, cond, contribution))
            terms.append((contribution, cond))
        if len(pieces) > 1:
            notes.append((f"g is not injective: {len(pieces)} branches are summed.",))
            notes += multiplicity_notes(terms)
        pdf = branch_sum(terms, ys)
        if not sum_agrees(pdf, terms, J, g, ys):
            # the merged form is only a rewriting of the sum: when it does not reproduce the sum
            # at sampled points, keep one Piecewise per branch (the sum itself)
            pdf = sp.Add(*[sp.Piecewise((e, c), (0, True)) for e, c in terms])
            notes.append(("The branch sum is kept term by term (merging it did not check out).",))
        support = sp.Or(*conds)
    deriv = MapRecord(tuple(xs), tuple(ys), J.pdf, J.support, tuple(g), tuple(pieces), pdf,
                      support, tuple(notes), J.derivation, {"total": time.perf_counter() - started})
    return JointDensity(pdf, tuple(ys), support, deriv, tuple(terms), _pushed_sampler(J, g), True)


def _pushed_sampler(J: JointDensity, g: Sequence[sp.Expr]
                    ) -> Callable[[int, np.random.Generator, dict], np.ndarray] | None:
    """The sampler of g(X): X's samples pushed through the lambdified map."""
    draw_x = J.sampler
    if draw_x is None:
        return None
    # parameters of the map that X's law does not have (a leaky ReLU's slope) are passed too
    params = tuple(sorted(set(J.params) | set().union(*(e.free_symbols for e in g)) - set(J.vars),
                          key=lambda s: s.name))
    f = sp.lambdify(tuple(J.vars) + params, list(g), "numpy")

    def sample(size: int, rng: np.random.Generator, values: dict) -> np.ndarray:
        x = draw_x(size, rng, values)
        with np.errstate(all="ignore"):
            out = f(*x.T, *[values[p.name] for p in params])
        return np.stack(np.broadcast_arrays(*out), axis=-1).astype(float)

    return sample
