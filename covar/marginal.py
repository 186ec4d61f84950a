"""Marginals of a 2-D JointDensity: integrate one variable out with exact piecewise limits.

The support condition, a conjunction of inequalities, is read as bounds on the integrated
variable t that are linear in t with coefficients in the kept variable s:

    a(s) t + b(s) > 0   ->   t > -b/a  where a(s) > 0,   t < -b/a  where a(s) < 0

The s-line is cut at every point where the bound set can change (zeros of a(s), of the
constraints on s alone, and crossings of two bounds); on each cell the active lower bound is
the largest and the upper the smallest. Each cell is integrated in closed form under a time
budget and checked against quadrature; a cell that cannot be done gives an honest
numeric-only marginal.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp
from scipy import integrate as sci

from .budget import time_budget
from .density import Density
from .errors import CovarError, DerivationTimeout, NoClosedForm, UnsupportedTransform
from .joint import JointDensity
from .ordering import interior_point, sign_of, sort_points


@dataclass(frozen=True)
class Bound:
    """t > root (lower) where coef(s) > 0, t < root where coef(s) < 0."""

    coef: sp.Expr
    root: sp.Expr
    strict: bool


@dataclass(frozen=True)
class TermLimits:
    expr: sp.Expr
    s_constraints: tuple[sp.Expr, ...]  # each e(s) > 0 (measure-zero boundaries ignored)
    bounds: tuple[Bound, ...]


@dataclass(frozen=True)
class Cell:
    """One interval of the kept variable with its integration limits and marginal expression."""

    lo: sp.Expr
    hi: sp.Expr
    pieces: tuple[tuple[sp.Expr, sp.Expr, sp.Expr], ...]  # (integrand, lower, upper)
    result: sp.Expr | None  # None when no closed form


def _t_sign(parts: list[sp.Basic], t: sp.Symbol) -> int:
    """+1 (-1) when a conjunct says t > c >= 0 (t < c <= 0) outright, else 0."""
    for rel in parts:
        if isinstance(rel, (sp.StrictGreaterThan, sp.GreaterThan)) and rel.lhs == t and rel.rhs.is_nonnegative:
            return 1
        if isinstance(rel, (sp.StrictLessThan, sp.LessThan)) and rel.rhs == t and rel.lhs.is_nonnegative:
            return 1
        if isinstance(rel, (sp.StrictLessThan, sp.LessThan)) and rel.lhs == t and rel.rhs.is_nonpositive:
            return -1
        if isinstance(rel, (sp.StrictGreaterThan, sp.GreaterThan)) and rel.rhs == t and rel.lhs.is_nonpositive:
            return -1
    return 0


def _clear_denominator(e: sp.Expr, t: sp.Symbol, sign: int) -> sp.Expr:
    """e with a denominator of known sign multiplied out (s/t < 1 with t > 0 -> s - t < 0)."""
    num, den = sp.fraction(sp.together(e))
    if sign:
        d = sp.Dummy("t", positive=True)
        known = (sign * den.xreplace({t: sign * d})).expand()
        if known.is_positive:
            return num * sign
        if known.is_negative:
            return -num * sign
    if den.free_symbols.isdisjoint({t}) and den.is_positive:
        return num
    return e


def _limits(expr: sp.Expr, cond: sp.Basic, s: sp.Symbol, t: sp.Symbol) -> TermLimits | None:
    parts = list(cond.args) if isinstance(cond, sp.And) else [cond]
    s_cons, bounds = [], []
    sign = _t_sign(parts, t)
    for rel in parts:
        if rel is sp.true or isinstance(rel, sp.Ne):
            continue
        if rel is sp.false or isinstance(rel, sp.Eq):
            return None  # a set of measure zero carries no mass
        if isinstance(rel, (sp.StrictGreaterThan, sp.GreaterThan)):
            e = rel.lhs - rel.rhs
        elif isinstance(rel, (sp.StrictLessThan, sp.LessThan)):
            e = rel.rhs - rel.lhs
        else:
            raise UnsupportedTransform(
                f"cannot read integration limits from the condition {rel}; marginals need the "
                "support as a conjunction of inequalities")
        if t not in e.free_symbols:
            s_cons.append(e)
            continue
        a = sp.diff(e, t)
        if t in a.free_symbols:
            e = _clear_denominator(e, t, sign)
            if t not in e.free_symbols:
                s_cons.append(e)
                continue
            a = sp.diff(e, t)
        if t in a.free_symbols:
            raise NoClosedForm(
                f"the support condition {rel} is not linear in {t}, so covar cannot find the "
                f"integration limits; rewrite the map so that the support is linear in {t}")
        root = sp.simplify(-(e - a * t).expand() / a) if a != 0 else None
        if root is None:
            continue
        bounds.append(Bound(a, root, True))
    return TermLimits(expr, tuple(s_cons), tuple(bounds))


def _real_roots(e: sp.Expr, s: sp.Symbol) -> list[sp.Expr]:
    if s not in e.free_symbols:
        return []
    try:
        with time_budget(5.0, "finding breakpoints"):
            roots = sp.solve(e, s)
    except (NotImplementedError, DerivationTimeout) as exc:
        raise NoClosedForm(f"cannot locate where {e} changes sign in {s}") from exc
    return [r for r in roots if r.is_real is not False and not r.has(sp.I)]


def _sign(e: sp.Expr) -> int:
    """Sign of an expression that must be decidable (numbers, or known-sign parameters)."""
    sign = sign_of(e)
    if sign is None:
        raise UnsupportedTransform(
            f"cannot decide the sign of {e}; give numeric parameter values or declare parameters "
            "positive=True so the integration limits can be ordered")
    return sign


def _cell_pieces(terms: list[TermLimits], s: sp.Symbol, m: sp.Expr) -> list[tuple]:
    """(integrand, lower, upper) for each term that is active at the test point s = m."""
    out = []
    for term in terms:
        if any(_sign(e.subs(s, m)) <= 0 for e in term.s_constraints):
            continue
        lowers, uppers = [-sp.oo], [sp.oo]
        for b in term.bounds:
            (lowers if _sign(b.coef.subs(s, m)) > 0 else uppers).append(b.root)
        lower = lowers[0] if len(lowers) == 1 else _pick(lowers[1:], s, m, largest=True)
        upper = uppers[0] if len(uppers) == 1 else _pick(uppers[1:], s, m, largest=False)
        if lower != -sp.oo and upper != sp.oo and _sign((upper - lower).subs(s, m)) <= 0:
            continue
        out.append((term.expr, lower, upper))
    return out


def _pick(roots: list[sp.Expr], s: sp.Symbol, m: sp.Expr, largest: bool) -> sp.Expr:
    best = roots[0]
    for r in roots[1:]:
        d = _sign((r - best).subs(s, m))
        if (d > 0) == largest and d != 0:
            best = r
    return best


def _integrate(expr: sp.Expr, t: sp.Symbol, lower: sp.Expr, upper: sp.Expr) -> sp.Expr:
    """∫ expr dt over (lower, upper), split where |t| changes sign so sympy sees no Abs."""
    cuts = sorted({sp.Integer(0)} if expr.has(sp.Abs) else set(), key=float)
    segments = [(lower, upper)]
    for c in cuts:  # only t = 0 is handled; other Abs stay for sympy
        new = []
        for lo, hi in segments:
            inside = (lo == -sp.oo or _sign(c - lo) > 0) and (hi == sp.oo or _sign(hi - c) > 0)
            new += [(lo, c), (c, hi)] if inside and not (lo.free_symbols or hi.free_symbols) else [(lo, hi)]
        segments = new
    total = sp.Integer(0)
    for lo, hi in segments:
        e = expr
        if lo.is_number and lo >= 0:
            d = sp.Dummy(t.name, positive=True)
            e, var = e.xreplace({t: d}), d
        elif hi.is_number and hi <= 0:
            d = sp.Dummy(t.name, negative=True)
            e, var = e.xreplace({t: d}), d
        else:
            var = t
        total += sp.integrate(e, (var, lo, hi), conds="none")
    return total


def marginal_density(J: JointDensity, keep: sp.Symbol, timeout: float = 60.0) -> Density:
    """The law of ``keep`` under J: the other variable integrated out over exact piecewise limits.

    >>> from sympy import symbols
    >>> x1, x2 = symbols("x1 x2", real=True)
    >>> J = JointDensity(1, (x1, x2), (x1 > 0) & (x1 < 1) & (x2 > 0) & (x2 < 1))
    >>> marginal_density(J, x1).pdf
    Piecewise((0, x1 < 0), (1, x1 < 1), (0, True))
    """
    if J.dim == 1:
        raise CovarError("the joint density has one variable; it is its own marginal")
    if J.dim != 2:
        raise UnsupportedTransform(
            "marginals are derived for 2-D joint densities; transform to a pair (the variable "
            "of interest and one auxiliary) or integrate out variables step by step")
    s = keep
    t = next(v for v in J.vars if v != s)
    terms = [lim for e, c in J.terms if (lim := _limits(e, c, s, t)) is not None]
    points: list[sp.Expr] = []
    for term in terms:
        for e in term.s_constraints:
            points += _real_roots(e, s)
        for b in term.bounds:
            points += _real_roots(b.coef, s)
        for i, b in enumerate(term.bounds):
            for c in term.bounds[i + 1:]:
                points += _real_roots(b.root - c.root, s)
    edges = sort_points([-sp.oo, *points, sp.oo], "integration breakpoints")
    cells: list[Cell] = []
    numeric = False
    with time_budget(timeout, "marginal integration"):
        for lo, hi in zip(edges[:-1], edges[1:]):
            pieces = _cell_pieces(terms, s, interior_point(lo, hi))
            result = _cell_result(pieces, s, t, lo, hi, min(20.0, timeout))
            numeric |= result is None
            cells.append(Cell(lo, hi, tuple(pieces), result))
    support = sp.Union(*[sp.Interval(c.lo, c.hi) for c in cells if c.pieces and c.result != 0])
    if support == sp.S.EmptySet:
        raise CovarError("the support condition leaves no mass to integrate")
    if numeric:
        return Density(None, s, support, numeric=QuadratureMarginal(tuple(cells), s, t, J.params),
                       validate=False)
    nonzero = [c for c in cells if c.pieces and c.result != 0]
    family = None
    if len(nonzero) == 1:
        from .recognize import family_label

        family = family_label(nonzero[0].result, s, sp.Interval(nonzero[0].lo, nonzero[0].hi))
    return Density(_as_piecewise(cells, s), s, support, family=family, validate=False)


def _cell_result(pieces: list[tuple], s: sp.Symbol, t: sp.Symbol, lo: sp.Expr, hi: sp.Expr,
                 seconds: float) -> sp.Expr | None:
    if not pieces:
        return sp.Integer(0)
    # Sign knowledge about s on this cell helps sympy with sqrt(s^2), Abs(s), convergence.
    if lo.is_number and lo >= 0:
        sd = sp.Dummy(s.name, positive=True)
    elif hi.is_number and hi <= 0:
        sd = sp.Dummy(s.name, negative=True)
    else:
        sd = s
    try:
        with time_budget(seconds, "integrating one cell"):
            total = sp.Integer(0)
            for expr, lower, upper in pieces:
                total += _integrate(expr.xreplace({s: sd}), t, lower.xreplace({s: sd}),
                                    upper.xreplace({s: sd}))
            if total.has(sp.Integral) or total.has(sp.nan) or total.has(sp.zoo):
                return None
            total = sp.simplify(total).xreplace({sd: s})
    except (DerivationTimeout, NotImplementedError, ValueError, TypeError):
        return None
    return total if _agrees(total, pieces, s, t, lo, hi) else None


def _agrees(result: sp.Expr, pieces: list[tuple], s: sp.Symbol, t: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> bool:
    """Closed form equals quadrature at two points of the cell (parameters drawn at random).

    sympy's integrate(conds='none') assumes convergence; this is the check that it was right.
    """
    rng = np.random.default_rng(7)
    free = set(result.free_symbols).union(*(p[0].free_symbols | p[1].free_symbols | p[2].free_symbols for p in pieces))
    free = free | lo.free_symbols | hi.free_symbols
    vals = {p: float(rng.uniform(0.5, 2.5)) for p in free - {s, t}}
    a = float(lo.xreplace(vals)) if lo != -sp.oo else None
    b = float(hi.xreplace(vals)) if hi != sp.oo else None
    if a is None and b is None:
        pts = [-0.7, 1.3]
    elif a is None:
        pts = [b - 0.4, b - 2.1]
    elif b is None:
        pts = [a + 0.4, a + 2.1]
    else:
        pts = [a + 0.3 * (b - a), a + 0.8 * (b - a)]
    for x in pts:
        exact = complex(result.xreplace(vals).subs(s, x).evalf())
        quad = _quad_value(pieces, s, t, vals, x)
        if not np.isfinite(quad) or abs(exact.imag) > 1e-8 or abs(exact.real - quad) > 1e-6 * (1 + abs(quad)):
            return False
    return True


def _quad_value(pieces: list[tuple], s: sp.Symbol, t: sp.Symbol, vals: dict, x: float) -> float:
    total = 0.0
    for expr, lower, upper in pieces:
        f = sp.lambdify(t, expr.xreplace(vals).subs(s, x), "numpy")
        lo_v = float(lower.xreplace(vals).subs(s, x)) if lower != -sp.oo else -np.inf
        hi_v = float(upper.xreplace(vals).subs(s, x)) if upper != sp.oo else np.inf
        g = lambda u: float(f(u))
        with np.errstate(all="ignore"):
            # quad can step over a narrow bump on an infinite range: split at the integrand's
            # largest value on a probe grid, so each piece starts at the bump.
            probe = np.concatenate([np.linspace(-60, 60, 2401) + x, np.linspace(-60, 60, 2401)])
            probe = probe[(probe > lo_v) & (probe < hi_v)]
            heights = np.abs(np.broadcast_to(np.asarray(f(probe), dtype=float), probe.shape)) if len(probe) else []
            cuts = [lo_v, hi_v]
            if len(probe) and np.any(np.isfinite(heights)):
                peak = probe[int(np.nanargmax(heights))]
                cuts = [lo_v, *[c for c in (peak - 3, peak, peak + 3) if lo_v < c < hi_v], hi_v]
            for a, b in zip(cuts[:-1], cuts[1:]):
                total += sci.quad(g, a, b, limit=200, epsabs=1e-12, epsrel=1e-10)[0]
    return total


def _as_piecewise(cells: list[Cell], s: sp.Symbol) -> sp.Expr:
    merged: list[list] = []
    for c in cells:
        if merged and sp.simplify(merged[-1][2] - c.result) == 0:
            merged[-1][1] = c.hi
        else:
            merged.append([c.lo, c.hi, c.result])
    args = [(r, s < hi) for _, hi, r in merged[:-1]] + [(merged[-1][2], True)]
    return sp.Piecewise(*args)


@dataclass(frozen=True)
class QuadratureMarginal:
    """Numeric-only marginal: ``f(s_array, **params)`` by adaptive quadrature, cell by cell."""

    cells: tuple[Cell, ...]
    s: sp.Symbol
    t: sp.Symbol
    params: tuple[sp.Symbol, ...]

    def __call__(self, values: np.ndarray, **params: float) -> np.ndarray:
        vals = {p: float(params[p.name]) for p in self.params}
        x = np.atleast_1d(np.asarray(values, dtype=float))
        out = np.zeros_like(x)
        for i, xi in enumerate(x):
            for c in self.cells:
                lo = -np.inf if c.lo == -sp.oo else float(c.lo.xreplace(vals))
                hi = np.inf if c.hi == sp.oo else float(c.hi.xreplace(vals))
                if lo < xi < hi and c.pieces:
                    out[i] = _quad_value(list(c.pieces), self.s, self.t, vals, xi)
                    break
        return out

    def numpy(self) -> Callable[..., np.ndarray]:
        return self
