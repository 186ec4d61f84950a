"""Solving g(x) = y for the branches x = h(y) of a multivariate map (candidates, checked later)."""
from __future__ import annotations

from typing import AbstractSet, Iterator

import sympy as sp

from covar.errors import DerivationTimeout
from covar.multivariate.conditions import try_simplify
from covar.multivariate.triangular import reduce_system
from covar.numeric.budget import time_budget


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
    slope = eq.diff(v)
    if slope != 0 and v not in slope.free_symbols:  # affine in v: one solution, no solver needed
        return [e for s in [-eq.xreplace({v: 0}) / slope] for e in _real_odd_roots(s, fixed)]
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


def _polar_substitutions(g: list[sp.Expr], xs: list[sp.Symbol]
                         ) -> tuple[list[sp.Expr], list[sp.Symbol], dict[sp.Symbol, sp.Expr]] | None:
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
    g2 = [try_simplify(e.xreplace(back).xreplace(angle)) for e in g]
    unknowns = [u for u in xs if u not in (a, b)] + [rho, phi]
    for e in g2:
        for n in sp.preorder_traversal(e):
            if isinstance(n, sp.acos):
                cs = [u for u in n.free_symbols if u in unknowns and u is not rho]
                if len(cs) == 1 and rho in n.free_symbols:
                    c = cs[0]
                    R, th = sp.Dummy("R", positive=True), sp.Dummy("th", real=True)
                    inner = {c: R * sp.cos(th), rho: R * sp.sin(th)}
                    g3 = [try_simplify(q.xreplace(inner)) for q in g2]
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


def candidate_inverses(g: list[sp.Expr], xs: list[sp.Symbol], ys: list[sp.Symbol]
                       ) -> Iterator[tuple[str, list[tuple[sp.Expr, ...]]]]:
    """Candidate sets of branches x = h(y), most direct first; each is checked before use."""
    eqs = [gi - yi for gi, yi in zip(g, ys)]

    def solve(equations: list[sp.Expr], unknowns: list[sp.Symbol]) -> list[dict]:
        try:
            return _triangular(equations, unknowns)
        except (NotImplementedError, ValueError, TypeError, RecursionError):
            return []

    reduced = reduce_system(eqs, list(xs))
    if reduced != eqs:  # a triangular structure (flow layers): solved one variable at a time
        sols = solve(reduced, list(xs))
        if sols:
            yield ("solved g(x) = y variable by variable (outer bijections inverted, known "
                   "subexpressions replaced)", [tuple(s[x] for x in xs) for s in sols])
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
                   [tuple(try_simplify(full[x].xreplace(s)) for x in xs) for s in sols])
    for i, j, R, Phi in _polar_output_pairs(g):
        radius, angle = sp.sqrt(ys[i] ** 2 + ys[j] ** 2), sp.atan2(ys[j], ys[i])
        rest = [e for k, e in enumerate(eqs) if k not in (i, j)]
        found = []
        for k in (-1, 0, 1):  # the angle Phi(x) is atan2(y_j, y_i) up to a whole turn
            sols = solve([R - radius, Phi - angle - 2 * k * sp.pi] + rest, list(xs))
            found += [tuple(s[x] for x in xs) for s in sols]
        if found:
            yield "solved as radius √(y_i² + y_j²) and angle atan2(y_j, y_i)", found
