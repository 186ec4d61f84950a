"""Critical points of g found and certified numerically, for maps whose g' = 0 sympy cannot solve.

The zeros of g' are bracketed by sign changes on a grid, refined by bisection (mpmath, 30
digits), and *certified* with interval arithmetic: every grid cell without a sign change is
shown to hold no zero (g' bounded away from 0 there), every cell with one is shown to hold
exactly one (g'' bounded away from 0 there), and on an unbounded support the tails beyond the
window are shown to keep one sign of g'. Anything that cannot be certified is refused with a
message that says so; nothing is guessed.

>>> x = sp.Symbol("x", real=True)
>>> [round(float(p), 6) for p in certified_critical_points(4*x**3 + sp.cos(x), x, -sp.oo, sp.oo)]
[-0.591985]
"""
from __future__ import annotations

from typing import Any, Callable

import mpmath
import sympy as sp

from covar.errors import DerivationTimeout, UnsupportedTransform
from covar.numeric.budget import time_budget

_iv = mpmath.iv
_GRID = 400  # cells of the first grid over the window
_DEPTH = 12  # halvings of a cell that interval arithmetic may ask for
_WINDOWS = (2, 4, 8, 16, 32, 64)  # half-widths tried for the window of an unbounded support
_SLACK = mpmath.mpf("1e-25")  # outward rounding of monotone functions evaluated at 30 digits


class _Unbounded(Exception):
    """Interval arithmetic cannot bound this expression on this interval."""


def _monotone(f: Callable, increasing: bool) -> Callable:
    def on(box):
        a, b = box.a, box.b  # the ends, each a point interval
        with mpmath.workdps(30):
            fa, fb = f(mpmath.mpf(a.a)), f(mpmath.mpf(b.b))
        lo, hi = (fa, fb) if increasing else (fb, fa)
        return _iv.mpf([lo - _SLACK * (1 + abs(lo)), hi + _SLACK * (1 + abs(hi))])
    return on


_FUNCTIONS: dict[type, Callable] = {
    sp.exp: _iv.exp, sp.log: _iv.log, sp.sin: _iv.sin, sp.cos: _iv.cos,
    sp.erf: _monotone(mpmath.erf, True), sp.erfc: _monotone(mpmath.erfc, False),
    sp.atan: _monotone(mpmath.atan, True), sp.tanh: _monotone(mpmath.tanh, True),
    sp.asinh: _monotone(mpmath.asinh, True), sp.sinh: _monotone(mpmath.sinh, True),
}


def _interval(expr: sp.Expr, x: sp.Symbol, box: Any) -> Any:
    """An interval enclosing expr(t) for every t in ``box`` (raises _Unbounded when unsure)."""
    if expr == x:
        return box
    if expr.is_Number or expr.is_NumberSymbol:
        with mpmath.workdps(40):
            v = mpmath.mpf(sp.N(expr, 40))
        return _iv.mpf([v - _SLACK * (1 + abs(v)), v + _SLACK * (1 + abs(v))])
    if isinstance(expr, sp.Add):
        total = _iv.mpf(0)
        for a in expr.args:
            total = total + _interval(a, x, box)
        return total
    if isinstance(expr, sp.Mul):
        args, total = _scaled_erfc(list(expr.args), x, box)
        for a in args:
            total = total * _interval(a, x, box)
        return total
    if isinstance(expr, sp.Pow):
        base = _interval(expr.base, x, box)
        if expr.exp.is_Integer:
            n = int(expr.exp)
            if n < 0:
                if base.a <= 0 <= base.b:
                    raise _Unbounded
                return 1 / base ** (-n)
            return base ** n
        if expr.exp == sp.Rational(1, 2):
            if base.a < 0:
                raise _Unbounded
            return _iv.sqrt(base)
        if base.a <= 0:
            raise _Unbounded
        return _iv.exp(_interval(expr.exp, x, box) * _iv.log(base))
    f = _FUNCTIONS.get(type(expr))
    if f is None or len(expr.args) != 1:
        raise _Unbounded
    inner = _interval(expr.args[0], x, box)
    if isinstance(expr, sp.log) and inner.a <= 0:
        raise _Unbounded
    return f(inner)


def _erfc_argument(factor: sp.Expr) -> sp.Expr | None:
    """z when ``factor`` is erfc(z), written as erfc(z), 1 + erf(-z) or 1 - erf(z); else None."""
    if isinstance(factor, sp.erfc):
        return factor.args[0]
    if isinstance(factor, sp.Add) and len(factor.args) == 2 and sp.S.One in factor.args:
        (other,) = [a for a in factor.args if a != 1]
        if isinstance(other, sp.erf):
            return -other.args[0]
        if isinstance(-other, sp.erf):
            return (-other).args[0]
    return None


def _erfcx(z: mpmath.mpf) -> mpmath.mpf:
    if z == mpmath.inf:
        return mpmath.mpf(0)
    if z == -mpmath.inf:
        return mpmath.inf
    return mpmath.erfc(z) * mpmath.exp(z * z)


def _scaled_erfc(args: list, x: sp.Symbol, box: Any) -> tuple[list, Any]:
    """exp(z**2)*erfc(z) taken out of a product as one bounded, decreasing factor erfcx(z):
    apart, exp(z**2) overflows where erfc(z) underflows (the normal tail of GELU's g')."""
    for e in args:
        if not isinstance(e, sp.exp):
            continue
        for f in args:
            z = _erfc_argument(f)
            if z is not None and sp.expand(e.args[0] - z**2) == 0:
                rest = list(args)
                rest.remove(e)
                rest.remove(f)
                inner = _interval(z, x, box)
                with mpmath.workdps(30):
                    lo, hi = _erfcx(mpmath.mpf(inner.b)), _erfcx(mpmath.mpf(inner.a))
                return rest, _iv.mpf([lo * (1 - _SLACK), hi * (1 + _SLACK)])
    return args, _iv.mpf(1)


def _strict_sign(expr: sp.Expr, x: sp.Symbol, a, b) -> int:
    """The sign of expr on [a, b]: a product's sign is the product of its factors' signs (an
    exponential is positive even where interval arithmetic rounds it to 0)."""
    if isinstance(expr, sp.exp):
        return 1
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer:
        s = _strict_sign(expr.base, x, a, b)
        return s ** int(abs(expr.exp)) if expr.exp != 0 else 1
    if isinstance(expr, sp.Mul):
        total = 1
        for f in expr.args:
            total *= _strict_sign(f, x, a, b)
            if total == 0:
                return 0
        return total
    found = _sign_on(expr, x, a, b)
    if found == 0 and isinstance(expr, sp.Add) and expr.has(sp.exp):
        # terms sharing an exponential, collected: exp(z**2)*(1 + erf(-z)) can then be bounded
        collected = sp.Add(*[sp.factor_terms(t) for t in sp.collect(expr, list(expr.atoms(sp.exp)),
                                                                       evaluate=False).items()
                             for t in [t[0] * t[1]]])
        if collected != expr:
            found = _sign_on(collected, x, a, b)
    return found


def _sign_on(expr: sp.Expr, x: sp.Symbol, a, b) -> int:
    """+1 or -1 when interval arithmetic proves expr keeps that sign on [a, b]; 0 when unsure."""
    try:
        with mpmath.workdps(30):
            v = _interval(expr, x, _iv.mpf([a, b]))
    except (_Unbounded, ZeroDivisionError, ValueError):
        return 0
    if not (mpmath.isfinite(v.a) or mpmath.isfinite(v.b)):
        return 0
    if v.a > 0:
        return 1
    if v.b < 0:
        return -1
    return 0


def _no_zero(dg: sp.Expr, x: sp.Symbol, a, b, depth: int = 0) -> bool:
    """Is dg free of zeros on [a, b]? (proved by interval arithmetic, halving up to _DEPTH)."""
    if _strict_sign(dg, x, a, b):
        return True
    if depth >= _DEPTH:
        return False
    m = (a + b) / 2
    return _no_zero(dg, x, a, m, depth + 1) and _no_zero(dg, x, m, b, depth + 1)


def _window(dg: sp.Expr, x: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> tuple[mpmath.mpf, mpmath.mpf]:
    """A finite window [a, b] of (lo, hi) beyond which dg provably keeps one sign."""
    for r in _WINDOWS:
        a = mpmath.mpf(sp.N(lo, 30)) if lo.is_finite else mpmath.mpf(-r)
        b = mpmath.mpf(sp.N(hi, 30)) if hi.is_finite else mpmath.mpf(r)
        if not a < b:
            continue
        left = lo.is_finite or _strict_sign(dg, x, mpmath.mpf("-inf"), a) != 0
        right = hi.is_finite or _strict_sign(dg, x, b, mpmath.mpf("inf")) != 0
        if left and right:
            return a, b
    raise UnsupportedTransform(
        f"cannot certify where g' = {dg} changes sign on ({lo}, {hi}): interval arithmetic cannot "
        f"bound it beyond x = ±{_WINDOWS[-1]}; restrict the support to a bounded interval"
    )


def certified_critical_points(dg: sp.Expr, x: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> list[sp.Float]:
    """The zeros of g' = ``dg`` inside (lo, hi) where g' changes sign, each certified unique in
    its bracket; refuses (UnsupportedTransform) when dg has parameters or cannot be certified."""
    if dg.free_symbols - {x}:
        raise UnsupportedTransform(
            f"cannot find where g' = {dg} changes sign: it has parameters, and sympy cannot solve "
            "g' = 0; give numeric parameter values"
        )
    a, b = _window(dg, x, lo, hi)
    d2g = sp.diff(dg, x)
    f = sp.lambdify(x, dg, "mpmath")
    roots: list[sp.Float] = []
    with mpmath.workdps(30):
        edges = [a + (b - a) * k / _GRID for k in range(_GRID + 1)]
        inner = edges[1:-1]
        signs = []
        for t in inner:
            v = f(t)
            if not (mpmath.isfinite(v) and mpmath.im(v) == 0):
                raise UnsupportedTransform(
                    f"g' = {dg} is undefined or not real at x = {mpmath.nstr(t, 8)} inside ({lo}, {hi}); "
                    "cannot locate where g turns")
            signs.append(mpmath.sign(mpmath.re(v)))
        # cells between grid points; the two outer cells touch the support's open ends
        for k, (s, e) in enumerate(zip(edges, edges[1:])):
            left = signs[k - 1] if k > 0 else None
            right = signs[k] if k < len(signs) else None
            if left is not None and right is not None and left * right < 0:
                if _strict_sign(d2g, x, s, e) == 0:
                    raise UnsupportedTransform(
                        f"g' = {dg} changes sign in [{mpmath.nstr(s, 8)}, {mpmath.nstr(e, 8)}] but "
                        "covar cannot certify a single zero there (g'' may vanish too)")
                root = mpmath.findroot(lambda t: mpmath.re(f(t)), (s, e), solver="anderson")
                if not s <= root <= e:
                    root = mpmath.findroot(lambda t: mpmath.re(f(t)), (s, e), solver="bisect")
                roots.append(sp.Float(root, 30))
                continue
            if not _no_zero(dg, x, s, e):
                raise UnsupportedTransform(
                    f"cannot certify that g' = {dg} has no zero in [{mpmath.nstr(s, 8)}, {mpmath.nstr(e, 8)}]; "
                    "covar refuses rather than risk a missed turning point")
    return roots


_SOLVE_SECONDS = 2.0
_TWIN = sp.Float("1e-20")


def exact_forms(roots: list[sp.Float], dg: sp.Expr, x: sp.Symbol) -> list[sp.Expr]:
    """Each certified root replaced by a closed form that ``sympy.solve`` finds for g' = 0 and
    that agrees with it to 20 digits (swish's turning point is -1 - W(1/e)); the certified
    roots decide how many there are and where, so a root solve misses stays a float.

    >>> x = sp.Symbol("x", real=True)
    >>> dg = sp.diff(x / (1 + sp.exp(-x)), x)
    >>> exact_forms(certified_critical_points(dg, x, sp.S(-10), sp.S(10)), dg, x)
    [-1 - LambertW(exp(-1))]
    """
    if not roots:
        return []
    try:
        with time_budget(_SOLVE_SECONDS, "solving g' = 0 exactly"):
            candidates = [c for c in sp.solve(sp.numer(sp.together(dg)), x) if c.is_number]
    except (DerivationTimeout, NotImplementedError, ValueError, TypeError):
        return list(roots)
    out: list[sp.Expr] = []
    for r in roots:
        twins = [c for c in candidates if _twins(c, r)]
        out.append(twins[0] if len(twins) == 1 else r)
    return out


def _twins(c: sp.Expr, r: sp.Float) -> bool:
    """Is the closed form c real (as far as sympy knows) and within 1e-20 of the root r? A
    value that is nan or not comparable is no twin."""
    if c.is_extended_real is False:
        return False
    gap = abs(sp.N(c - r, 30))
    return bool(gap.is_number and gap.is_finite and (gap < _TWIN) is sp.true)

