"""Densities of multivariate maps Y = g(X): inverse, Jacobian, image support, branches.

    f_Y(y) = sum_k f_X(h_k(y)) |det J_{h_k}(y)|   over the branches h_k of g^{-1} whose condition holds

Every inverse (solved or supplied) is checked numerically at points of X's support before a
density is returned: each sampled x must be recovered by exactly one active branch of
g^{-1}(g(x)), and every active branch must map back to y under g.
"""
from __future__ import annotations

import time
from typing import AbstractSet, Any, Sequence

import numpy as np
import sympy as sp

from covar.numeric.budget import DEFAULT_BUDGET_SECONDS, time_budget
from covar.numeric.verify import parameter_draws
from covar.laws.density import Density, as_real_symbol
from covar.errors import (
    CovarError,
    DerivationTimeout,
    InvalidDensity,
    NoClosedFormInverse,
    UnsupportedTransform,
)
from covar.laws.joint import JointDensity
from covar.record import InversePiece, MapRecord
from covar.text.values import as_expression, as_sympy


# ---------------------------------------------------------------------------------------------
# small symbolic helpers


def _by_name(expr: Any, symbols: Sequence[sp.Symbol]) -> sp.Expr:
    """Read (text: whitelist parser) and rename free symbols to the given symbols by name."""
    names = {s.name: s for s in symbols}
    e = as_expression(expr, names, what="map component")
    swap = {f: names[f.name] for f in e.free_symbols if f.name in names and f is not names[f.name]}
    return e.xreplace(swap)


def _try_simplify(expr: sp.Expr, seconds: float = 4.0) -> sp.Expr:
    """simplify() when it finishes in time; the unsimplified (equal) expression otherwise."""
    try:
        with time_budget(seconds, "simplification"):
            return sp.simplify(expr)
    except DerivationTimeout:
        return expr


def _flatten_and(cond: sp.Basic) -> list[sp.Basic]:
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


def simplify_condition(cond: sp.Basic) -> sp.Basic:
    """Drop conjuncts that are always true, detect ones that are always false."""
    parts = []
    for c in _flatten_and(cond):
        d = _decide(c)
        if d is sp.false:
            return sp.false
        if d is not sp.true:
            parts.append(d)
    out = sp.And(*parts)
    if out.atoms(sp.Function):
        return out  # sympy's logic simplification is slow and weak on transcendental conditions
    try:
        with time_budget(2.0, "condition simplification"):
            simpler = out.simplify()
        # keep sympy's form only when it stays a plain conjunction of inequalities
        if all(isinstance(c, sp.core.relational.Relational) for c in _flatten_and(simpler)):
            return simpler
    except (DerivationTimeout, TypeError, NotImplementedError, RecursionError):
        pass  # sympy's logic simplifier gave up or ran out of time: keep the plain conjunction
    return out


def _positive_bounds(cond: sp.Basic, ys: Sequence[sp.Symbol]) -> dict[sp.Symbol, sp.Symbol]:
    """Variables the condition forces positive (y > c with c >= 0), as positive stand-ins."""
    out = {}
    for c in _flatten_and(cond):
        if isinstance(c, (sp.StrictGreaterThan, sp.GreaterThan)) and c.lhs in ys:
            lo, v = c.rhs, c.lhs
        elif isinstance(c, (sp.StrictLessThan, sp.LessThan)) and c.rhs in ys:
            lo, v = c.lhs, c.rhs
        else:
            continue
        if lo.is_nonnegative:  # y >= 0: the point y = 0 has no mass, so y > 0 may be assumed
            out[v] = sp.Symbol(v.name, positive=True)
    return out


def _simplify_on(expr: sp.Expr, cond: sp.Basic, ys: Sequence[sp.Symbol]) -> sp.Expr:
    """Simplify knowing the sign information in ``cond`` (so |r| -> r when r > 0)."""
    pos = _positive_bounds(cond, ys)
    back = {p: v for v, p in pos.items()}
    out = _try_simplify(expr.xreplace(pos)).xreplace(back)
    # |sin(v)| = sin(v) for a polar angle v confined to [0, pi] (spherical coordinates)
    parts = set(_flatten_and(cond))
    # |b**p| = b**p for a fractional power p > 0 of a base the condition keeps nonnegative
    for a in out.atoms(sp.Abs):
        arg = a.args[0]
        if (isinstance(arg, sp.Pow) and arg.exp.is_Rational and not arg.exp.is_integer
                and arg.exp.is_positive and ({arg.base >= 0, arg.base > 0} & parts)):
            out = out.xreplace({a: arg})
    for a in out.atoms(sp.Abs):
        if isinstance(a.args[0], sp.sin) and a.args[0].args[0] in ys:
            v = a.args[0].args[0]
            if ({v >= 0, sp.Ge(v, 0)} & parts) and ({v <= sp.pi, sp.Le(v, sp.pi)} & parts):
                out = out.xreplace({a: a.args[0]})
    return out


# ---------------------------------------------------------------------------------------------
# conditions of the image


_RANGES = {
    sp.atan2: (-sp.pi, sp.pi, True, False),  # (lo, hi, lo open, hi open): atan2 in (-pi, pi]
    sp.acos: (0, sp.pi, False, False),
    sp.asin: (-sp.pi / 2, sp.pi / 2, False, False),
    sp.atan: (-sp.pi / 2, sp.pi / 2, True, True),
    sp.tanh: (-1, 1, True, True),
}


def _range_condition(gi: sp.Expr, yi: sp.Symbol) -> sp.Basic:
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


def _domain_condition(h: Sequence[sp.Expr]) -> sp.Basic:
    """Where the inverse is real-valued: sqrt/fractional powers of nonnegatives, log of positives."""
    conds = []
    for e in h:
        for node in sp.preorder_traversal(e):
            if isinstance(node, sp.Pow) and not node.exp.is_integer and not node.base.is_nonnegative:
                conds.append(node.base >= 0)
            elif isinstance(node, sp.log) and not node.args[0].is_positive:
                conds.append(node.args[0] > 0)
            elif isinstance(node, (sp.asin, sp.acos)):
                conds += [node.args[0] >= -1, node.args[0] <= 1]
    return sp.And(*conds)


# ---------------------------------------------------------------------------------------------
# solving g(x) = y


def _real_solutions(sols: list) -> list[sp.Expr]:
    return [s for s in sols if not s.has(sp.I)]


def _unwrap_piecewise(sols: list) -> list[sp.Expr]:
    """Real candidate solutions with sympy's Piecewise((s, cond), (nan, True)) wrappers removed.

    The wrapper's condition (and the sign assumed while splitting |v|) only says where s is a
    solution; transform_joint derives each branch's condition itself and checks it numerically.
    """
    out = []
    for s in sols:
        s = sp.piecewise_fold(s)
        if isinstance(s, sp.Piecewise):
            out += [e for e, _ in s.args if not e.has(sp.nan)]
        else:
            out.append(s)
    return _real_solutions(out)


def _real_odd_roots(s: sp.Expr, fixed: AbstractSet[sp.Symbol] = frozenset()) -> list[sp.Expr]:
    """s and its variants with the real odd roots of negative bases.

    solve writes the real root of v**3 = y as y**(1/3), which is the principal (complex) root
    when y < 0. Each such power b**(p/q) with q odd and b of unknown sign gives two candidates:
    b**(p/q) (real where b >= 0) and +-(-b)**(p/q) (the real root where b < 0); the domain
    conditions and the numerical check of the branches decide which apply. Roots in ``fixed``
    (already chosen by an earlier equation of the system) are kept as they are.
    """
    roots = sorted((n for n in s.atoms(sp.Pow) - set(fixed) if n.exp.is_Rational and not n.exp.is_integer
                    and n.exp.q % 2 == 1 and n.base.is_nonnegative is not True), key=sp.default_sort_key)
    if not roots or len(roots) > 2:
        return [s]
    out = [s]
    for r in roots:
        flipped = (-1 if r.exp.p % 2 else 1) * sp.Pow(-r.base, r.exp)
        out += [e.xreplace({r: flipped}) for e in out]
    return out


def _peel_odd_power(eq: sp.Expr, v: sp.Symbol) -> sp.Expr:
    """c*b**n + r = 0 (n odd, only b depends on v) as b - (-r/c)**(1/n) = 0.

    solve expands b**n and answers with Cardano's formula; the real root of the other side is
    the one real solution (its variants for negative -r/c come from _real_odd_roots).
    """
    rest, dep = eq.as_independent(v, as_Add=True)
    coeff, power = dep.as_independent(v, as_Add=False)
    if (isinstance(power, sp.Pow) and power.exp.is_Integer and power.exp > 1 and power.exp % 2 == 1
            and coeff != 0):
        return power.base - sp.Pow(-rest / coeff, sp.Rational(1, int(power.exp)))
    return eq


def _solve_univariate(eq: sp.Expr, v: sp.Symbol) -> list[sp.Expr]:
    """Real solutions of eq = 0 for v; each |a| is split into the cases a and -a, which solve
    cannot do for arguments of unknown sign.

    Candidates may repeat or hold only on part of the y-space; duplicates are dropped here and
    the branches are checked numerically before use.
    """
    fixed = eq.atoms(sp.Pow)
    eq = _peel_odd_power(eq, v)
    absolutes = sorted((a for a in eq.atoms(sp.Abs) if a.has(v)), key=sp.default_sort_key)
    if len(absolutes) > 2:
        return []
    out: list[sp.Expr] = []
    cases = [eq]
    for a in absolutes:  # |a| = a or -a: each case solved, the branches checked numerically later
        cases = [c.xreplace({a: sign * a.args[0]}) for c in cases for sign in (1, -1)]
    for case in cases:
        out += sp.solve(case, v)
    out = [e for s in _unwrap_piecewise(out) for e in _real_odd_roots(s, fixed)]
    return list(dict.fromkeys(out))


def _triangular(eqs: list[sp.Expr], unknowns: list[sp.Symbol]) -> list[dict]:
    """All solutions found by solving one single-unknown equation at a time (sympy for the rest)."""
    eqs = [e for e in eqs if e != 0]
    if not unknowns:
        return [] if eqs else [{}]
    for i, e in enumerate(eqs):
        free = e.free_symbols & set(unknowns)
        if len(free) == 1:
            v = free.pop()
            rest = eqs[:i] + eqs[i + 1:]
            others = [u for u in unknowns if u != v]
            results: dict[tuple, dict] = {}
            for s in _solve_univariate(e, v):
                for tail in _triangular([r.subs(v, s) for r in rest], others):
                    sol = {**tail, v: s}
                    results.setdefault(tuple(sol[u] for u in unknowns), sol)
            return list(results.values())
        if not free and e.is_number and e != 0:
            return []
    for i, e in enumerate(eqs):  # an equation linear in some unknown: eliminate it
        for v in sorted(e.free_symbols & set(unknowns), key=lambda u: u.name):
            coeff = e.diff(v)
            if coeff.free_symbols & set(unknowns) or coeff == 0:
                continue
            s = sp.expand(v - e / coeff)
            if v in s.free_symbols:
                continue
            rest = eqs[:i] + eqs[i + 1:]
            results = {}
            for tail in _triangular([r.subs(v, s) for r in rest], [u for u in unknowns if u != v]):
                sol = {**tail, v: s.xreplace(tail)}
                results.setdefault(tuple(sol[u] for u in unknowns), sol)
            return list(results.values())
    try:
        # sympy's system solver can recurse or run for minutes on transcendental systems
        # transcendental systems rarely solve and can take minutes: give them little time
        rational = all(e.is_rational_function(*unknowns) for e in eqs)
        with time_budget(8.0 if rational else 2.0, "solving the system g(x) = y"):
            sols = sp.solve(eqs, unknowns, dict=True)
    except (DerivationTimeout, RecursionError, NotImplementedError):
        return []
    return [s for s in sols if set(s) == set(unknowns) and not any(val.has(sp.I) for val in s.values())]


def _polar_substitutions(g: list[sp.Expr], xs: list[sp.Symbol]):
    """Rewrite atan2(b, a) of input symbols as an angle: a = rho cos(phi), b = rho sin(phi).

    Then an acos(c / sqrt(c^2 + rho^2)) left behind (spherical coordinates) is rewritten the same
    way with c = R cos(th), rho = R sin(th). Returns the new equations' left sides, the new
    unknowns and the original symbols in terms of them, or None when no atan2 pair is present.
    """
    pairs = [n for e in g for n in sp.preorder_traversal(e)
             if isinstance(n, sp.atan2) and all(a in xs for a in n.args) and n.args[0] != n.args[1]]
    if not pairs:
        return None
    b, a = pairs[0].args
    rho, phi = sp.Dummy("rho", positive=True), sp.Dummy("phi", real=True)
    back = {a: rho * sp.cos(phi), b: rho * sp.sin(phi)}
    angle = {sp.atan2(rho * sp.sin(phi), rho * sp.cos(phi)): phi}
    g2 = [_try_simplify(e.xreplace(back).xreplace(angle)) for e in g]
    unknowns = [u for u in xs if u not in (a, b)] + [rho, phi]
    for e in g2:
        for n in sp.preorder_traversal(e):
            if isinstance(n, sp.acos):
                cs = [u for u in n.free_symbols if u in unknowns and u is not rho]
                if len(cs) == 1 and rho in n.free_symbols:
                    c = cs[0]
                    R, th = sp.Dummy("R", positive=True), sp.Dummy("th", real=True)
                    inner = {c: R * sp.cos(th), rho: R * sp.sin(th)}
                    g3 = [_try_simplify(q.xreplace(inner)) for q in g2]
                    # acos(cos th) = th on the branch th in [0, pi]; checked numerically later
                    g3 = [q.replace(lambda z: isinstance(z, sp.acos) and z.args[0] == sp.cos(th),
                                    lambda z: th) for q in g3]
                    back = {k: v.xreplace(inner) for k, v in back.items()}
                    back[c] = inner[c]
                    unknowns = [u for u in unknowns if u not in (c, rho)] + [R, th]
                    return g3, unknowns, back
    return g2, unknowns, back


def _polar_output_pairs(g: list[sp.Expr]) -> list[tuple[int, int, sp.Expr, sp.Expr]]:
    """Pairs (i, j) with g_i = R cos(Phi), g_j = R sin(Phi) (Box-Muller shape)."""
    found = []
    for i, gi in enumerate(g):
        for c in gi.atoms(sp.cos):
            R = sp.simplify(gi / c)
            if R.has(c):
                continue
            for j, gj in enumerate(g):
                if j != i and sp.simplify(gj - R * sp.sin(c.args[0])) == 0:
                    found.append((i, j, R, c.args[0]))
    return found


def _candidate_inverses(g: list[sp.Expr], xs: list[sp.Symbol], ys: list[sp.Symbol]):
    """Candidate sets of branches x = h(y), most direct first; each is checked before use."""
    eqs = [gi - yi for gi, yi in zip(g, ys)]

    def solve(equations: list[sp.Expr], unknowns: list[sp.Symbol]) -> list[dict]:
        try:
            return _triangular(equations, unknowns)
        except (NotImplementedError, ValueError, TypeError, RecursionError):
            return []

    sols = solve(eqs, list(xs))
    if sols:
        yield "solved g(x) = y", [tuple(s[x] for x in xs) for s in sols]
    polar = _polar_substitutions(g, xs)
    if polar is not None:
        g2, unknowns, back = polar
        full = {x: back.get(x, x) for x in xs}
        sols = solve([gi - yi for gi, yi in zip(g2, ys)], unknowns)
        if sols:
            yield ("solved after writing atan2(b, a) as a polar angle",
                   [tuple(_try_simplify(full[x].xreplace(s)) for x in xs) for s in sols])
    for i, j, R, Phi in _polar_output_pairs(g):
        radius, angle = sp.sqrt(ys[i] ** 2 + ys[j] ** 2), sp.atan2(ys[j], ys[i])
        rest = [e for k, e in enumerate(eqs) if k not in (i, j)]
        found = []
        for k in (-1, 0, 1):  # the angle Phi(x) is atan2(y_j, y_i) up to a whole turn
            sols = solve([R - radius, Phi - angle - 2 * k * sp.pi] + rest, list(xs))
            found += [tuple(s[x] for x in xs) for s in sols]
        if found:
            yield "solved as radius sqrt(y_i^2 + y_j^2) and angle atan2(y_j, y_i)", found


# ---------------------------------------------------------------------------------------------
# numerical checks of the branches


def _draw(symbols: set, seed: int) -> dict[sp.Symbol, float]:
    """One draw of the free parameters (covar.numeric.verify's, so it respects their assumptions)."""
    params = sorted(symbols, key=lambda s: s.name)
    return {p: float(v) for p, v in parameter_draws(params, n=1, seed=seed)[0].items()}


def _support_points(J: JointDensity, vals: dict, rng: np.random.Generator, n: int = 80) -> np.ndarray:
    """Points of X's support (from its sampler, else by rejection from broad proposals)."""
    if J.sampler is not None:
        try:
            return np.asarray(J.sampler(n, rng, {p.name: v for p, v in vals.items()}), dtype=float)
        except (ValueError, KeyError):  # a sampler that cannot take these parameter values
            pass
    d = J.dim
    props = np.concatenate([
        rng.normal(0, 1, (2000, d)), rng.normal(0, 4, (2000, d)),
        rng.uniform(0, 1, (2000, d)), rng.exponential(1, (2000, d)), -rng.exponential(1, (1000, d)),
    ])
    cond = sp.lambdify(J.vars, J.support.xreplace(vals), "numpy")
    dens = sp.lambdify(J.vars, J.pdf.xreplace(vals), "numpy")
    with np.errstate(all="ignore"):
        ok = np.broadcast_to(np.asarray(cond(*props.T), dtype=bool), (len(props),))
        f = np.broadcast_to(np.asarray(dens(*props.T), dtype=float), (len(props),))
    ok = ok & np.isfinite(f) & (f > 0)
    pts = props[ok]
    rng.shuffle(pts)
    return pts[:n]


def _close(a: np.ndarray, b: np.ndarray, tol: float = 1e-7) -> np.ndarray:
    return np.all(np.abs(a - b) <= tol * (1 + np.abs(b)), axis=-1)


def _stack(columns: Sequence[Any], n: int) -> np.ndarray:
    """(n, k) float array of k lambdified components; a constant component is repeated n times."""
    return np.stack([np.broadcast_to(np.asarray(c, dtype=float), (n,)) for c in columns], axis=-1)


def _check_branches(J: JointDensity, g: Sequence[sp.Expr], ys: Sequence[sp.Symbol],
                    branches: list[tuple], conds: list[sp.Basic], seed: int = 12345) -> str | None:
    """None when the branches describe g^{-1} on X's support at sampled points, else why not."""
    rng = np.random.default_rng(seed)
    free = set().union(*(e.free_symbols for e in g), J.pdf.free_symbols, J.support.free_symbols,
                       *(c.free_symbols for c in conds), *(e.free_symbols for h in branches for e in h))
    vals = _draw(free - set(J.vars) - set(ys), seed)
    xs_pts = _support_points(J, vals, rng)
    if len(xs_pts) < 10:
        return "could not find enough points of X's support to check the inverse"
    with np.errstate(all="ignore"):
        gf = sp.lambdify(J.vars, [e.xreplace(vals) for e in g], "numpy")
        y_pts = _stack(gf(*xs_pts.T), len(xs_pts))
        finite = np.all(np.isfinite(y_pts), axis=1)
        xs_pts, y_pts = xs_pts[finite], y_pts[finite]
        broad = np.concatenate([y_pts + rng.normal(0, 0.5, y_pts.shape), rng.normal(0, 3, y_pts.shape)])
        found = np.zeros(len(xs_pts), dtype=int)
        for h, c in zip(branches, conds):
            hf = sp.lambdify(ys, [e.xreplace(vals) for e in h], "numpy")
            cf = sp.lambdify(ys, c.xreplace(vals), "numpy")
            for pts, image in ((y_pts, True), (broad, False)):
                active = np.broadcast_to(np.asarray(cf(*pts.T), dtype=bool), (len(pts),))
                if not active.any():
                    continue
                xh = _stack(hf(*pts[active].T), int(active.sum()))
                back = _stack(gf(*xh.T), len(xh))
                if not np.all(_close(back, pts[active], 1e-6)):
                    return (f"the branch x = {h} does not satisfy g(h(y)) = y everywhere its "
                            f"condition {c} holds")
                if image:
                    hits = np.zeros(len(pts), dtype=bool)
                    hits[active] = _close(xh, xs_pts[active], 1e-6)
                    found += hits
    if np.any(found == 0):
        return "some points of X's support are not recovered by any branch of the inverse"
    if np.any(found > 1):
        return "two branches of the inverse overlap (they would count the same x twice)"
    return None


# ---------------------------------------------------------------------------------------------
# the branch sum as one readable expression


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
    both = _flatten_and(a) + _flatten_and(b)
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


def _branch_sum(terms: Sequence[tuple[sp.Expr, sp.Basic]], ys: Sequence[sp.Symbol]) -> sp.Expr:
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
            total = _simplify_on(total, c, ys)
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


def _multiplicity_notes(terms: Sequence[tuple[sp.Expr, sp.Basic]]) -> list[str]:
    """Say which branches share a condition and a contribution (so the pdf counts them k times)."""
    seen: dict[tuple[sp.Expr, sp.Basic], list[int]] = {}
    for k, (e, c) in enumerate(terms, start=1):
        seen.setdefault((e, c), []).append(k)
    return [f"branches {ks} have the same contribution on the same condition {c}: "
            f"it is counted {len(ks)} times" for (e, c), ks in seen.items() if len(ks) > 1]


def _sum_agrees(pdf: sp.Expr, terms: Sequence[tuple[sp.Expr, sp.Basic]], J: JointDensity,
                g: Sequence[sp.Expr], ys: Sequence[sp.Symbol], seed: int = 2024) -> bool:
    """The compact pdf equals the plain sum of the branch terms at points in and near the image."""
    rng = np.random.default_rng(seed)
    free = (pdf.free_symbols | set().union(*(e.free_symbols | c.free_symbols for e, c in terms))
            | J.pdf.free_symbols | J.support.free_symbols | set().union(*(e.free_symbols for e in g)))
    vals = _draw(free - set(J.vars) - set(ys), seed)
    xs_pts = _support_points(J, vals, rng, 60)
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
    return bool(np.all(np.abs(got[ok] - want[ok]) <= 1e-8 * (1 + np.abs(want[ok]))))


# ---------------------------------------------------------------------------------------------
# the public entry points


def _jacobian_det(Jh: sp.Matrix) -> sp.Expr:
    # Triangular maps (flows, sequential substitutions): product of the diagonal, no expansion.
    if Jh.is_lower or Jh.is_upper:
        return sp.Mul(*Jh.diagonal())
    return Jh.det(method="berkowitz")


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
    g = [_by_name(e, xs) for e in (g if isinstance(g, (tuple, list)) else [g])]
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
    notes: list[str] = []
    with time_budget(budget, "multivariate transform"):
        if inverse is not None:
            inv = list(inverse)
            branches = [inv] if not isinstance(inv[0], (tuple, list)) else inv
            branches = [tuple(_by_name(e, ys) for e in h) for h in branches]
            if any(len(h) != len(xs) for h in branches):
                raise UnsupportedTransform(f"each inverse branch needs {len(xs)} components")
            candidates = iter([("inverse supplied by the user", branches)])
        else:
            candidates = _candidate_inverses(g, xs, ys)
        range_cond = sp.And(*[_range_condition(gi, yi) for gi, yi in zip(g, ys)])
        failures = []
        for how, branches in candidates:
            kept, conds = [], []
            for h in branches:
                h = tuple(as_expression(e) for e in h)
                cond = sp.And(J.support.xreplace(dict(zip(xs, h))), range_cond, _domain_condition(h))
                cond = simplify_condition(cond)
                if cond is not sp.false:
                    kept.append(h)
                    conds.append(cond)
            why = _check_branches(J, g, ys, kept, conds) if kept else "no branch of the inverse applies"
            if why is None:
                notes.append(f"inverse: {how}; checked numerically at points of the support")
                break
            failures.append(f"{how}: {why}")
        else:
            detail = "; ".join(failures) or "no closed-form solution found"
            raise NoClosedFormInverse(
                f"could not find a confirmed inverse of {tuple(g)} = {tuple(ys)} for {tuple(xs)} "
                f"({detail}); pass inverse=(x1 as a function of {tuple(ys)}, ...), or a list of "
                "such tuples for a map with several branches")
        pieces, terms = [], []
        for h, cond in zip(kept, conds):
            Jh = sp.Matrix(h).jacobian(ys)
            det = _simplify_on(_jacobian_det(Jh), cond, ys)
            if det == 0:
                raise UnsupportedTransform(f"the Jacobian of the inverse {h} is identically 0; "
                                           "the map is not a bijection")
            abs_det = _simplify_on(sp.Abs(det), cond, ys)
            contribution = _simplify_on(J.pdf.xreplace(dict(zip(xs, h))) * abs_det, cond, ys)
            pieces.append(InversePiece(h, sp.ImmutableMatrix(Jh), det, abs_det, cond, contribution))
            terms.append((contribution, cond))
        if len(pieces) > 1:
            notes.append(f"g is not injective: {len(pieces)} branches are summed")
            notes += _multiplicity_notes(terms)
        pdf = _branch_sum(terms, ys)
        if not _sum_agrees(pdf, terms, J, g, ys):
            # the merged form is only a rewriting of the sum: when it does not reproduce the sum
            # at sampled points, keep one Piecewise per branch (the sum itself)
            pdf = sp.Add(*[sp.Piecewise((e, c), (0, True)) for e, c in terms])
            notes.append("the branch sum is kept term by term (merging it did not check out)")
        support = sp.Or(*conds)
    deriv = MapRecord(tuple(xs), tuple(ys), J.pdf, J.support, tuple(g), tuple(pieces), pdf,
                      support, tuple(notes), J.derivation, {"total": time.perf_counter() - started})
    return JointDensity(pdf, tuple(ys), support, deriv, tuple(terms), _pushed_sampler(J, g), True)


def _pushed_sampler(J: JointDensity, g: Sequence[sp.Expr]):
    """The sampler of g(X): X's samples pushed through the lambdified map."""
    draw_x = J.sampler
    if draw_x is None:
        return None
    params = J.params
    f = sp.lambdify(tuple(J.vars) + params, list(g), "numpy")

    def sample(size: int, rng: np.random.Generator, values: dict) -> np.ndarray:
        x = draw_x(size, rng, values)
        with np.errstate(all="ignore"):
            out = f(*x.T, *[values[p.name] for p in params])
        return np.stack(np.broadcast_arrays(*out), axis=-1).astype(float)

    return sample


# ---------------------------------------------------------------------------------------------
# independent components


def independent(*densities: Any) -> JointDensity:
    """The joint density of independent variables: the product of their densities.

    Accepts covar.Density objects and sympy.stats continuous random variables (read by the one
    adapter, covar.laws.sympy_stats, so each component samples with its catalog sampler).
    Variables are named after the inputs (x1, x2, ... when names clash).

    >>> import sympy.stats as st
    >>> J = independent(st.Exponential("X1", 1), st.Exponential("X2", 1))
    >>> J.pdf, J.support
    (exp(-x1)*exp(-x2), (0 <= x1) & (0 <= x2))
    """
    if len(densities) == 1 and isinstance(densities[0], (list, tuple)):
        densities = tuple(densities[0])
    if not densities:
        raise CovarError("independent() needs at least one density")
    from covar.laws.sympy_stats import density_of, is_random_variable

    names = []
    for D in densities:
        names.append(D.var.name if isinstance(D, Density) else str(getattr(D, "name", "x")).lower())
    if len(set(names)) != len(names):
        names = [f"x{i + 1}" for i in range(len(densities))]
    pdfs, vars_, conds, draws = [], [], [], []
    for D, name in zip(densities, names):
        if not isinstance(D, Density):
            if not is_random_variable(D):
                raise InvalidDensity(f"{D!r} is neither a covar.Density nor a sympy.stats random variable")
            D = density_of(D, name)
        if D.pdf is None or D.discrete or D.atoms:
            raise UnsupportedTransform(
                f"independent() needs continuous closed-form densities; {D!r} is not one")
        v = sp.Symbol(name, real=True)
        pdfs.append(D.pdf.xreplace({D.var: v}))
        conds.append(D.support.as_relational(v))
        draws.append(_density_draw(D))
        vars_.append(v)
    def sampler(size: int, rng: np.random.Generator, values: dict) -> np.ndarray:
        return np.stack([np.broadcast_to(d(rng, size, values), (size,)) for d in draws], axis=-1)

    return JointDensity(sp.Mul(*pdfs), tuple(vars_), sp.And(*conds), sampler=sampler)


def _density_draw(D: Density):
    """A numpy draw for a covar.Density: its catalog sampler when it is a named law, else its own
    way of sampling (Density.sample)."""
    def draw(rng: np.random.Generator, n: int, vals: dict) -> np.ndarray:
        params = {p.name: vals[p.name] for p in D.params}
        return np.asarray(D.sample(n, rng, **params), dtype=float)
    return draw
