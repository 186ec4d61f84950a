"""Moments E[Y^k] of a law in closed form, from the input law, checked against the derived density.

For Y = g(X) (or a chain of maps), E[Y^k] = E[g(X)^k] is integrated (summed, for a pmf) against
the law X started from, piece by piece of g, plus X's atoms. The value is then checked against
the derived law itself: ∫ y^k f_Y(y) dy + Σ atoms a^k·m by quadrature at parameter draws.

Existence is reported honestly, in sympy's values:

* ``oo`` / ``-oo``: E[Y^k] diverges to one side (E[X^2] of a Cauchy, E[1/U] of a Uniform(0, 1));
* ``nan``: undefined, both E[max(Y^k, 0)] and E[max(-Y^k, 0)] are infinite (a Cauchy's mean).

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

from covar.errors import CovarError, NoClosedForm
from covar.laws.density import Density
from covar.numeric.budget import time_budget
from covar.numeric.verify import close, parameter_draws, to_float
from covar.record import Derivation
from covar.univariate.cdf import tidy

#: seconds of sympy work one moment may spend
MOMENT_BUDGET = 20.0
#: the closed form must match the quadrature of y^k f_Y within this relative tolerance
MOMENT_RTOL = 1e-6


def _root(Y: Density) -> tuple[Density, sp.Expr]:
    """The law the chain of univariate maps started from, and Y as an expression in its variable."""
    law, G = Y, Y.var
    while isinstance(law.derivation, Derivation):
        d = law.derivation
        G = G.xreplace({d.y: d.g})
        law = d.input
    return law, G


def _finite(value: sp.Expr) -> bool:
    """A closed, finite value. An unevaluated integral may remain only as the fallback branch of
    a Piecewise over parameter conditions (where sympy could not decide convergence)."""
    def plain(e: sp.Expr) -> bool:
        return not e.has(sp.oo, -sp.oo, sp.zoo, sp.nan, sp.Integral, sp.Sum)

    if isinstance(value, sp.Piecewise):
        *head, (last, _) = value.args
        return bool(head) and all(plain(e) for e, _ in head) and (plain(last) or last.has(sp.Integral, sp.Sum))
    return plain(value)


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
    return parameter_draws(params, n=8, seed=20261130) if params else [{}]


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
        if math.isnan(got):
            continue  # a parameter condition where the closed form does not apply
        want = _quadrature(Y, k, named)
        if math.isnan(want):
            continue
        if not close(got, want, MOMENT_RTOL * 100, 1e-8):
            return f"E[{Y.var}^{k}] = {got:.10g} but the derived density gives {want:.10g} (parameters {named or 'none'})"
        checked += 1
        if checked == 2:
            return None
    return None if checked else "no parameter draw gave a finite value to check against"


def _sides(Y: Density, k: int) -> tuple[sp.Expr, sp.Expr]:
    """(E[max(Y^k, 0)], E[max(-Y^k, 0)]) integrated by sympy over the cells of f_Y split at 0."""
    from covar.univariate.pieces import support_intervals

    if Y.pdf is None or Y.discrete:
        raise NoClosedForm(f"covar cannot decide whether E[{Y.var}^{k}] exists for this law")
    y = Y.var
    d = Y.derivation
    cells = ([(c.interval.start, c.interval.end, c.simplified) for c in d.cells]
             if isinstance(d, Derivation) and d.cells and d.pdf is Y.pdf
             else [(iv.start, iv.end, Y.pdf) for iv in support_intervals(Y.support)])
    pos: list[sp.Expr] = []
    neg: list[sp.Expr] = []
    u = sp.Dummy("u", positive=True)
    for lo, hi, f in cells:
        if sp.Lt(lo, 0) is not sp.false:  # the part below 0, written in u = -y > 0 (no logs of negatives)
            a, b = -sp.Min(hi, 0), -lo
            if sp.Le(b, a) is not sp.true:
                part = sp.integrate(u ** k * f.xreplace({y: -u}), (u, a, b))
                (neg if k % 2 else pos).append(part)
        if sp.Gt(hi, 0) is not sp.false:
            a, b = sp.Max(lo, 0), hi
            if sp.Le(b, a) is not sp.true:
                pos.append(sp.integrate(y ** k * f, (y, a, b)))
    for a, m in Y.atoms.items():
        (pos if sp.Ge(a ** k, 0) is sp.true else neg).append(abs(a) ** k * m)
    return sp.Add(*pos), sp.Add(*neg)


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
                value = tidy(value)
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
    return tidy(sp.piecewise_fold(m2 - m1 ** 2))
