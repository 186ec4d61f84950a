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
integral there, or by the tail exponent of the integrand at each end of a cell (a power
y^p with p > -1 at infinity diverges). The answer is a Piecewise over the parameter, or
NoClosedForm when a case stays open: an unevaluated Integral is never returned as a moment.

A divergence is decided from the two one-sided integrals over the cells of f_Y (split at 0),
each of which sympy must evaluate, and confirmed numerically (the truncated integral keeps
growing). When covar cannot derive a moment it raises :class:`covar.errors.NoClosedForm`
(``Y.to_scipy().mean()`` gives a numeric value).
"""
from __future__ import annotations

import math
from typing import Any

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


def _diverges_at(h: sp.Expr, v: sp.Symbol, end: sp.Expr, inside: int) -> bool:
    """Is ∫ h dv infinite near ``end`` (approached from the side ``inside``)? With s -> oo and
    v = end + inside/s (or v = inside*s at an infinite end), the integrand in s behaves like s^p:
    the integral diverges when p > -1 (p = -1 is left undecided)."""
    s = sp.Dummy("s", positive=True)
    at = inside * s if end.is_infinite else end + inside / s
    H = h.xreplace({v: at}) * sp.Abs(sp.diff(at, s))
    try:
        with time_budget(_CASE_SECONDS, "the tail of a moment"):
            p = sp.limit(sp.expand_log(sp.log(H), force=True) / sp.log(s), s, sp.oo)
        if p == -1:  # H ~ C/s: the integral diverges when C = lim s*H is positive
            p = sp.oo if sp.limit(H * s, s, sp.oo).is_positive else p
    except (DerivationTimeout, NotImplementedError, ValueError, TypeError):
        return False
    if p == sp.oo:
        return True
    from covar.univariate.signs import sign_of

    return bool(p.is_real is not False and p.is_finite is not False and sign_of(sp.cancel(p + 1)) == 1)


def _integral(expr: sp.Expr, x: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    return sp.integrate(expr, (x, lo, hi))


def _input_side(Y: Density, k: int) -> sp.Expr:
    """E[G(X)^k] integrated (summed) against the law Y started from."""
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
                terms.append(_integral(p.g ** k * root.pdf, x, p.interval.start, p.interval.end))
        return sp.Add(*terms) + atoms
    body = root.pdf
    if isinstance(body, sp.Piecewise):
        body = sp.piecewise_fold(body)
    return sp.Add(*[_integral(G ** k * body, x, iv.start, iv.end)
                    for iv in support_intervals(root.support)]) + atoms


def _draws(Y: Density, value: sp.Expr) -> list[dict[sp.Symbol, Any]]:
    root, G = _root(Y)
    syms = set(Y.params) | set(root.params) | (G.free_symbols - {root.var}) | value.free_symbols
    syms.discard(Y.var)
    params = sorted(syms, key=lambda s: s.name)
    if not params:
        return [{}]
    draws = parameter_draws(params, n=8, seed=20261130)
    if isinstance(value, sp.Piecewise):  # a few draws inside each branch's condition too
        from covar.univariate.cases import draws_within

        for _, condition in value.args:
            rels = sp.And.make_args(condition)
            if condition != sp.true and all(isinstance(r, sp.core.relational.Relational) for r in rels):
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
    f = Y.numpy()

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
        terms = ys ** k * np.asarray(Y.numpy()(ys, **named), dtype=float)
    return float(terms.sum()) if np.all(np.isfinite(terms)) else math.nan


def _check(Y: Density, k: int, value: sp.Expr) -> str | None:
    """None when ``value`` matches the quadrature of the derived law at two usable draws."""
    checked = 0
    for values in _draws(Y, value):
        named = {s.name: float(v) for s, v in values.items()}
        here = value.xreplace(values)
        got = math.nan if here.has(sp.Integral, sp.Sum) else to_float(here, otherwise=math.nan)
        if not math.isfinite(got):
            continue  # a parameter condition where the moment is infinite or undefined
        want = _quadrature(Y, k, named)
        if math.isnan(want):
            continue
        if not close(got, want, MOMENT_RTOL * 100, 1e-8):
            return f"E[{Y.var}^{k}] = {got:.10g} but the derived density gives {want:.10g} (parameters {named or 'none'})"
        checked += 1
        if checked == 2:
            return None
    return None if checked else "no parameter draw gave a finite value to check against"


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


def _sides(Y: Density, k: int) -> tuple[sp.Expr, sp.Expr]:
    """(E[max(Y^k, 0)], E[max(-Y^k, 0)]) integrated by sympy over the cells of f_Y split at 0."""
    pos, neg = _side_parts(Y, k)
    sides = [sp.Add(*[sp.integrate(h, (v, a, b)) for h, v, a, b in side]) for side in (pos, neg)]
    for a, m in Y.atoms.items():
        sides[0 if sp.Ge(a ** k, 0) is sp.true else 1] += abs(a) ** k * m
    return sides[0], sides[1]


def _grows(Y: Density, k: int, sign: int) -> bool:
    """Does the truncated integral of max(sign·y^k, 0) f_Y keep growing (numerical sanity check
    of a divergence that sympy reports)?"""
    from covar.numeric.quadrature import continuous_mass
    from covar.univariate.pieces import support_intervals

    if Y.params:
        return True  # the symbolic verdict stands; the draws cannot pin one law
    f = Y.numpy()

    def integrand(t: float) -> float:
        with np.errstate(all="ignore"):
            v = float(np.asarray(f(np.array([t])), dtype=float)[0])
        w = sign * t ** k
        return w * v if math.isfinite(v) and w > 0 else 0.0

    ivs = [(to_float(iv.start), to_float(iv.end)) for iv in support_intervals(Y.support)]

    def upto(R: float, eps: float) -> float:
        parts = [(max(a, -R), min(b, R)) for a, b in ivs]
        # cut out (c - eps, c + eps) around finite ends and 0, where poles of y^k f_Y live
        cuts = []
        for a, b in parts:
            lo, hi = a + (eps if a > -R else 0.0), b - (eps if b < R else 0.0)
            if 0.0 > lo and 0.0 < hi:
                cuts += [(lo, -eps), (eps, hi)]
            elif lo < hi:
                cuts.append((lo, hi))
        return continuous_mass(integrand, cuts)

    small, large = upto(1e3, 1e-3), upto(1e6, 1e-6)
    return bool(large > 1.2 * small + 1e-9 or not math.isfinite(large))


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
                value = sp.piecewise_fold(_input_side(Y, k))
            except (NotImplementedError, ValueError, TypeError, NoClosedForm):
                value = sp.nan
            if _finite(value):
                value = tidy(_resolved(Y, k, value))
                why = _check(Y, k, value)
                if why is None:
                    return value
                raise NoClosedForm(f"the moment E[{Y.var}^{k}] failed verification ({why})")
            pos, neg = _sides(Y, k)
    except (NotImplementedError, ValueError, TypeError) as exc:
        raise NoClosedForm(f"covar cannot derive E[{Y.var}^{k}] in closed form ({type(exc).__name__})") from exc
    if not all(isinstance(v, sp.Expr) and (v.is_number or v in (sp.oo,)) for v in (pos, neg)) \
            or any(v.has(sp.Integral, sp.nan) for v in (pos, neg)):
        raise NoClosedForm(f"covar cannot decide whether E[{Y.var}^{k}] exists: the one-sided integrals "
                           f"are {pos} and {neg}")
    up, down = pos == sp.oo, neg == sp.oo
    if (up and not _grows(Y, k, 1)) or (down and not _grows(Y, k, -1)):
        raise NoClosedForm(f"sympy reports E[{Y.var}^{k}] as divergent but the truncated integrals settle")
    if up and down:
        return sp.nan
    if up:
        return sp.oo
    if down:
        return -sp.oo
    value = tidy(pos - neg)
    why = _check(Y, k, value)
    if why is not None:
        raise NoClosedForm(f"the moment E[{Y.var}^{k}] failed verification ({why})")
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
    return sp.Piecewise(*[(sp.nan if e.has(bad) else sp.oo if e.has(big) else tidy(e), c)
                          for e, c in branches_of(folded)])
