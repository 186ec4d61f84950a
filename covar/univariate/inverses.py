"""Stage 3: on each monotone piece, the inverse h = g^{-1}, the image interval and |h'(y)|.

Candidate roots of g(x) = y come from sympy's ``solve``, widened by the branch variants solve
leaves out (real odd roots, the other LambertW branch, shifts by g's period). Each candidate is
*checked* at several y inside the image and several parameter draws: it must be real, lie in
the piece and satisfy g(h(y)) = y. Exactly one distinct survivor is required.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import sympy as sp

from covar.errors import NoClosedFormInverse, UnsupportedTransform
from covar.univariate.simplify import lambert_exponentials
from covar.text.values import as_expression
from covar.numeric.verify import close, interior_samples, parameter_draws, to_float

_TOL = 1e-9


@dataclass(frozen=True)
class Inverse:
    """The checked inverse on one piece, its signed derivative sign, and rejected candidates."""

    h: sp.Expr
    jacobian: sp.Expr  # |h'(y)|, written with the known sign instead of Abs
    rejected: tuple[sp.Expr, ...]


_NOT_A_VALUE = (sp.AccumBounds, sp.Limit)


def _usable_end(value: sp.Expr) -> bool:
    """A value that may be an interval end: a real number or +-oo, or a real symbolic expression;
    never nan, zoo, a complex number, an AccumBounds or an unevaluated Limit."""
    if value.has(sp.nan, sp.zoo, *_NOT_A_VALUE) or value.has(sp.I):
        return False
    if value in (sp.oo, -sp.oo):
        return True
    return value.is_extended_real is not False and value.is_finite is not False


def _evaluated(e: sp.Basic) -> sp.Basic:
    """``e`` rebuilt with sympy's evaluation at every node: radsimp leaves unevaluated products
    (E*sqrt(1 + e**2)/(1 + e**2)) that a record read back from JSON would write differently."""
    if e.is_Atom:
        return e
    return e.func(*(_evaluated(a) for a in e.args))


def _continuous_at(g: sp.Expr, x: sp.Symbol, at: sp.Expr) -> sp.Expr | None:
    """g(at) when every subexpression of g is finite and real at ``at`` (so g is continuous
    there and the one-sided limits are g(at)); None when any part blows up or is undefined.

    The value is built from the inside out with each algebraic number in lowest terms, so that
    Max(11/4, r + 1/r) at a root r of x + 1/x = 11/4 is 11/4, not one of two equal forms that
    sympy cannot order.
    """
    def value(node: sp.Basic) -> sp.Basic | None:
        if not node.has(x):
            return node
        if node == x:
            return at
        args = [value(a) for a in node.args]
        if any(a is None for a in args):
            return None
        v = node.func(*args)
        if v.is_infinite or not _usable_end(v) or v.is_finite is not True:
            return None
        if v.is_number and not v.is_Atom and v.has(sp.Pow) and not v.has(sp.Float):
            v = _evaluated(sp.radsimp(v))
        return v

    return value(g) if g.has(x) else None


def _one_sided(g: sp.Expr, x: sp.Symbol, at: sp.Expr, side: str) -> sp.Expr:
    direct = None if at.is_infinite else _continuous_at(g, x, at)
    if direct is not None:
        if direct.has(sp.LambertW):  # the value at a W turning point (swish's minimum is -W(1/e))
            direct = min((direct, sp.simplify(lambert_exponentials(direct))), key=sp.count_ops)
        return _numeric_end(sp.simplify(direct) if direct.free_symbols else direct)
    value = sp.limit(g, x, at) if at.is_infinite else sp.limit(g, x, at, side)
    if value.has(sp.I) and not value.has(sp.nan, sp.zoo, *_NOT_A_VALUE):
        # limit may write a real value with I in it (I*(-I*pi**2 - 4*I)/(2*pi))
        re, im = value.as_real_imag()
        if sp.simplify(im) == 0:
            value = sp.simplify(re)
    if not _usable_end(value):
        raise UnsupportedTransform(
            f"covar could not find the one-sided limit of g = {g} as x -> {at}"
            f"{'' if at.is_infinite else side} (sympy gives {value}); the image of this piece "
            "cannot be found: try an equivalent form of the map, or transform step by step"
        )
    return _numeric_end(value)


def _numeric_end(value: sp.Expr) -> sp.Expr:
    """g at a certified numeric turning point as one float (not 0.37*erf(0.37*sqrt(2)) - 0.37)."""
    if value.has(sp.Float) and value.is_number and not value.is_infinite:
        return sp.Float(sp.N(value, 30), 30)
    return value


def image_interval(g: sp.Expr, x: sp.Symbol, lo: sp.Expr, hi: sp.Expr, kind: str) -> sp.Interval:
    """g((lo, hi)) for g monotone there, from one-sided limits at the ends.

    >>> x = sp.Symbol("x", real=True)
    >>> image_interval(sp.exp(x), x, -sp.oo, sp.oo, "increasing")
    Interval.open(0, oo)
    """
    at_lo = _one_sided(g, x, lo, "+")
    at_hi = _one_sided(g, x, hi, "-")
    a, b = (at_lo, at_hi) if kind == "increasing" else (at_hi, at_lo)
    return sp.Interval.open(a, b)


def _shifts(period: sp.Expr, lo: sp.Expr, hi: sp.Expr) -> range:
    """Multiples of the period that can carry a principal root into the piece (lo, hi)."""
    reach = 2
    ends = [e for e in (lo, hi) if e.is_finite and not e.free_symbols]
    if ends and period.is_number:
        reach = min(int(max(abs(float(e)) for e in ends) / abs(float(period))) + 2, 60)
    return range(-reach, reach + 1)


def _variants(candidate: sp.Expr, period: sp.Expr | None, shifts: range = range(-2, 3)) -> list[sp.Expr]:
    if candidate.has(sp.erfcinv):  # sympy cannot evaluate erfcinv numerically; erfinv it can
        candidate = candidate.replace(sp.erfcinv, lambda u: sp.erfinv(1 - u))
    out = [candidate]
    if candidate.has(sp.acot):
        # sympy's acot jumps at 0 (values in (-pi/2, pi/2]); pi/2 - atan(u) is the continuous
        # branch, so tan(pi*(x - 1/2)) = y inverts to atan(y)/pi + 1/2, not a piecewise root
        out.append(candidate.replace(sp.acot, lambda u: sp.pi / 2 - sp.atan(u)))
    odd_roots = [
        p for p in candidate.atoms(sp.Pow)
        if p.exp.is_Rational and p.exp.q % 2 == 1 and p.exp.q > 1
    ]
    if odd_roots:
        # solve returns principal odd roots, complex for negative bases; for base < 0 the
        # real root is -(-base)**(1/q).
        out.append(candidate.xreplace(
            {p: sp.Integer(-1) ** p.exp.p * (-p.base) ** p.exp for p in odd_roots}
        ))
    # solve writes log(w**(1/2)) for one sign of the root only (tanh(1/x) = y gives
    # 1/log(-sqrt(...))); the other sign is real where this one is complex
    roots_in_logs = {r for lg in candidate.atoms(sp.log) for r in lg.atoms(sp.Pow)
                     if r.exp == sp.Rational(1, 2)}
    if 0 < len(roots_in_logs) <= 2:
        out += [c.xreplace({r: -r for r in roots_in_logs}) for c in list(out)]
    for w in candidate.atoms(sp.LambertW):
        if len(w.args) == 1:
            out += [c.xreplace({w: sp.LambertW(w.args[0], -1)}) for c in list(out)]
    if period is not None and period.is_finite and period != 0:
        out += [c + k * period for c in list(out) for k in shifts if k != 0]
    return out


def _trigonometric_roots(g: sp.Expr, x: sp.Symbol, y: sp.Symbol) -> list[sp.Expr]:
    """The three roots of a cubic g(x) = y in Viete's trigonometric form (real where the cubic
    has three real roots, where Cardano's form needs complex cube roots); [] for other maps.

    >>> x, y = sp.symbols("x y", real=True)
    >>> _trigonometric_roots(x**3 - 3*x, x, y)[0]
    2*cos(acos(y/2)/3)
    """
    if not g.is_polynomial(x) or sp.degree(g, x) != 3:
        return []
    a, b, c, d = sp.Poly(g, x).all_coeffs()
    p = (3 * a * c - b**2) / (3 * a**2)
    if sp.sign(p) != -1:  # three real roots need p < 0 (and must be decidable)
        return []
    q = (2 * b**3 - 9 * a * b * c + 27 * a**2 * (d - y)) / (27 * a**3)
    angle = sp.acos(3 * q / (2 * p) * sp.sqrt(-3 / p)) / 3
    return [sp.expand(2 * sp.sqrt(-p / 3)) * sp.cos(angle - 2 * sp.pi * k / 3) - b / (3 * a) for k in range(3)]


def _real_angles(candidate: sp.Expr, y: sp.Symbol, image: sp.Interval, draws: list[dict]) -> bool:
    """Are the acos arguments of ``candidate`` inside [-1, 1] across the image? (Viete's form
    beyond that is real only through complex angles, which numpy cannot evaluate.)"""
    for values in draws:
        try:
            ylo, yhi = to_float(image.start, values), to_float(image.end, values)
        except (ValueError, TypeError):
            return False
        for yv in interior_samples(ylo, yhi, 5):
            for angle in candidate.atoms(sp.acos):
                try:
                    u = to_float(angle.args[0], {**values, y: sp.Float(yv, 30)})
                except (ValueError, TypeError):
                    return False
                if not abs(u) <= 1:
                    return False
    return True


def _split_at_three_roots(g, x, y, lo, hi, image: sp.Interval, draws, variants: list[sp.Expr],
                          trigonometric: list[sp.Expr]) -> sp.Expr | None:
    """A piecewise inverse of a cubic whose image straddles the values where it gains or loses
    two real roots: Viete's real form where three roots are real, Cardano's outside (each
    written without complex numbers). The cells cut at those values, so each resolves it."""
    from covar.univariate.signs import is_less

    (angle,) = trigonometric[0].atoms(sp.acos)
    turns = {t for side in (1, -1) for t in sp.solve(angle.args[0] - side, y)}
    inside = sorted((t for t in turns if is_less(image.start, t) and is_less(t, image.end)),
                    key=lambda t: float(t))
    if not inside:
        return None
    ends = [image.start, *inside, image.end]
    branches = []
    for a, b in zip(ends, ends[1:]):
        part = sp.Interval.open(a, b)
        fits = [c for c in variants if not c.has(sp.I) and _check(c, g, x, y, lo, hi, part, draws)
                and (c not in trigonometric or _real_angles(c, y, part, draws))]
        if not fits:
            return None
        branches.append((min(fits, key=sp.count_ops), y < b if b != image.end else sp.true))
    return sp.Piecewise(*branches)


def _check(candidate, g, x, y, lo, hi, image, draws) -> bool:
    """Does ``candidate`` invert g on (lo, hi) at sample points, for every usable draw?
    Draws that make the piece empty (a > b for Uniform(a, b)) say nothing and are skipped."""
    usable = 0
    for values in draws:
        try:  # an undefined end (nan, complex) is no evidence for the candidate
            ylo, yhi = to_float(image.start, values), to_float(image.end, values)
            xlo, xhi = to_float(as_expression(lo), values), to_float(as_expression(hi), values)
        except (ValueError, TypeError):
            return False
        if not (xlo < xhi and ylo < yhi):
            continue
        checked = 0
        for yv in interior_samples(ylo, yhi, 5):
            point = {**values, y: sp.Float(yv, 30)}
            try:
                exact = sp.N(candidate.subs(point), 60)  # g is evaluated at the 60-digit root
                xv = to_float(exact)
                back = to_float(g.subs({**values, x: exact if exact.is_real else sp.Float(xv, 30)}))
            except (ValueError, TypeError):
                return False
            slack = _TOL * max(1.0, abs(xv))
            if not (xlo - slack < xv < xhi + slack):
                return False
            if not math.isfinite(back) and any(math.isfinite(e) and abs(xv - e) <= 1e-40 * max(1.0, abs(e))
                                               for e in (xlo, xhi)):
                continue  # the root sits on the piece's end to 40 digits (y far in a tail): no evidence
            if not close(back, yv, rtol=1e-7, atol=1e-7):  # nan, inf and complex fail
                return False
            checked += 1
        usable += checked > 0
    return usable > 0


def inverse_on(
    g: sp.Expr, x: sp.Symbol, y: sp.Symbol, lo: sp.Expr, hi: sp.Expr, image: sp.Interval, kind: str
) -> Inverse:
    """The inverse of g on (lo, hi), checked, with |h'(y)| from the known direction.

    >>> x, y = sp.symbols("x y", real=True)
    >>> inv = inverse_on(x**2, x, y, -sp.oo, 0, sp.Interval.open(0, sp.oo), "decreasing")
    >>> inv.h, inv.jacobian
    (-sqrt(y), 1/(2*sqrt(y)))
    """
    try:
        # our own numeric check below replaces solve's (slow) symbolic one
        candidates = sp.solve(sp.Eq(g, y), x, check=False)
    except NotImplementedError:
        candidates = []
    trigonometric = _trigonometric_roots(g, x, y)
    candidates += trigonometric
    if not candidates:
        raise NoClosedFormInverse(
            f"g(x) = {g} = y has no closed-form solution for x on ({lo}, {hi}); "
            "covar can still evaluate the density numerically"
        )
    try:
        period = sp.periodicity(g, x)
    except (NotImplementedError, ValueError):
        period = None
    params = sorted((g.free_symbols | image.free_symbols | as_expression(lo).free_symbols
                     | as_expression(hi).free_symbols) - {x, y}, key=lambda s: s.name)
    draws = parameter_draws(params, n=6 if params else 1)
    accepted: list[sp.Expr] = []
    rejected: list[sp.Expr] = []
    shifts = _shifts(period, as_expression(lo), as_expression(hi)) if period is not None else range(0)
    for cand in dict.fromkeys(v for c in candidates for v in _variants(c, period, shifts)):
        # a formula free of y is constant: it cannot invert g on a piece where g is strictly
        # monotone (solve proposes x = 0 for 1/x + 1/x**3 = y, the piece's end)
        ok = cand.has(y) and _check(cand, g, x, y, lo, hi, image, draws) and \
            (cand not in trigonometric or _real_angles(cand, y, image, draws))
        (accepted if ok else rejected).append(cand)
    if not accepted:
        raise NoClosedFormInverse(
            f"none of the solutions {candidates} of {g} = y lies in ({lo}, {hi}) for every y in "
            f"{image}; covar can still evaluate the density numerically"
        )
    # a real form first: sympy's complex-unit forms of real roots do not evaluate in numpy
    h = min(accepted, key=lambda c: (c.has(sp.I), sp.count_ops(c)))
    if trigonometric and h not in trigonometric:
        variants = [c for c in accepted + rejected if c.has(y)]
        h = _split_at_three_roots(g, x, y, lo, hi, image, draws, variants, trigonometric) or h
    dh = sp.diff(h, y)
    jacobian = dh if kind == "increasing" else -dh
    return Inverse(h, jacobian, tuple(c for c in rejected if c in candidates))
