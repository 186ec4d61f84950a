"""Moments E[Y^k] of a law in closed form, from the input law, checked against the derived density.

For Y = g(X) (or a chain of maps), E[Y^k] = E[g(X)^k] is integrated (summed, for a pmf) against
the law X started from, piece by piece of g, plus X's atoms. The value is then checked against
the derived law itself: ∫ y^k f_Y(y) dy + Σ atoms a^k·m by quadrature at parameter draws.

Existence is reported honestly, in sympy's values:

* ``oo`` / ``-oo``: E[Y^k] diverges to one side (E[X^2] of a Cauchy, E[1/U] of a Uniform(0, 1));
* ``nan``: undefined, both E[max(Y^k, 0)] and E[max(-Y^k, 0)] are infinite (a Cauchy's mean).

When sympy gives E[Y^k] only under a condition on the parameters (E[X] = α/(α - 1) for α > 1 of a
Pareto(1, α)) and leaves an unevaluated integral otherwise, the other side of the condition is
split into cases (α < 1, α = 1, :mod:`covar.univariate.cases`) and each is decided: by sympy's
integral there, or by the tail exponent of the integrand at each end of a cell.

Otherwise (sympy gives no value, or one with conditions it cannot read), existence is decided
from the tails (:func:`_by_tails`): E[max(Y^k, 0)] and E[max(-Y^k, 0)] are integrals of
nonnegative y^k f_Y over the cells of f_Y split at 0; near each end the integrand behaves like
s^p (s -> oo, p = lim log(h)/log(s), symbolic in the parameters), so the integral is finite
exactly when p < -1 (by comparison with s^p; at p = -1, solved for a parameter, the constant
lim s·h must be positive, else the case is refused). Where every side converges the value is
integrated again under that region's substitution (sympy knows the signs there), against the
input law or f_Y, through y = e^t for a log-normal's powers and Γ functions for a Beta
integral. The answer is a Piecewise: the value where it converges (-1/a < -1 read as a < 1),
``oo``/``-oo`` where one side diverges, ``nan`` where both do. Beta(a, b) through 1/x gives
(a + b - 1)/(a - 1) for a > 1 and oo otherwise.

Every answer is checked at parameter draws in each of its branches (:func:`_check`): a value
against quadrature of the derived density, a divergence against the truncated integrals (the
mass per decade towards the diverging end must not decay). When covar cannot derive or check
a moment it raises :class:`covar.errors.NoClosedForm` (``Y.to_scipy().mean()`` gives a
numeric value).
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import sympy as sp

from covar.errors import CovarError, DerivationTimeout, NoClosedForm
from covar.laws.density import Density
from covar.numeric.budget import time_budget
from covar.numeric.verify import close, parameter_draws, to_float
from covar.record import Derivation
from covar.univariate.cdf import tidy

#: seconds of sympy work one moment may spend
MOMENT_BUDGET = 20.0
#: the closed form must match the quadrature of y^k f_Y within this relative tolerance
MOMENT_RTOL = 1e-6
#: seconds for one one-sided integral or tail limit of a parameter case
_CASE_SECONDS = 3.0
#: seconds for sympy's own attempt at E[g(X)^k], conditions and all
_FIRST_SECONDS = 4.0
#: seconds for one attempt at E[Y^k]'s closed form where it is known to converge
_VALUE_SECONDS = 8.0

Integrator = Callable[[sp.Expr, sp.Symbol, sp.Expr, sp.Expr], sp.Expr]


def _root(Y: Density) -> tuple[Density, sp.Expr]:
    """The law the chain of univariate maps started from, and Y as an expression in its variable."""
    law, G = Y, Y.var
    while isinstance(law.derivation, Derivation):
        d = law.derivation
        G = G.xreplace({d.y: d.g})
        law = d.input
    return law, G


def _plain(e: sp.Expr) -> bool:
    return not e.has(sp.oo, -sp.oo, sp.zoo, sp.nan, sp.Integral, sp.Sum)


def _finite(value: sp.Expr) -> bool:
    """A closed, finite value; or a Piecewise over parameter conditions whose fallback branch
    still holds an integral (sympy could not decide convergence there: :func:`_resolved` does)."""
    if isinstance(value, sp.Piecewise):
        *head, (last, _) = value.args
        return bool(head) and all(_plain(e) for e, _ in head) and (_plain(last) or last.has(sp.Integral, sp.Sum))
    return _plain(value)


def _resolved(Y: Density, k: int, value: sp.Expr) -> sp.Expr:
    """``value`` with an unevaluated fallback branch replaced by its value in each case of the
    parameters where it applies (oo, -oo, nan or a closed form); NoClosedForm when a case
    cannot be decided."""
    from covar.univariate.cases import case_substitution, _restore

    if not isinstance(value, sp.Piecewise) or not value.args[-1][0].has(sp.Integral):
        return value  # (a pmf's series keeps sympy's Sum: its condition is on the law's own domain)
    head = [(e, c) for e, c in value.args[:-1]]
    known = sp.Piecewise(*head, (sp.Symbol("unknown"), True))

    def open_case(why: str) -> NoClosedForm:
        return NoClosedForm(f"E[{Y.var}^{k}] = {known.args[0][0]} when {known.args[0][1]}, but covar cannot "
                            f"decide it otherwise ({why}); state the condition (e.g. assume='{known.args[0][1]}') "
                            "or give the parameters numbers")

    rest = sp.to_dnf(sp.And(*[sp.Not(c) for _, c in head]))
    taken = {s.name for s in value.free_symbols} | {Y.var.name}
    for conjunct in sp.Or.make_args(rest):
        rels = sp.And.make_args(conjunct)
        if not all(isinstance(r, (sp.StrictGreaterThan, sp.StrictLessThan, sp.GreaterThan, sp.LessThan))
                   for r in rels):
            raise open_case(f"the condition {conjunct} is not a list of inequalities")
        for case in _strict_or_equal(list(rels)):
            try:
                ref = case_substitution(case, taken)
            except CovarError as exc:
                raise open_case(str(exc)) from exc
            if ref is None:
                continue  # an empty case
            got = _case_value(Y, k, ref.forward)
            if got is None:
                raise open_case(f"the integral in the case {sp.And(*case)} has neither a closed form nor a "
                                "decidable tail")
            head.append((_restore(got, ref.back), sp.And(*case)))
    return sp.Piecewise(*head)


def _strict_or_equal(rels: list) -> list[list]:
    """Each ``<=`` of ``rels`` as ``<`` or ``=`` (the cases refine() writes), every combination."""
    cases: list[list] = [[]]
    for r in rels:
        if isinstance(r, (sp.GreaterThan, sp.LessThan)):
            strict = (sp.StrictGreaterThan if isinstance(r, sp.GreaterThan) else sp.StrictLessThan)(r.lhs, r.rhs)
            cases = [c + [choice] for c in cases for choice in (strict, sp.Eq(r.lhs, r.rhs))]
        else:
            cases = [c + [r] for c in cases]
    return cases


def _case_value(Y: Density, k: int, forward: dict) -> sp.Expr | None:
    """E[Y^k] with the parameters written as in one case (``forward``): from the one-sided
    integrals of y^k f_Y, each evaluated by sympy or, failing that, found divergent by its tail;
    None when a side stays undecided."""
    try:
        parts = _side_parts(Y, k, forward)
    except NoClosedForm:
        return None
    sides = []
    for side in parts:
        total = sp.Integer(0)
        for integrand, var, lo, hi in side:
            value = _one_sided(integrand, var, lo, hi)
            if value is None:
                return None
            total += value
        sides.append(total)
    for a, m in Y.atoms.items():
        a, m = a.xreplace(forward), m.xreplace(forward)
        sides[0 if sp.Ge(a ** k, 0) is sp.true else 1] += abs(a) ** k * m
    pos, neg = sides
    if pos == sp.oo and neg == sp.oo:
        return sp.nan
    if pos == sp.oo or neg == sp.oo:
        return sp.oo if pos == sp.oo else -sp.oo
    value = sp.simplify(pos - neg)
    return value if _plain(value) else None


def _one_sided(h: sp.Expr, v: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> sp.Expr | None:
    """∫ h dv over (lo, hi) for h >= 0: sympy's value, else oo when a tail exponent shows the
    integral diverges, else None."""
    try:
        with time_budget(_CASE_SECONDS, "one side of a moment"):
            value = sp.integrate(h, (v, lo, hi))
        if not value.has(sp.Integral) and value.is_extended_nonnegative is not False:
            return sp.oo if value.has(sp.oo) and not value.is_finite else value
    except (DerivationTimeout, NotImplementedError, ValueError, TypeError):
        pass
    for end, inside in ((lo, 1), (hi, -1)):
        if _diverges_at(h, v, end, inside):
            return sp.oo
    return None


def _tail_exponent(h: sp.Expr, v: sp.Symbol, end: sp.Expr, inside: int) -> sp.Expr | None:
    """p such that the integrand behaves like s^p near ``end`` (approached from the side
    ``inside``), with s -> oo and v = end + inside/s (v = -inside*s at an infinite end), the
    Jacobian included: the limit of log(h |dv/ds|)/log(s). ``oo``/``-oo`` for exponential growth or
    decay; None when sympy cannot take the limit or it is not a real exponent."""
    s = sp.Dummy("s", positive=True)
    at = -inside * s if end.is_infinite else end + inside / s
    H = h.xreplace({v: at}) * sp.Abs(sp.diff(at, s))
    try:
        with time_budget(_CASE_SECONDS, "the tail of a moment"):
            p = sp.limit(sp.expand_log(sp.log(H), force=True) / sp.log(s), s, sp.oo)
    except (DerivationTimeout, NotImplementedError, ValueError, TypeError):
        return None
    if p in (sp.oo, -sp.oo):
        return p
    if not isinstance(p, sp.Expr) or p.is_real is False or p.is_finite is False \
            or p.has(sp.Limit, sp.AccumBounds, sp.Piecewise, sp.nan, sp.zoo, sp.I):
        return None
    return p


def _tail_constant(h: sp.Expr, v: sp.Symbol, end: sp.Expr, inside: int, values: dict) -> sp.Expr | None:
    """lim s·h |dv/ds| at ``end`` with the parameters ``values`` (where the exponent is -1): the
    integral diverges there when this is positive."""
    s = sp.Dummy("s", positive=True)
    at = -inside * s if end.is_infinite else end + inside / s
    H = (h * 1).xreplace(values).xreplace({v: at}) * sp.Abs(sp.diff(at, s))
    try:
        with time_budget(_CASE_SECONDS, "the tail of a moment"):
            return sp.limit(H * s, s, sp.oo)
    except (DerivationTimeout, NotImplementedError, ValueError, TypeError):
        return None


def _diverges_at(h: sp.Expr, v: sp.Symbol, end: sp.Expr, inside: int) -> bool:
    """Is ∫ h dv (h >= 0) infinite near ``end``, approached from the side ``inside``? True when
    the tail exponent p (:func:`_tail_exponent`) is > -1, or = -1 with a positive constant."""
    from covar.univariate.signs import sign_of

    p = _tail_exponent(h, v, end, inside)
    if p is None or p == -sp.oo:
        return False
    if p == sp.oo:
        return True
    if p == -1:
        c = _tail_constant(h, v, end, inside, {})
        return bool(c is not None and (c == sp.oo or c.is_positive))
    return bool(sign_of(sp.cancel(p + 1)) == 1)


def _end_condition(h: sp.Expr, v: sp.Symbol, end: sp.Expr, inside: int) -> sp.Basic | None:
    """The condition on the parameters under which ∫ h dv (h >= 0) is finite near ``end``: the
    tail exponent p < -1 (at p > -1 it diverges by comparison with s^p; at p = -1, solved for a
    parameter, the constant lim s·h must be positive, so it diverges there too). None when
    the exponent or the boundary case cannot be decided."""
    p = _tail_exponent(h, v, end, inside)
    if p is None:
        return None
    if p in (sp.oo, -sp.oo):
        return sp.false if p == sp.oo else sp.true
    finite = sp.Lt(p, -1)
    if finite == sp.true:
        return finite
    if sp.Eq(p, -1) == sp.false:
        return finite
    boundary: list[dict] = []
    if not p.free_symbols:
        boundary = [{}]
    else:
        for sym in sorted(p.free_symbols, key=lambda q: q.name):
            free = sp.Dummy(sym.name, real=True)
            try:
                with time_budget(_CASE_SECONDS, "the boundary of a moment's existence"):
                    roots = sp.solve(sp.Eq(p.xreplace({sym: free}), -1), free)
            except (DerivationTimeout, NotImplementedError, ValueError, TypeError):
                continue
            boundary = [{sym: r} for r in roots if r.is_real is not False]
            break
        else:
            return None
    for values in boundary:
        c = _tail_constant(h, v, end, inside, values)
        if c is None or not (c == sp.oo or c.is_positive):
            return None
    return finite


def _readable(condition: sp.Basic) -> sp.Basic:
    """A condition on one parameter as its solution set, within the parameter's assumptions
    (-1/a < -1 with a > 0 reads a < 1); other conditions as they are."""
    syms = condition.free_symbols
    if len(syms) != 1 or not isinstance(condition, sp.Basic) or condition in (sp.true, sp.false):
        return condition
    sym = next(iter(syms))
    if sym.is_integer:
        return condition
    free = sp.Dummy(sym.name, real=True)
    domain = (sp.Interval.open(0, sp.oo) if sym.is_positive else sp.Interval(0, sp.oo) if sym.is_nonnegative
              else sp.Interval.open(-sp.oo, 0) if sym.is_negative else sp.Interval(-sp.oo, 0)
              if sym.is_nonpositive else sp.Reals)
    try:
        with time_budget(_CASE_SECONDS, "a moment's condition"):
            solved = condition.xreplace({sym: free}).as_set() & domain
            if solved == domain:
                return sp.true
            return solved.as_relational(sym)
    except (DerivationTimeout, NotImplementedError, ValueError, TypeError):
        return condition


def _integral(expr: sp.Expr, x: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    return sp.integrate(expr, (x, lo, hi))


def _convergent_integral(forward: dict, back: dict) -> Integrator:
    """An integrator for the parameters' region where every integral is known to converge:
    the integrand written in the region's symbols (``forward``, so sympy knows their signs),
    integrated without sympy's convergence conditions (through v = e^t first when the integrand
    holds a log and v > 0: a log-normal's powers), and written back in the original parameters."""
    from covar.univariate.cases import _restore
    from covar.univariate.signs import sign_of

    def integral(expr: sp.Expr, x: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
        h, a, b = (e.xreplace(forward) for e in (expr, lo, hi))
        value = _beta_integral(h, x) if (a, b) == (0, 1) else None
        if h.has(sp.log) and sign_of(a) in (0, 1):  # powers of a log-normal-like law: y = e^t
            t = sp.Dummy("t", real=True)
            on_t = sp.powsimp(sp.expand_log(h.xreplace({x: sp.exp(t)}) * sp.exp(t), force=True))
            value = sp.integrate(on_t, (t, -sp.oo if a == 0 else sp.log(a), sp.log(b)), conds="none")
        if value is None or value.has(sp.Integral):
            value = sp.integrate(h, (x, a, b), conds="none")
        return _restore(value, back)

    return integral


def _beta_integral(h: sp.Expr, x: sp.Symbol) -> sp.Expr | None:
    """∫_0^1 C x^p (1 - x)^q dx = C Γ(p+1) Γ(q+1) / Γ(p+q+2) (it converges: p, q > -1), which
    sympy otherwise gives slowly as a hypergeometric function; None for another integrand."""
    coeff, rest = h.as_independent(x, as_Add=False)
    p = q = sp.Integer(0)
    for base, e in sp.powsimp(rest).as_powers_dict().items():
        if e.has(x):
            return None
        if base == x:
            p += e
        elif sp.expand(base - (1 - x)) == 0:
            q += e
        else:
            return None
    return coeff * sp.gamma(p + 1) * sp.gamma(q + 1) / sp.gamma(p + q + 2)


def _input_side(Y: Density, k: int, integral: Integrator = _integral) -> sp.Expr:
    """E[G(X)^k] integrated (summed) against the law Y started from (each integral by
    ``integral``)."""
    from covar.univariate.pieces import support_intervals

    root, G = _root(Y)
    x = root.var
    if root.pdf is None:
        raise NoClosedForm(f"the law {Y.var} comes from has no density expression to integrate")
    atoms = sp.Add(*[G.xreplace({x: a}) ** k * m for a, m in root.atoms.items()])
    law = getattr(Y.derivation, "law", None)
    if Y.discrete and law is not None and law.tail is None:  # finitely many values: sum them
        return sp.Add(*[v ** k * m for v, m in law.points.items()])
    if root.discrete:
        support = root.support
        if isinstance(support, sp.FiniteSet):
            return sp.Add(*[G.xreplace({x: v}) ** k * root.pdf.xreplace({x: v}) for v in support])
        if isinstance(support, sp.Range) and support.step == 1:
            last = support.sup
            return sp.summation(G ** k * root.pdf, (x, support.inf, last))
        raise NoClosedForm(f"moments of a pmf on {support} are not supported")
    d = Y.derivation
    if isinstance(d, Derivation) and d.input is root and d.pieces:  # one map: integrate piece by piece
        terms = []
        for p in d.pieces:
            if p.kind == "constant" and p.value is not None and p.mass is not None:
                terms.append(p.value ** k * p.mass)
            else:
                terms.append(integral(p.g ** k * root.pdf, x, p.interval.start, p.interval.end))
        return sp.Add(*terms) + atoms
    body = root.pdf
    if isinstance(body, sp.Piecewise):
        body = sp.piecewise_fold(body)
    return sp.Add(*[integral(G ** k * body, x, iv.start, iv.end)
                    for iv in support_intervals(root.support)]) + atoms


def _draws(Y: Density, value: sp.Expr) -> list[dict[sp.Symbol, Any]]:
    root, G = _root(Y)
    syms = set(Y.params) | set(root.params) | (G.free_symbols - {root.var}) | value.free_symbols
    syms.discard(Y.var)
    params = sorted(syms, key=lambda s: s.name)
    if not params:
        return [{}]
    draws = parameter_draws(params, n=8, seed=20261130)
    if isinstance(value, sp.Piecewise):  # a few draws inside each branch's region too
        from covar.univariate.cases import draws_within

        earlier: list[sp.Basic] = []
        for _, condition in value.args:
            region = sp.to_dnf(sp.And(condition, *[sp.Not(c) for c in earlier]))
            earlier.append(condition)
            for conjunct in sp.Or.make_args(region):
                rels = sp.And.make_args(conjunct)
                if conjunct != sp.true and all(isinstance(r, sp.core.relational.Relational) for r in rels):
                    draws += draws_within(list(rels), params, 2, seed=20261130)
    return draws


def _quadrature(Y: Density, k: int, named: dict[str, float]) -> float:
    """∫ y^k f_Y + Σ a^k m by quadrature from the derived law (nan when it cannot be evaluated)."""
    from covar.numeric.quadrature import grid_mass
    from covar.univariate.cdf import law_pieces

    if Y.discrete:
        return _pmf_moment(Y, k, named)
    try:
        intervals, atoms = law_pieces(Y, named)
    except ValueError:
        return math.nan
    if not intervals and not atoms:
        return math.nan  # an empty support: these parameter values do not give a law
    f = Y.numpy(backend="numpy")

    def integrand(ts: np.ndarray) -> np.ndarray:
        return ts ** k * np.asarray(f(ts, **named), dtype=float)

    return grid_mass(integrand, intervals) + sum(a ** k * m for a, m in atoms)


def _pmf_moment(Y: Density, k: int, named: dict[str, float]) -> float:
    """Σ y^k p_Y(y) over the images y = G(x) of the input's support points, p_Y the derived pmf."""
    from covar.univariate.cdf import pmf_points

    root, G = _root(Y)
    got = pmf_points(root, named)
    if got is None or not got[2]:
        return math.nan
    xs = got[0]
    g = sp.lambdify(root.var, G.xreplace({s: named[s.name] for s in G.free_symbols if s.name in named}), "numpy")
    with np.errstate(all="ignore"):
        ys = np.unique(np.round(np.broadcast_to(np.asarray(g(xs), dtype=float), xs.shape), 12))
        terms = ys ** k * np.asarray(Y.numpy(backend="numpy")(ys, **named), dtype=float)
    return float(terms.sum()) if np.all(np.isfinite(terms)) else math.nan


def _branch_at(branches: tuple, values: dict) -> int | None:
    """The index of the branch of a Piecewise that applies at the parameter ``values``."""
    for i, (_, condition) in enumerate(branches):
        holds = condition.xreplace(values)
        if holds == sp.true:
            return i
        if holds != sp.false:
            return None
    return None


def _check(Y: Density, k: int, value: sp.Expr) -> str | None:
    """None when every branch of ``value`` that the draws reach agrees with the derived law: a
    finite value with the quadrature of y^k f_Y (two draws per branch, at least one in all), an
    infinite or undefined one with truncated integrals that keep growing."""
    branches = value.args if isinstance(value, sp.Piecewise) else ((value, sp.true),)
    checked = [0] * len(branches)
    for values in _draws(Y, value):
        i = _branch_at(branches, values)
        if i is None or checked[i] >= 2:
            continue
        named = {s.name: float(v) for s, v in values.items()}
        here = branches[i][0].xreplace(values)
        if here in (sp.oo, -sp.oo, sp.nan):
            signs = {sp.oo: (1,), -sp.oo: (-1,), sp.nan: (1, -1)}[here]
            if not all(_grows(Y, k, sign, named) for sign in signs):
                return (f"E[{Y.var}^{k}] = {here} but the truncated integrals of the derived density settle "
                        f"(parameters {named or 'none'})")
            checked[i] += 1
            continue
        got = math.nan if here.has(sp.Integral, sp.Sum) else to_float(here, otherwise=math.nan)
        if not math.isfinite(got):
            continue
        want = _quadrature(Y, k, named)
        if math.isnan(want):
            continue
        if not close(got, want, MOMENT_RTOL * 100, 1e-8):
            return f"E[{Y.var}^{k}] = {got:.10g} but the derived density gives {want:.10g} (parameters {named or 'none'})"
        checked[i] += 1
    finite = [i for i, (e, _) in enumerate(branches) if e not in (sp.oo, -sp.oo, sp.nan)]
    if finite and not any(checked[i] for i in finite):
        return "no parameter draw gave a finite value to check against"
    return None


def _side_parts(Y: Density, k: int, forward: dict | None = None) -> tuple[list, list]:
    """The integrals (integrand, variable, lower, upper) whose sums are E[max(Y^k, 0)] and
    E[max(-Y^k, 0)], over the cells of f_Y split at 0 (parameters written as ``forward``);
    each integrand is >= 0."""
    from covar.univariate.pieces import support_intervals

    if Y.pdf is None or Y.discrete:
        raise NoClosedForm(f"covar cannot decide whether E[{Y.var}^{k}] exists for this law")
    y = Y.var
    d = Y.derivation
    cells = ([(c.interval.start, c.interval.end, c.simplified) for c in d.cells]
             if isinstance(d, Derivation) and d.cells and d.pdf is Y.pdf
             else [(iv.start, iv.end, Y.pdf) for iv in support_intervals(Y.support)])
    if forward:
        cells = [tuple(e.xreplace(forward) for e in cell) for cell in cells]
    pos: list = []
    neg: list = []
    u = sp.Dummy("u", positive=True)
    for lo, hi, f in cells:
        if sp.Lt(lo, 0) is not sp.false:  # the part below 0, written in u = -y > 0 (no logs of negatives)
            a, b = -sp.Min(hi, 0), -lo
            if sp.Le(b, a) is not sp.true:
                (neg if k % 2 else pos).append((u ** k * f.xreplace({y: -u}), u, a, b))
        if sp.Gt(hi, 0) is not sp.false:
            a, b = sp.Max(lo, 0), hi
            if sp.Le(b, a) is not sp.true:
                pos.append((y ** k * f, y, a, b))
    return pos, neg


def _finite_when(side: list) -> sp.Basic | None:
    """The condition on the parameters under which every integral of ``side`` (nonnegative
    integrands) is finite, from the tail exponents at both ends of each; None when undecided."""
    conditions = []
    for h, v, lo, hi in side:
        for end, inside in ((lo, 1), (hi, -1)):
            c = _end_condition(h, v, end, inside)
            if c is None:
                return None
            conditions.append(c)
    return _readable(sp.And(*conditions))


def _value_where(Y: Density, k: int, region: sp.Basic, pos: list, neg: list) -> sp.Expr | None:
    """E[Y^k] in closed form where ``region`` holds (every one-sided integral converges there):
    by E[G(X)^k] against the input law, else from f_Y, each integral under the region's
    substitution; None when neither gives a closed form."""
    from covar.univariate.cases import case_substitution

    forward: dict = {}
    back: dict = {}
    rels = sp.And.make_args(region)
    if region != sp.true and all(isinstance(r, sp.core.relational.Relational) for r in rels):
        try:
            ref = case_substitution(list(rels), {s.name for s in region.free_symbols} | {Y.var.name})
        except CovarError:
            ref = None
        if ref is not None:
            forward, back = ref.forward, ref.back
    integral = _convergent_integral(forward, back)
    for attempt in ("input", "output"):
        try:
            with time_budget(_VALUE_SECONDS, "a moment where it converges"):
                if attempt == "input":
                    value = _input_side(Y, k, integral)
                else:
                    value = (sp.Add(*[integral(h, v, a, b) for h, v, a, b in pos])
                             - sp.Add(*[integral(h, v, a, b) for h, v, a, b in neg])
                             + sp.Add(*[a ** k * m for a, m in Y.atoms.items()]))
        except (DerivationTimeout, NotImplementedError, ValueError, TypeError, NoClosedForm):
            continue
        if _plain(value) and not value.has(sp.Piecewise):
            return value
    return None


def _by_tails(Y: Density, k: int) -> sp.Expr:
    """E[Y^k] as a Piecewise over the parameters: the closed form where both one-sided integrals
    of y^k f_Y converge, ``oo``/``-oo`` where one side diverges, ``nan`` where both do (the
    divergence proved by the tail exponents, :func:`_end_condition`). NoClosedForm when a tail or
    the value where it converges cannot be decided."""
    pos, neg = _side_parts(Y, k)
    up, down = _finite_when(pos), _finite_when(neg)
    value = None
    if up is None or down is None:  # no readable tail: sympy's own values of the two sides, if numbers
        sides = _numeric_sides(Y, k, pos, neg)
        if sides is None:
            raise NoClosedForm(f"covar cannot decide for which parameters E[{Y.var}^{k}] exists: the integrand's "
                               "behaviour at an end of its support has no readable power law; give the parameters "
                               "numbers")
        up, down = (sp.true if side != sp.oo else sp.false for side in sides)
        value = sides[0] - sides[1] if sp.oo not in sides else None
    both = _readable(sp.And(up, down))
    branches = []
    if both != sp.false:
        value = value if value is not None else _value_where(Y, k, both, pos, neg)
        if value is None:
            raise NoClosedForm(f"E[{Y.var}^{k}] is finite when {both}, but covar finds no closed form for it there; "
                               f"Y.to_scipy().moment({k}) gives a numeric value")
        branches.append((tidy(value), both))
    for outcome, condition in ((sp.nan, sp.And(sp.Not(up), sp.Not(down))), (sp.oo, sp.Not(up)), (-sp.oo, sp.true)):
        if branches and branches[-1][1] == sp.true:
            break
        condition = _readable(condition)
        if condition != sp.false:
            branches.append((outcome, condition))
    if branches[-1][1] != sp.true:
        branches[-1] = (branches[-1][0], sp.true)
    return branches[0][0] if len(branches) == 1 else sp.Piecewise(*branches)


def _numeric_sides(Y: Density, k: int, pos: list, neg: list) -> tuple[sp.Expr, sp.Expr] | None:
    """(E[max(Y^k, 0)], E[max(-Y^k, 0)]) as sympy integrates them, when both are numbers or oo."""
    sides = []
    for side in (pos, neg):
        try:
            sides.append(sp.Add(*[sp.integrate(h, (v, a, b)) for h, v, a, b in side]))
        except (NotImplementedError, ValueError, TypeError):
            return None
    for a, m in Y.atoms.items():
        sides[0 if sp.Ge(a ** k, 0) is sp.true else 1] += abs(a) ** k * m
    if all(isinstance(v, sp.Expr) and (v == sp.oo or (v.is_number and v.is_finite)) for v in sides):
        return sides[0], sides[1]
    return None


def _grows(Y: Density, k: int, sign: int, named: dict[str, float]) -> bool:
    """Does ∫ max(sign·y^k, 0) f_Y at the parameters ``named`` diverge numerically: at some end
    of the support (or of a cell, where poles live), is the mass per decade of distance not
    decaying (the decade 1e6..1e7 out, or 1e-7..1e-6 in, holds at least 0.7 times the decade
    1e3..1e4, or 1e-4..1e-3)? A convergent power tail s^p, p < -1.15, fails this; the check
    of a divergence proved from the tail exponents."""
    from covar.numeric.quadrature import segment_masses
    from covar.numeric.sampling import _grid
    from covar.univariate.cdf import law_pieces

    f = Y.numpy(backend="numpy")

    def integrand(ts: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            w = sign * ts ** k
            v = w * np.asarray(f(ts, **named), dtype=float)
        return np.where((w > 0) & np.isfinite(v), v, 0.0)

    try:
        ivs, _ = law_pieces(Y, named)
    except ValueError:
        return False
    for a, b in ivs:
        xs = _grid(a, b)
        lo, hi = xs[:-1], xs[1:]
        masses = segment_masses(integrand, lo, hi, split=1)
        mid = 0.5 * (lo + hi)
        for end, inside in ((a, 1), (b, -1)):
            if math.isfinite(end):  # distance from the end, inwards
                dist = inside * (mid - end)
                early, late = (1e-4, 1e-3), (1e-7, 1e-6)
            else:  # distance from 0, outwards
                dist = -inside * mid
                early, late = (1e3, 1e4), (1e6, 1e7)
            first = float(masses[(dist >= early[0]) & (dist < early[1])].sum())
            last = float(masses[(dist >= late[0]) & (dist < late[1])].sum())
            if not math.isfinite(last) or (last > 0 and last >= 0.7 * first):
                return True
    return False


def moment(Y: Density, k: int) -> sp.Expr:
    """E[Y^k]: a closed form, ``oo``/``-oo`` when it diverges to one side, ``nan`` when undefined.

    >>> import covar
    >>> moment(covar.transform("Exponential(2)", "3*x"), 2)
    9/2
    >>> moment(covar.parse_density("Cauchy(0, 1)"), 1)
    nan
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
        raise CovarError(f"a moment's order is a nonnegative integer, got {k!r}")
    k = int(k)
    if k == 0:
        return sp.Integer(1)
    try:
        with time_budget(MOMENT_BUDGET, f"moment E[{Y.var}^{k}]"):
            try:
                with time_budget(_FIRST_SECONDS, "sympy's own E[g(X)^k]"):
                    value = sp.piecewise_fold(_input_side(Y, k))
            except (DerivationTimeout, NotImplementedError, ValueError, TypeError, NoClosedForm):
                value = sp.nan
            why = None
            if _finite(value):
                try:
                    value = tidy(_resolved(Y, k, value))
                    why = _check(Y, k, value)
                    if why is None:
                        return value
                except NoClosedForm as exc:  # a case left open: decide it from the tails below
                    why = str(exc)
            if Y.discrete:
                raise NoClosedForm(why or f"covar cannot decide whether E[{Y.var}^{k}] exists for this law")
            value = _by_tails(Y, k)
    except (NotImplementedError, ValueError, TypeError) as exc:
        raise NoClosedForm(f"covar cannot derive E[{Y.var}^{k}] in closed form ({type(exc).__name__})") from exc
    failed = _check(Y, k, value)
    if failed is not None:
        raise NoClosedForm(f"the moment E[{Y.var}^{k}] failed verification ({failed})")
    return value


def variance(Y: Density) -> sp.Expr:
    """Var(Y) = E[Y^2] - E[Y]^2: ``nan`` when the mean is not finite, ``oo`` when E[Y^2] is infinite.

    >>> import covar
    >>> variance(covar.parse_density("Uniform(0, 1)"))
    1/12
    """
    m1 = Y.moment(1)
    if m1 is sp.nan or m1.is_infinite:
        return sp.nan
    m2 = Y.moment(2)
    if m2 == sp.oo:
        return sp.oo
    def branches_of(m: sp.Expr) -> tuple:
        return m.args if isinstance(m, sp.Piecewise) else ((m, sp.true),)

    def marked(m: sp.Expr, values: tuple, mark: sp.Dummy) -> sp.Expr:
        if not isinstance(m, sp.Piecewise):
            return m
        return sp.Piecewise(*[(mark if e in values else e, c) for e, c in m.args])

    infinite = (sp.oo, -sp.oo, sp.nan)
    if not any(e in infinite for m in (m1, m2) for e, _ in branches_of(m)):
        return tidy(sp.piecewise_fold(m2 - m1 ** 2))
    # moments that exist for some parameters only: fold the cases, then read each branch
    # (an infinite or undefined mean makes it nan, an infinite E[Y^2] makes it oo)
    bad, big = sp.Dummy("bad"), sp.Dummy("big")
    folded = sp.piecewise_fold(marked(m2, (sp.oo,), big) - marked(m1, infinite, bad) ** 2)
    return sp.Piecewise(*[(sp.nan if e.has(bad) else sp.oo if e.has(big) else tidy(e), _readable(c))
                          for e, c in branches_of(folded)])
