"""Marginals of a 2-D JointDensity: integrate one variable out with exact piecewise limits.

The support condition, a conjunction of inequalities, is read as bounds on the integrated
variable t that are linear in t with coefficients in the kept variable s:

    a(s) t + b(s) > 0   ->   t > -b/a  where a(s) > 0,   t < -b/a  where a(s) < 0

A condition quadratic in t (or the square root of one compared with a bound free of t) is
solved by the quadratic formula into such bounds, splitting the term where the solution set is
two rays: r - z**2 > 0 is -sqrt(r) < z < sqrt(r) where r > 0.

The s-line is cut at every point where the bound set can change (zeros of a(s), of the
constraints on s alone, and crossings of two bounds); on each cell the active lower bound is
the largest and the upper the smallest. Each cell is integrated in closed form under a time
budget and checked against quadrature; a cell that cannot be done gives an honest
numeric-only marginal.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable

import numpy as np
import sympy as sp
from scipy import integrate as sci

from covar.univariate.simplify import ODD_FUNCTIONS, exponents_factored, odd_functions_signed
from covar.numeric.budget import time_budget
from covar.laws.density import Density
from covar.errors import CovarError, DerivationTimeout, NoClosedForm, UnsupportedTransform
from covar.laws.joint import JointDensity
from covar.numeric.verify import cell_draws, close, interior_samples, symbolic_values, to_float
from covar.record import Integral, MapRecord, MarginalRecord, Note
from covar.univariate.signs import interior_point, sign_of, sort_points


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


Option = tuple[list[sp.Expr], list[Bound]]


def _positive_options(e: sp.Expr, t: sp.Symbol, sign: int, rel: sp.Basic) -> list[Option]:
    """The set e > 0 as alternatives (constraints on the other variables, bounds on t): linear
    in t, quadratic in t, or k*sqrt(q) + c with q of those kinds (sqrt(r - z**2) <= 1 is
    r - z**2 <= 1)."""
    if t not in e.free_symbols:
        return [([e], [])]
    a = sp.diff(e, t)
    if t in a.free_symbols:
        e = _clear_denominator(e, t, sign)
        if t not in e.free_symbols:
            return [([e], [])]
        a = sp.diff(e, t)
    if t not in a.free_symbols:
        return [([], [Bound(a, sp.simplify(-(e - a * t).expand() / a), True)])] if a != 0 else [([], [])]
    quadratic = _quadratic_options(e, t)
    if quadratic is not None:
        return quadratic
    root = _root_options(e, t, sign, rel)
    if root is None:
        raise NoClosedForm(
            f"the support condition {rel} is neither linear nor quadratic in {t}, so covar cannot "
            "find the integration limits; rewrite the map or the support so that it is")
    return root


def _root_options(e: sp.Expr, t: sp.Symbol, sign: int, rel: sp.Basic) -> list[Option] | None:
    """e = k*sqrt(q) + c > 0 (k, c free of t) as conditions on q, with the sign of the threshold
    m = -c/k taken as cases where the assumptions do not decide it; None for another form."""
    c, rest = e.as_independent(t, as_Add=True)
    k, radical = rest.as_independent(t, as_Add=False)
    k_sign = sign_of(k)
    if not (isinstance(radical, sp.Pow) and radical.exp == sp.Rational(1, 2)) or not k_sign:
        return None
    q, m = radical.base, -c / k
    m_sign = sign_of(m)
    out: list[Option] = []
    if k_sign > 0:  # sqrt(q) > m: every point of q > 0 when m < 0, else q > m**2
        if m_sign is None or m_sign < 0:
            out += _constrained(_positive_options(q, t, sign, rel), [] if m_sign else [-m])
        if m_sign is None or m_sign >= 0:
            out += _constrained(_positive_options(q - m**2, t, sign, rel), [] if m_sign is not None else [m])
        return out
    if m_sign is not None and m_sign <= 0:  # sqrt(q) < m <= 0: no point
        return []
    both = [(c1 + c2, b1 + b2) for c1, b1 in _positive_options(q, t, sign, rel)
            for c2, b2 in _positive_options(m**2 - q, t, sign, rel)]
    return _constrained(both, [] if m_sign is not None else [m])


def _constrained(options: list[Option], extra: list[sp.Expr]) -> list[Option]:
    return [([*extra, *cons], bounds) for cons, bounds in options]


def _quadratic_options(e: sp.Expr, t: sp.Symbol) -> list[Option] | None:
    """The set e > 0 for e = A t**2 + B t + C (A, B, C free of t), as alternatives
    (constraints e_k > 0 on the other variables, bounds on t) whose union it is, up to sets of
    measure zero; None when e is not a quadratic polynomial in t. With D = B**2 - 4 A C and
    roots r1 <= r2:

        A < 0:  D > 0 and r1 < t < r2
        A > 0:  D < 0 (every t), or D > 0 and t < r1, or D > 0 and t > r2

    A sign of A that depends on the other variables is taken as two cases (A > 0, A < 0)."""
    poly = sp.Poly(sp.expand(e), t) if e.is_polynomial(t) else None
    if poly is None or poly.degree() != 2:
        return None
    A, B, C = (sp.factor(c) for c in poly.all_coeffs())
    D = sp.factor(B**2 - 4 * A * C)
    lower, upper = (-B - sp.sqrt(D)) / (2 * A), (-B + sp.sqrt(D)) / (2 * A)
    sign = sign_of(A)
    cases = [(sign, [])] if sign is not None else [(1, [A]), (-1, [-A])]
    out: list[Option] = []
    for sg, extra in cases:
        if D == 0:  # A (t - r)**2 > 0: every t where A > 0, none where A < 0
            out += [(extra, [])] if sg > 0 else []
            continue
        r1, r2 = (sp.simplify(lower), sp.simplify(upper)) if sg > 0 else (sp.simplify(upper), sp.simplify(lower))
        if sg < 0:
            out.append(([*extra, D], [Bound(sp.Integer(1), r1, True), Bound(sp.Integer(-1), r2, True)]))
        else:
            out += [([*extra, -D], []),
                    ([*extra, D], [Bound(sp.Integer(-1), r1, True)]),
                    ([*extra, D], [Bound(sp.Integer(1), r2, True)])]
    return out


def term_limits(expr: sp.Expr, cond: sp.Basic, s: sp.Symbol, t: sp.Symbol) -> list[TermLimits]:
    """The term ``expr`` on the conjunction ``cond`` as terms whose conditions are constraints on
    the other variables plus bounds on t, linear in t; a condition quadratic in t (x1**2 + x2**2
    kept with x2: r - z**2 >= 0) is solved for t and may split the term in several. An empty
    list when the condition has no mass."""
    parts = list(cond.args) if isinstance(cond, sp.And) else [cond]
    options: list[list[Option]] = []
    sign = _t_sign(parts, t)
    for rel in parts:
        if rel is sp.true or isinstance(rel, sp.Ne):
            continue
        if rel is sp.false or isinstance(rel, sp.Eq):
            return []  # a set of measure zero carries no mass
        if isinstance(rel, (sp.StrictGreaterThan, sp.GreaterThan)):
            e = rel.lhs - rel.rhs
        elif isinstance(rel, (sp.StrictLessThan, sp.LessThan)):
            e = rel.rhs - rel.lhs
        else:
            raise UnsupportedTransform(
                f"cannot read integration limits from the condition {rel}; marginals need the "
                "support as a conjunction of inequalities")
        options.append(_positive_options(e, t, sign, rel))
    out = []
    for combo in itertools.product(*options):
        s_cons = tuple(c for cons, _ in combo for c in cons)
        bounds = tuple(b for _, bs in combo for b in bs)
        out.append(TermLimits(expr, s_cons, bounds))
    return out


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


def _simplified(total: sp.Expr) -> sp.Expr:
    """One cell's integral simplified: odd functions' signs taken out before and after sympy's
    simplify (which writes erf(w) and erf(-w) in two forms that do not cancel), the shorter of
    that and its rational form, exponents as completed squares."""
    e = odd_functions_signed(sp.simplify(odd_functions_signed(total)))
    rational = sp.factor_terms(sp.cancel(e)) if e.has(*ODD_FUNCTIONS) else e
    # a polynomial in factors: 56*y*(1 - y)**6 evaluates near y = 1 without the cancellation
    # of its expanded form (which is 0 in floats there)
    factored = sp.factor(e) if e.is_rational_function() else e
    return exponents_factored(min((e, rational, factored), key=sp.count_ops))


def integrate_between(expr: sp.Expr, t: sp.Symbol, lower: sp.Expr, upper: sp.Expr) -> sp.Expr:
    """∫ expr dt over (lower, upper), split where |t| changes sign so sympy sees no Abs."""
    cuts = sorted({sp.Integer(0)} if expr.has(sp.Abs) else set(), key=float)
    segments = [(lower, upper)]
    for c in cuts:  # only t = 0 is handled; other Abs stay for sympy
        new = []
        for lo, hi in segments:
            inside = (not (lo.free_symbols or hi.free_symbols) and (lo == -sp.oo or _sign(c - lo) > 0)
                      and (hi == sp.oo or _sign(hi - c) > 0))
            new += [(lo, c), (c, hi)] if inside else [(lo, hi)]
        segments = new
    total = sp.Integer(0)
    for lo, hi in segments:
        total += _integrate_segment(expr, t, lo, hi)
    return total


def _integrate_segment(expr: sp.Expr, t: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    """∫ expr dt over (lo, hi). Between finite limits that depend on other variables, the
    distance to a limit is tried first as the variable (t = hi - u or t = lo + u, u > 0): a
    factor such as sqrt(hi - t) becomes sqrt(u), which sympy integrates where it fails on the
    original form (the Dirichlet's sqrt(1 - y1 - y2) over 0 < y2 < 1 - y1)."""
    attempts = []
    if lo.is_finite and hi.is_finite and (lo.free_symbols or hi.free_symbols):
        u = sp.Dummy("u", positive=True)
        attempts += [(expr.xreplace({t: hi - u}), u, 0, hi - lo), (expr.xreplace({t: lo + u}), u, 0, hi - lo)]
    if lo.is_number and lo >= 0:
        d = sp.Dummy(t.name, positive=True)
        attempts.append((expr.xreplace({t: d}), d, lo, hi))
    elif hi.is_number and hi <= 0:
        d = sp.Dummy(t.name, negative=True)
        attempts.append((expr.xreplace({t: d}), d, lo, hi))
    else:
        attempts.append((expr, t, lo, hi))
    result = sp.Integer(0)
    for k, (e, var, a, b) in enumerate(attempts):
        last = k == len(attempts) - 1
        try:
            with time_budget(None if last else 6.0, "integrating one segment"):
                result = sp.integrate(sp.expand(e) if var.is_positive and not last else e, (var, a, b),
                                      conds="none")
        except DerivationTimeout:
            if last:
                raise
            continue  # this form took too long: the next one is tried
        if not result.has(sp.Integral):
            return result
    return result


def marginal_density(J: JointDensity, keep: sp.Symbol, timeout: float = 60.0) -> Density:
    """The law of ``keep`` under J: the other variable integrated out over exact piecewise limits.

    The branch terms of J (``J.terms``: one ``(contribution, condition)`` per inverse branch)
    are integrated one by one, so a many-to-one map counts every branch. Each cell's closed
    form is checked against quadrature of the terms; a cell that cannot be done or checked
    makes the result numeric-only (``closed_form`` False, evaluated by quadrature).

    >>> from sympy import symbols
    >>> x1, x2 = symbols("x1 x2", real=True)
    >>> J = JointDensity(1, (x1, x2), (x1 > 0) & (x1 < 1) & (x2 > 0) & (x2 < 1))
    >>> marginal_density(J, x1).pdf
    Piecewise((0, x1 < 0), (1, x1 < 1), (0, True))
    """
    if J.dim == 1:
        raise CovarError("the joint density has one variable; it is its own marginal")
    steps: list[Note] = []
    if J.dim > 2:  # the other variables integrated out one at a time, down to a pair
        from covar.multivariate.integrate_out import reduce_to_pair

        J, steps = reduce_to_pair(J, keep, timeout)
    s = keep
    t = next(v for v in J.vars if v != s)
    terms = [lim for e, c in J.terms for lim in term_limits(e, c, s, t)]
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
    params = tuple(sorted(set(J.params) | {p for term in terms for p in _term_symbols(term)} - {s, t},
                          key=lambda p: p.name))
    cells: list[Integral] = []
    with time_budget(timeout, "marginal integration"):
        for lo, hi in zip(edges[:-1], edges[1:]):
            pieces = _cell_pieces(terms, s, interior_point(lo, hi))
            result = _cell_result(pieces, s, t, lo, hi, params, min(20.0, timeout))
            cells.append(Integral(lo, hi, tuple(pieces), result))
    support = sp.Union(*[sp.Interval(c.lo, c.hi) for c in cells if c.pieces and c.result != 0])
    if support == sp.S.EmptySet:
        raise CovarError("the support condition leaves no mass to integrate")
    upstream = tuple(sorted(joint_upstream_names(J)))
    numeric = any(c.result is None for c in cells)
    evaluator = MarginalEvaluator(tuple(cells), s, t, params if numeric else (), params, upstream, J,
                                  _column(J, s))
    record = MarginalRecord(J, s, t, tuple(cells), tuple(steps))
    if numeric:
        return Density(None, s, support, derivation=record, numeric=evaluator, validate=False)
    nonzero = [c for c in cells if c.pieces and c.result != 0]
    family = None
    if len(nonzero) == 1:
        from covar.univariate.recognize import recognize

        cell = sp.Interval(nonzero[0].lo, nonzero[0].hi)
        # (1 - s)**3 may come out expanded; its factored form is what the catalog matches
        family = recognize(nonzero[0].result, s, cell) or recognize(sp.factor(nonzero[0].result), s, cell)
    elif len(nonzero) == 2:  # a two-sided law (Laplace), one expression on each side
        from covar.univariate.recognize import recognize_cells

        family = recognize_cells([(c.lo, c.hi, c.result) for c in nonzero], s)
    return Density(_as_piecewise(cells, s), s, support, family=family, derivation=record, numeric=evaluator,
                   validate=False)


def _term_symbols(term: TermLimits) -> set[sp.Symbol]:
    syms = set(term.expr.free_symbols)
    for e in term.s_constraints:
        syms |= e.free_symbols
    for b in term.bounds:
        syms |= b.coef.free_symbols | b.root.free_symbols
    return syms


def _column(J: JointDensity, s: sp.Symbol) -> int:
    return next(i for i, v in enumerate(J.vars) if v == s)


def joint_upstream_names(J: JointDensity) -> set[str]:
    """Names of every parameter J and the laws it was derived from used (a marginal may lose
    some, as the rate of two Gammas cancels in their share): passing them is not a typo."""
    names = {p.name for p in J.params}
    d = J.derivation
    while isinstance(d, MapRecord):
        used = set(sp.sympify(d.input_pdf).free_symbols) | set(sp.sympify(d.input_support).free_symbols)
        for g in d.g:
            used |= sp.sympify(g).free_symbols
        names |= {p.name for p in used - set(d.x)}
        d = d.previous
    return names


def _cell_result(pieces: list[tuple], s: sp.Symbol, t: sp.Symbol, lo: sp.Expr, hi: sp.Expr,
                 params: tuple[sp.Symbol, ...], seconds: float) -> sp.Expr | None:
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
                total += integrate_between(expr.xreplace({s: sd}), t, lower.xreplace({s: sd}),
                                    upper.xreplace({s: sd}))
            if total.has(sp.Integral) or total.has(sp.nan) or total.has(sp.zoo):
                return None
            # polar_lift / exp_polar are sympy's bookkeeping of branches for parameters of
            # unknown sign: unpolarify removes what it can prove; the rest is dropped (principal
            # branches), which is right on the parameters' domain or caught by the check below
            total = sp.unpolarify(total)
            if total.has(sp.polar_lift, sp.exp_polar):
                total = total.replace(sp.polar_lift, lambda a: a).replace(sp.exp_polar, sp.exp)
            total = _simplified(total).xreplace({sd: s})
    except (DerivationTimeout, NotImplementedError, ValueError, TypeError):
        # sympy's integrate and simplify signal "cannot do this" by these; the cell is then
        # evaluated by quadrature instead (an honest numeric-only result)
        return None
    return total if _matches_quadrature(total, pieces, s, t, lo, hi, params) else None


def _compile_pieces(pieces: tuple[tuple, ...], s: sp.Symbol, t: sp.Symbol,
                    params: tuple[sp.Symbol, ...]) -> tuple[tuple[Callable, Callable, Callable], ...]:
    """Each (integrand, lower, upper) as numpy callables of (t, s, *params) and (s, *params)."""
    from covar.numeric.evaluate import NUMPY_MODULES

    out = []
    for expr, lower, upper in pieces:
        out.append((sp.lambdify((t, s, *params), expr, modules=NUMPY_MODULES),
                    sp.lambdify((s, *params), lower, modules=NUMPY_MODULES),
                    sp.lambdify((s, *params), upper, modules=NUMPY_MODULES)))
    return tuple(out)


def _limits_at(lower: Callable, upper: Callable, x: float, pvals: tuple[float, ...]) -> tuple[float, float] | None:
    """The integration limits at s = x as floats; None when one of them is not real."""
    lo_v, hi_v = to_float(lower(x, *pvals), otherwise=math.nan), to_float(upper(x, *pvals), otherwise=math.nan)
    return None if math.isnan(lo_v) or math.isnan(hi_v) else (lo_v, hi_v)


def _quad_value(compiled: tuple, x: float, pvals: tuple[float, ...]) -> float:
    """∫ over t of the compiled pieces at s = x; nan when an integrand or limit is not real."""
    total = 0.0
    for f, lower, upper in compiled:
        limits = _limits_at(lower, upper, x, pvals)
        if limits is None:
            return float("nan")
        lo_v, hi_v = limits
        if not lo_v < hi_v:
            continue

        def g(u: float) -> float:
            with np.errstate(all="ignore"):  # numpy floats: 1/0 is inf, not an error
                return to_float(f(np.float64(u), x, *pvals), otherwise=math.nan)

        with np.errstate(all="ignore"):
            # quad can step over a narrow bump on an infinite range: split at the integrand's
            # largest value on a probe grid, so each piece starts at the bump.
            probe = np.concatenate([np.linspace(-60, 60, 2401) + x, np.linspace(-60, 60, 2401)])
            probe = probe[(probe > lo_v) & (probe < hi_v)]
            cuts = [lo_v, hi_v]
            if len(probe):
                heights = np.abs(np.broadcast_to(np.asarray(f(probe, x, *pvals)), probe.shape))
                if np.any(np.isfinite(heights)):
                    peak = probe[int(np.nanargmax(np.where(np.isfinite(heights), heights, -1.0)))]
                    cuts = [lo_v, *[c for c in (peak - 3, peak, peak + 3) if lo_v < c < hi_v], hi_v]
            for a, b in zip(cuts[:-1], cuts[1:]):
                total += sci.quad(g, a, b, limit=200, epsabs=1e-12, epsrel=1e-10)[0]
    return total


def _valid_draws(compiled: tuple, params: tuple[sp.Symbol, ...], lo: sp.Expr, hi: sp.Expr,
                 want: int = 2) -> list[tuple[dict, tuple[float, ...], list[float]]]:
    """Up to ``want`` parameter draws (respecting the declared assumptions) under which the cell
    is a non-empty interval and the joint density is real, finite and nonnegative there; with
    two points of the cell each. A draw outside the parameters' domain (a correlation beyond
    ±1) is skipped, never compared."""
    found = []
    for values, a, b in cell_draws(params, lo, hi, n=16):
        pvals = tuple(float(values[p]) for p in params)
        pts = interior_samples(a, b, 2)
        if all(_joint_ok(compiled, x, pvals) for x in pts):
            found.append((values, pvals, pts))
            if len(found) == want:
                break
    return found


def _joint_ok(compiled: tuple, x: float, pvals: tuple[float, ...]) -> bool:
    for f, lower, upper in compiled:
        limits = _limits_at(lower, upper, x, pvals)
        if limits is None:
            return False
        lo_v, hi_v = limits
        if not lo_v < hi_v:
            continue
        probe = np.array(interior_samples(lo_v, hi_v, 5))
        with np.errstate(all="ignore"):
            vals = np.broadcast_to(np.asarray(f(probe, x, *pvals)), probe.shape)
        if np.iscomplexobj(vals) and not np.all(np.abs(vals.imag) <= 1e-12 * np.maximum(1.0, np.abs(vals.real))):
            return False
        if not np.all(np.real(vals) >= 0):  # nan, or a negative "density": not a valid draw
            return False
    return True


def _matches_quadrature(result: sp.Expr, pieces: list[tuple], s: sp.Symbol, t: sp.Symbol, lo: sp.Expr,
                        hi: sp.Expr, params: tuple[sp.Symbol, ...]) -> bool:
    """Closed form (evaluated by sympy, not by a compiled function) equals quadrature of the
    joint terms at two points of the cell for two valid parameter draws.

    sympy's integrate(conds='none') assumes convergence; this is the check that it was right.
    No valid draw means nothing was checked: that is a failure, never a pass.
    """
    compiled = _compile_pieces(tuple(pieces), s, t, params)
    draws = _valid_draws(compiled, params, lo, hi)
    if not draws:
        return False
    for values, pvals, pts in draws:
        exact = symbolic_values(result, s, pts, values)
        if not all(close(e, _quad_value(compiled, x, pvals), rtol=1e-6, atol=1e-6) for e, x in zip(exact, pts)):
            return False
    return True


def _as_piecewise(cells: list[Integral], s: sp.Symbol) -> sp.Expr:
    merged: list[list] = []
    for c in cells:
        if merged and sp.simplify(merged[-1][2] - c.result) == 0:
            merged[-1][1] = c.hi
        else:
            merged.append([c.lo, c.hi, c.result])
    args = [(r, s < hi) for _, hi, r in merged[:-1]] + [(merged[-1][2], True)]
    return sp.Piecewise(*args)


@dataclass(frozen=True)
class MarginalEvaluator:
    """How a marginal arose, and its evaluation by quadrature of the joint's terms.

    ``evaluator(s_array, **params)`` (or ``.pdf``) integrates the other variable out numerically
    cell by cell: the whole pdf of a numeric-only marginal, and an independent reference for a
    closed-form one. ``params`` are the parameters the result exposes (none beyond the pdf's for
    a closed form); ``needed`` those quadrature needs; ``upstream`` the names of every parameter
    of the joint and the laws it came from, accepted (and ignored where unused) by numpy(),
    sample() and to_scipy(). ``draw`` samples the joint and keeps column ``column``.
    """

    cells: tuple[Integral, ...]
    s: sp.Symbol
    t: sp.Symbol
    params: tuple[sp.Symbol, ...]
    needed: tuple[sp.Symbol, ...]
    upstream: tuple[str, ...] = ()
    joint: JointDensity | None = None
    column: int = 0
    method: str = "quadrature of the joint density"

    @cached_property
    def _compiled(self) -> list[tuple[Callable, Callable, tuple]]:
        from covar.numeric.evaluate import NUMPY_MODULES

        out = []
        for c in self.cells:
            if not c.pieces:
                continue
            out.append((sp.lambdify(self.needed, c.lo, modules=NUMPY_MODULES),
                        sp.lambdify(self.needed, c.hi, modules=NUMPY_MODULES),
                        _compile_pieces(c.pieces, self.s, self.t, self.needed)))
        return out

    def pdf(self, values: Any, /, **params: float) -> np.ndarray:
        from covar.numeric.evaluate import given_values

        pvals = tuple(float(v) for v in given_values(self.needed, params, set(self.upstream)))
        x = np.asarray(values, dtype=float)
        flat = x.ravel()
        out = np.zeros(flat.shape)
        for lo_f, hi_f, compiled in self._compiled:
            lo, hi = to_float(lo_f(*pvals), otherwise=math.nan), to_float(hi_f(*pvals), otherwise=math.nan)
            if np.isnan(lo) or np.isnan(hi):
                raise CovarError(f"the cell ends of the marginal are not real at the parameters {params}")
            for i in np.flatnonzero((flat > lo) & (flat < hi)):
                out[i] = _quad_value(compiled, float(flat[i]), pvals)
        return out.reshape(x.shape)

    __call__ = pdf

    def numpy(self) -> Callable[..., np.ndarray]:
        return self.pdf

    def draw(self, size: int, rng: np.random.Generator, values: dict) -> np.ndarray | None:
        """Samples of the joint (X's samples pushed through the maps), this column kept; None
        when the joint has no sampler or a parameter it needs is not given."""
        if self.joint is None or self.joint.sampler is None:
            return None
        if any(p.name not in values for p in self.joint.params):
            return None
        return np.asarray(self.joint.sample(size, rng, **values)[:, self.column], dtype=float)

    def record(self, write: Callable[[Any], str | None]) -> dict:
        """JSON-ready description, enough to rebuild the evaluator (not the joint's sampler)."""
        return {
            "s": write(self.s), "t": write(self.t),
            "params": [write(p) for p in self.params], "needed": [write(p) for p in self.needed],
            "upstream": list(self.upstream),
            "cells": [{"lo": write(c.lo), "hi": write(c.hi), "result": write(c.result),
                       "pieces": [[write(e), write(lo), write(hi)] for e, lo, hi in c.pieces]}
                      for c in self.cells],
        }


def evaluator_from_record(data: dict, read: Callable[[str | None], Any],
                          record: MarginalRecord | None = None) -> MarginalEvaluator:
    """The MarginalEvaluator described by :meth:`MarginalEvaluator.record` (strings read by
    covar's whitelist reader ``read``); ``record`` gives back the joint it samples from."""
    cells = tuple(Integral(read(c["lo"]), read(c["hi"]),
                           tuple((read(e), read(lo), read(hi)) for e, lo, hi in c["pieces"]),
                           read(c["result"]))
                  for c in data["cells"])
    s = read(data["s"])
    joint = None if record is None else record.joint
    return MarginalEvaluator(cells, s, read(data["t"]), tuple(read(p) for p in data["params"]),
                             tuple(read(p) for p in data["needed"]), tuple(str(n) for n in data["upstream"]),
                             joint, 0 if joint is None else _column(joint, s))
