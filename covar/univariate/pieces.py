"""Stage 2: split the support of X into pieces on which g is smooth and monotone (or constant).

Breakpoints are the support's own ends, the kinks of g and of f_X (Abs, Max, Min, sign,
Heaviside, Piecewise, floor/ceiling of a linear argument), the points inside the support
where g is undefined (poles), and the zeros of g'. On each piece the non-smooth functions are
resolved to the smooth expression that holds there, so later stages only see smooth maps.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import sympy as sp
from sympy.core.relational import Relational

from covar.errors import UnsupportedTransform
from covar.text.values import as_sympy
from covar.univariate.signs import UndecidedSign, deciding_gap, interior_point, is_less, lies_in, sign_of, sort_points

_KINKED = (sp.Abs, sp.Max, sp.Min, sp.sign, sp.Heaviside)
_MAX_STEPS = 1000  # floor/ceiling steps we are willing to enumerate


@dataclass(frozen=True)
class RawPiece:
    """A piece before inversion: the open interval, local g and f_X there, and direction."""

    lo: sp.Expr
    hi: sp.Expr
    g: sp.Expr
    fx: sp.Expr
    kind: str  # "increasing" | "decreasing" | "constant"


def support_intervals(support: sp.Set) -> list[sp.Interval]:
    """The support as a list of non-degenerate intervals (isolated points carry no density)."""
    if support is sp.EmptySet:
        return []
    parts = support.args if isinstance(support, sp.Union) else (support,)
    out = []
    for part in parts:
        if isinstance(part, sp.Interval):
            if part.measure != 0:
                out.append(part)
        elif isinstance(part, sp.FiniteSet):
            continue
        else:
            raise UnsupportedTransform(
                f"the support {support} is not a union of intervals; give it as Interval(...) or a Union"
            )
    return out


def _smoothed(expr: sp.Expr, x: sp.Symbol) -> sp.Expr:
    """expr with Abs/Max/Min/sign/Heaviside of x rewritten as a Piecewise, folded to the top."""
    if expr.has(*_KINKED):
        expr = expr.replace(
            lambda e: isinstance(e, _KINKED) and e.has(x), lambda e: e.rewrite(sp.Piecewise)
        )
    return sp.piecewise_fold(expr) if expr.has(sp.Piecewise) else expr


def _relational_roots(cond: sp.Basic, x: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> set[sp.Expr]:
    roots: set[sp.Expr] = set()
    for rel in cond.atoms(Relational):
        if not rel.has(x):
            continue
        # a condition also flips where its sides jump (1/atan(x) >= 3/2 flips at 0 and at
        # tan(2/3)), not only where they are equal
        roots |= _poles(rel.lhs - rel.rhs, x, lo, hi)
        found = sp.solveset(rel.lhs - rel.rhs, x, sp.Interval.open(lo, hi))
        if isinstance(found, sp.FiniteSet):
            roots |= set(found)
        elif found is not sp.EmptySet:
            roots |= _points_or_refuse(found, x, f"the boundary {rel}")
    return roots


_MAX_PERIODS = 2000  # integers n tried when a solution family x = f(n) meets a bounded interval


def _imageset_points(images: sp.ImageSet, interval: sp.Interval, what: str) -> set[sp.Expr]:
    """Members of {f(n): n integer} inside a bounded numeric interval, by enumerating n."""
    import numpy as np

    (n,) = images.lamda.variables
    f = images.lamda.expr
    if images.base_sets[0] != sp.Integers or f.free_symbols - {n} or interval.measure == sp.oo \
            or interval.free_symbols:
        raise UnsupportedTransform(f"cannot locate {what} exactly (solutions {images} on {interval})")
    ns = np.arange(-_MAX_PERIODS, _MAX_PERIODS + 1)
    with np.errstate(all="ignore"):
        values = np.asarray(sp.lambdify(n, f, "numpy")(ns.astype(complex)), dtype=complex)
    lo, hi = float(interval.start), float(interval.end)
    real = np.abs(values.imag) < 1e-12
    inside = real & (values.real > lo - 1e-9) & (values.real < hi + 1e-9)
    if inside[0] or inside[-1]:
        raise UnsupportedTransform(f"{what} has too many solutions on {interval} to split g there")
    points = {f.subs(n, int(k)) for k in ns[inside]}
    return {p for p in points if interval.contains(p) == sp.true}


def _points_or_refuse(found: sp.Set, x: sp.Symbol, what: str) -> set[sp.Expr]:
    if isinstance(found, sp.Union):
        return set().union(*(_points_or_refuse(part, x, what) for part in found.args))
    if isinstance(found, sp.FiniteSet):
        return set(found)
    if isinstance(found, sp.Intersection) and len(found.args) == 2:
        images = [a for a in found.args if isinstance(a, sp.ImageSet)]
        intervals = [a for a in found.args if isinstance(a, sp.Interval)]
        if images and intervals:
            return _imageset_points(images[0], intervals[0], what)
    if isinstance(found, sp.Intersection):
        finite = [a for a in found.args if isinstance(a, sp.FiniteSet)]
        intervals = [a for a in found.args if isinstance(a, sp.Interval)]
        if len(finite) == 1 and len(intervals) == len(found.args) - 1:
            # lies_in decides from the assumptions, or names the comparison that would
            return {p for p in finite[0] if all(lies_in(p, iv) for iv in intervals)}
    raise UnsupportedTransform(f"cannot locate {what} exactly (found {found})")


def _floor_steps(expr: sp.Expr, x: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> set[sp.Expr]:
    points: set[sp.Expr] = set()
    for f in expr.atoms(sp.floor, sp.ceiling):
        u = f.args[0]
        if not u.has(x):
            continue
        if not u.is_polynomial(x) or sp.degree(u, x) != 1 or u.free_symbols - {x}:
            raise UnsupportedTransform(
                f"{f} is supported only for a numeric linear argument such as floor(2*x + 1)"
            )
        if lo.is_infinite or hi.is_infinite:
            raise UnsupportedTransform(
                f"{f} on an unbounded support has infinitely many steps; restrict the support"
            )
        ends = sorted([float(u.subs(x, lo)), float(u.subs(x, hi))])
        if not ends[1] - ends[0] <= _MAX_STEPS:  # nan/inf ends refuse too
            raise UnsupportedTransform(f"{f} has more than {_MAX_STEPS} steps on the support")
        a, b = sp.Poly(u, x).all_coeffs()
        for k in range(math.floor(ends[0]), math.ceil(ends[1]) + 1):
            points.add((sp.Integer(k) - b) / a)
    return points


def local_expression(expr: sp.Expr, x: sp.Symbol, at: sp.Expr) -> sp.Expr:
    """The smooth expression that ``expr`` equals on a neighbourhood of ``at`` (a non-kink)."""
    expr = _smoothed(expr, x)
    if expr.has(sp.floor, sp.ceiling):
        expr = expr.replace(
            lambda e: isinstance(e, (sp.floor, sp.ceiling)) and e.has(x),
            lambda e: type(e)(e.args[0].subs(x, at)),
        )
    if isinstance(expr, sp.Piecewise):
        for branch, cond in expr.args:
            truth = as_sympy(cond).subs(x, at)
            if truth == sp.true:
                return local_expression(branch, x, at)
            if truth != sp.false:
                simplified = sp.simplify(truth)
                if simplified == sp.true:
                    return local_expression(branch, x, at)
                if simplified != sp.false:
                    raise UndecidedSign(
                        f"cannot decide which branch of {expr} holds near x = {at}; "
                        "state the parameters' signs or ranges", deciding_gap(simplified))
        return sp.nan
    return expr


def kinks(expr: sp.Expr, x: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> set[sp.Expr]:
    """Points of (lo, hi) where ``expr`` switches between smooth formulas."""
    smooth = _smoothed(expr, x)
    points = _floor_steps(smooth, x, lo, hi)
    for pw in smooth.atoms(sp.Piecewise) if smooth.has(sp.Piecewise) else ():
        for _, cond in pw.args:
            points |= _relational_roots(cond, x, lo, hi)
    return {p for p in points if _strictly_inside(p, lo, hi)}


def _strictly_inside(p: sp.Expr, lo: sp.Expr, hi: sp.Expr) -> bool:
    """lo < p < hi, decided; a breakpoint that might be inside is never silently dropped."""
    left, right = is_less(lo, p), is_less(p, hi)
    if left is False or right is False:
        return False
    if left and right:
        return True
    raise UndecidedSign(
        f"cannot decide whether {p} lies inside ({lo}, {hi}); "
        "state the parameters' signs or ranges (e.g. --assume 'a>0') or give numbers",
        p - lo if left is None else hi - p)


# functions continuous on the whole real line: a map built from them by +, *, and composition
# has no poles, even where sympy's continuous_domain gives up (erf, for one)
_ENTIRE = (sp.exp, sp.sin, sp.cos, sp.atan, sp.sinh, sp.cosh, sp.tanh, sp.asinh, sp.erf, sp.erfc,
           sp.Abs)


def _obviously_continuous(g: sp.Expr, x: sp.Symbol) -> bool:
    for node in sp.preorder_traversal(g):
        if isinstance(node, sp.Pow) and node.has(x) and not (node.exp.is_Integer and node.exp >= 0):
            return False
        if isinstance(node, sp.Function) and not isinstance(node, _ENTIRE):
            return False
    return True


def _poles(g: sp.Expr, x: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> set[sp.Expr]:
    """Points inside (lo, hi) where g is undefined (tan at pi/2, 1/x at 0)."""
    if g.is_polynomial(x) or _obviously_continuous(g, x):
        return set()
    # sympy's continuous_domain knows atanh, not erfinv: both are continuous exactly on (-1, 1)
    g = g.replace(sp.erfinv, sp.atanh).replace(sp.erfcinv, lambda u: sp.atanh(u - 1))
    try:
        domain = sp.calculus.util.continuous_domain(g, x, sp.Interval.open(lo, hi))
    except NotImplementedError as exc:
        raise UnsupportedTransform(f"cannot tell where g = {g} is continuous on ({lo}, {hi})") from exc
    missing = sp.Interval.open(lo, hi) - domain
    if missing is sp.EmptySet:
        return set()
    if isinstance(missing, sp.FiniteSet):
        return set(missing)
    raise UnsupportedTransform(
        f"g = {g} is undefined on {missing}, which has positive probability; restrict the support"
    )


def sign_on(expr: sp.Expr, x: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> int | None:
    """The sign of ``expr`` for every x in (lo, hi), when assumptions alone decide it."""
    if lo != -sp.oo and sign_of(lo) in (0, 1):
        t = sp.Dummy("t", positive=True)
        return sign_of(expr.xreplace({x: lo + t}))
    if hi != sp.oo and sign_of(hi) in (0, -1):
        t = sp.Dummy("t", positive=True)
        return sign_of(expr.xreplace({x: hi - t}))
    return sign_of(expr.xreplace({x: sp.Dummy("t", real=True)}))


def _critical_points(dg: sp.Expr, x: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> set[sp.Expr]:
    if sign_on(dg, x, lo, hi) in (1, -1):  # g' keeps one sign: no need to solve g' = 0
        return set()
    try:
        found = sp.solveset(dg, x, sp.Interval.open(lo, hi))
    except (KeyError, ValueError):
        # sympy 1.14's imageset handler fails on some nested trig (atan(sin(cos(x)))), and
        # solveset cannot invert Abs over the complexes (asin(sin(x)))
        return _numeric_critical_points(dg, x, lo, hi)
    if found is sp.EmptySet:
        return set()
    if isinstance(found, sp.FiniteSet):
        return set(found)
    if isinstance(found, sp.Interval):  # g' = 0 on a sub-interval only: not a smooth monotone map
        raise UnsupportedTransform(f"g' = {dg} vanishes on {found} but not on all of ({lo}, {hi})")
    if isinstance(found, sp.ConditionSet):
        # solveset gave up: fall back to numeric roots when everything is numeric.
        return _numeric_critical_points(dg, x, lo, hi)
    return _points_or_refuse(found, x, f"the zeros of g' = {dg}")


def _numeric_critical_points(dg: sp.Expr, x: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> set[sp.Expr]:
    from covar.univariate.critical import certified_critical_points, exact_forms

    return set(exact_forms(certified_critical_points(dg, x, lo, hi), dg, x))


def direction(dg: sp.Expr, x: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> str:
    """'increasing' or 'decreasing' on (lo, hi), where g' has no zero; refuses when undecidable."""
    # g' has no zero inside, so its sign anywhere inside is its sign everywhere; try the whole
    # piece first (x = lo + t decides 2x on (0, theta)), then its midpoint
    s = sign_on(dg, x, lo, hi)
    if s is None or s == 0:
        s = sign_of(dg.subs(x, interior_point(lo, hi)))
    if s is None or s == 0:
        raise UndecidedSign(
            f"cannot decide whether g is increasing or decreasing on ({lo}, {hi}) (g' = {dg}); "
            "its direction depends on a parameter's sign: state it (e.g. --assume 'c>0')",
            dg.subs(x, interior_point(lo, hi)))
    return "increasing" if s > 0 else "decreasing"


def as_floors(g: sp.Expr) -> sp.Expr:
    """Fractional parts as the floors the piece finder steps over: frac(q) = q - floor(q),
    Mod(q, m) = q - m*floor(q/m) for a positive number m.

    >>> x = sp.Symbol("x", real=True)
    >>> as_floors(sp.sin(sp.frac(2*x))), as_floors(sp.Mod(x, 3))
    (sin(2*x - floor(2*x)), x - 3*floor(x/3))
    """
    g = g.replace(sp.frac, lambda q: q - sp.floor(q))
    return g.replace(lambda e: isinstance(e, sp.Mod) and e.args[1].is_number and e.args[1].is_positive,
                     lambda e: e.args[0] - e.args[1] * sp.floor(e.args[0] / e.args[1]))


def monotone_pieces(
    g: sp.Expr, fx: sp.Expr, x: sp.Symbol, support: sp.Set
) -> tuple[tuple[sp.Expr, ...], list[RawPiece]]:
    """All breakpoints, and the smooth monotone/constant pieces of g over the support.

    >>> x = sp.Symbol("x", real=True)
    >>> pts, pieces = monotone_pieces(x**2, sp.exp(-x**2/2), x, sp.Interval(-sp.oo, sp.oo))
    >>> pts, [p.kind for p in pieces]
    ((-oo, 0, oo), ['decreasing', 'increasing'])
    """
    all_points: list[sp.Expr] = []
    pieces: list[RawPiece] = []
    g = as_floors(g)
    for part in support_intervals(support):
        lo, hi = part.start, part.end
        cuts = kinks(g, x, lo, hi) | kinks(fx, x, lo, hi)
        # the support's own ends are ordered by definition (a < b for Uniform(a, b))
        coarse = [lo, *sort_points(cuts), hi]
        for a, b in zip(coarse, coarse[1:]):
            at = interior_point(a, b)
            ga, fa = local_expression(g, x, at), local_expression(fx, x, at)
            dg = sp.diff(ga, x)
            if not ga.has(x) or sp.simplify(dg) == 0:  # sin(x)**2 + cos(x)**2 is constant too
                pieces.append(RawPiece(a, b, sp.simplify(ga), fa, "constant"))
                all_points += [a, b]
                continue
            inner = _poles(ga, x, a, b) | _critical_points(sp.together(dg), x, a, b)
            fine = [a, *sort_points(inner), b]
            all_points += fine
            for p, q in zip(fine, fine[1:]):
                mid = interior_point(p, q)
                if local_expression(g, x, mid) != ga or local_expression(fx, x, mid) != fa:
                    # a kink was missed: this piece does not follow the formula chosen for
                    # its segment; refuse rather than apply the wrong branch
                    raise UnsupportedTransform(
                        f"cannot split g = {g} reliably on ({p}, {q}): it switches formula at a "
                        "point covar did not locate"
                    )
                pieces.append(RawPiece(p, q, ga, fa, direction(dg, x, p, q)))
    # intervals and pieces were produced left to right, so the points are already in order
    ordered = [p for k, p in enumerate(all_points) if k == 0 or p != all_points[k - 1]]
    return tuple(ordered), pieces
