"""Periodic maps on unbounded supports (sin, cos, tan of a Gamma, Exponential or Normal).

g has period T, so g(X) = g(W) with W = X reduced modulo T into one window (c, c + T); W has
the wrapped density f_W(w) = Σ_n f_X(w + nT), an infinite sum over the branches of g. Where
sympy sums the series (under a time budget) the law of g(W) is derived in closed form as for
any map; otherwise the series is summed numerically to a tail below 1e-15 and the result is
an honest numeric-only law. Either way the record's input is X itself, so the gate checks the
result against samples of g(X).
"""
from __future__ import annotations

import math
from dataclasses import replace

import mpmath
import sympy as sp

from covar.errors import CovarError, DerivationTimeout, UnsupportedTransform
from covar.laws.density import Density
from covar.numeric.budget import time_budget
from covar.record import Derivation, Label, Note, note_words
from covar.univariate.pieces import as_floors, monotone_pieces, support_intervals

_SUM_SECONDS = 5.0  # sympy's summation of the wrapped series, before falling back to numbers
_TAIL = 1e-15  # probability left out of a numerically summed series


def _period(g: sp.Expr, x: sp.Symbol) -> sp.Expr | None:
    """g's numeric period; fractional parts (frac(x), x - floor(x)) count as the Mod they are,
    which sympy's periodicity knows."""
    from covar.univariate.lattice import fractional_map

    whole = fractional_map(g, x)
    if whole is not None:
        a, b, c = whole
        g = sp.Mod(a * x + b, c)
    try:
        period = sp.periodicity(g.replace(sp.frac, lambda q: sp.Mod(q, 1)), x)
    except (NotImplementedError, ValueError):
        return None
    if period is None or not period.is_number or not (period.is_positive is True):
        return None
    return period


def is_periodic_case(X: Density, g: sp.Expr) -> bool:
    """Is g periodic with a numeric period, and X's support one interval unbounded on a side?

    >>> from covar.text.inputs import parse_density
    >>> X = parse_density("Exponential(1)")
    >>> is_periodic_case(X, sp.sin(X.var)), is_periodic_case(X, X.var**2)
    (True, False)
    """
    if X.pdf is None or X.atoms or not g.has(X.var):
        return False
    parts = support_intervals(X.support)
    if len(parts) != 1 or (parts[0].start.is_finite and parts[0].end.is_finite):
        return False
    return _period(g, X.var) is not None


def _window(support: sp.Interval, period: sp.Expr) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """The window's left end c and the range of shifts n (x = w + n*period, w in (c, c + period))."""
    if support.start.is_finite:
        return support.start, sp.Integer(0), sp.oo
    if support.end.is_finite:
        return support.end - period, -sp.oo, sp.Integer(0)
    return sp.Integer(0), -sp.oo, sp.oo


def _geometric(term: sp.Expr, n: sp.Symbol) -> tuple[sp.Expr, dict]:
    """``term`` with each exp(k*n + b) written r**n * exp(b), r a positive placeholder for
    exp(k): sympy sums r**n (and n*r**n, ...) but not exp(k*n)."""
    ratios: dict = {}

    def split(e: sp.Expr) -> sp.Expr:
        out = sp.Integer(1)
        for part in sp.Add.make_args(sp.expand(e.args[0])):
            k = part.coeff(n) if part.has(n) else None
            if k is not None and not k.has(n) and sp.expand(part - k * n) == 0:
                r = ratios.setdefault(sp.exp(k), sp.Dummy("r", positive=True))
                out *= r ** n
            else:
                out *= sp.exp(part)
        return out

    return term.replace(lambda e: isinstance(e, sp.exp) and e.has(n), split), ratios


def _converges(ratios: dict, first: sp.Expr, last: sp.Expr) -> bool:
    """Do the geometric factors exp(k)**n shrink in the direction(s) n runs to infinity?"""
    from covar.univariate.signs import sign_of

    for e in ratios:
        k = e.args[0]
        if (last == sp.oo and sign_of(k) != -1) or (first == -sp.oo and sign_of(k) != 1):
            return False
    return True


def _resolved(total: sp.Expr, back: dict) -> sp.Expr | None:
    """The sum with the ratios put back; of sympy's Piecewise over |r| < 1 the convergent case
    (the caller has shown every ratio is below 1)."""
    if total.has(sp.Piecewise):
        total = sp.piecewise_fold(total)
        if not isinstance(total, sp.Piecewise):
            return None
        total = total.args[0][0]
    return total.xreplace(back)


def _closed_sum(fx: sp.Expr, x: sp.Symbol, period: sp.Expr, first: sp.Expr, last: sp.Expr) -> sp.Expr | None:
    """Σ_n fx(x + n*period) over first <= n <= last in closed form, or None."""
    if fx.has(sp.Piecewise, sp.Abs, sp.sign, sp.Heaviside):
        return None
    n = sp.Dummy("n", integer=True)
    term, ratios = _geometric(fx.subs(x, x + n * period), n)
    if term.has(sp.exp) and any(e.has(n) for e in term.atoms(sp.exp)):
        return None  # n inside an exponential non-linearly (a normal): a theta function
    if not _converges(ratios, first, last):
        return None
    try:
        with time_budget(_SUM_SECONDS, "summation of the wrapped series"):
            total = _resolved(sp.summation(term, (n, first, last)), {r: e for e, r in ratios.items()})
            if total is None or total.has(sp.Sum, sp.Piecewise):
                return None
            total = sp.simplify(total)
    except (DerivationTimeout, NotImplementedError, ValueError):
        return None
    if total.has(sp.nan, sp.zoo, sp.oo, sp.I):
        return None
    return total


def _truncated_sum(X: Density, period: sp.Expr, first: sp.Expr, last: sp.Expr) -> sp.Expr:
    """Σ f_X(x + n*period) over the shifts that carry all but _TAIL of X's probability."""
    x, fx = X.var, X.pdf
    if fx is None or fx.free_symbols - {x}:
        raise UnsupportedTransform(
            "the wrapped series of this periodic map has no closed form and the law has "
            "parameters; give numeric parameter values to evaluate it numerically")
    f = sp.lambdify(x, fx, "mpmath")
    reach = float(period)
    while reach < 1e6:
        with mpmath.workdps(20):
            tail = mpmath.quad(f, [reach, mpmath.inf]) if last == sp.oo else 0
            tail += mpmath.quad(f, [-mpmath.inf, -reach]) if first == -sp.oo else 0
        if abs(tail) < _TAIL:
            break
        reach *= 2
    else:
        raise UnsupportedTransform("the wrapped series of this periodic map converges too slowly to sum")
    count = math.ceil(reach / float(period)) + 1
    n = sp.Symbol("n", integer=True)
    lo = max(-count, -10**6) if first == -sp.oo else int(first)
    hi = count if last == sp.oo else int(last)
    return sp.Sum(fx.subs(x, x + n * period), (n, lo, hi))


def derive_periodic(X: Density, g: sp.Expr, y: sp.Symbol, why: CovarError) -> Density:
    """The law of g(X) for periodic g, through X wrapped into one period (``why``: the refusal
    of the direct analysis, kept for the message when this fails too)."""
    from covar.univariate.cells import _numeric_only, derive_univariate

    x, fx = X.var, X.pdf
    period = _period(g, x)
    if period is None or fx is None:
        raise why
    (support,) = support_intervals(X.support)
    c, first, last = _window(support, period)
    window = sp.Interval.open(c, c + period)
    shifts = "n = 0, 1, 2, ..." if first == 0 else ("n = 0, -1, -2, ..." if last == 0 else "every integer n")
    wrapped = _closed_sum(fx, x, period, first, last)
    if wrapped is not None:
        W = Density(wrapped, x, window, validate=False)
        result = derive_univariate(W, g, y)
        how: Note = ("summed in closed form: ", sp.Eq(sp.Function("f_W")(x), wrapped, evaluate=False))
    else:
        truncated = _truncated_sum(X, period, first, last)
        W = Density(truncated, x, window, validate=False)
        breakpoints, raw = monotone_pieces(g, truncated, x, window)
        result = _numeric_only(W, as_floors(g), y, breakpoints, raw, (
            "the series ", Label(f"Σₙ f_X({x} + n·{sp.pretty(period, use_unicode=True)})",
                                 rf"\sum_n f_X\left({sp.latex(x)} + n {sp.latex(period)}\right)"),
            " has no closed form that sympy finds."))
        how = ("summed numerically over ", sp.Le(sp.Abs(sp.Symbol("n")), truncated.limits[0][2], evaluate=False),
               f" (the rest carries less than {_TAIL:g} of the probability)")
    n = sp.Symbol("n", integer=True)
    wrapped_rule = Label(f"f_W(w) = Σₙ f_X(w + n·{sp.pretty(period, use_unicode=True)})",
                         rf"f_W(w) = \sum_n f_X\left(w + n {sp.latex(period)}\right)")
    note: Note = ("g has period ", period, ", so g(X) = g(W) with W = X reduced modulo ", period, " into ", window,
                  "; each piece below stands for all its shifts ", x + n * period, f" ({shifts}), and f_X in each term "
                  "is the wrapped density ", wrapped_rule, ", ", *how, ".")
    derivation = result.derivation
    if not isinstance(derivation, Derivation):
        raise RuntimeError("a univariate derivation without its record")  # a covar bug
    # the notes about W's support speak of the window, not of X
    kept = tuple(k for k in derivation.notes if not note_words(k).startswith(("f_X = 0 on", f"No {x} in the support")))
    record = replace(derivation, input=X, notes=(note, *kept))
    return replace(result, derivation=record)
