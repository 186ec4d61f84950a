"""Recognise a density as a named family of the catalog, then confirm it numerically.

Method. ``log pdf`` is split, without any global ``simplify``, into a sum of
``coefficient * feature`` where each feature is one function of the variable t:

========================  ===============================  =============================
key                       feature                          typical source
========================  ===============================  =============================
("pow", m, p)             (t - m)**p                        Normal (t, t**2), Weibull, Levy
("log", m)                log(t - m)                        Gamma, Beta, Pareto, Arcsin
("log2", m)               log(t - m)**2                     LogNormal
("exp", c)                exp(c*t)                          Gumbel, ExpGamma
("abs", m)                Abs(t - m)                        Laplace
("logq", x0, g2)          log((t - x0)**2 + g2)             Cauchy, StudentT
("log1pexp", c, K)        log(1 + K*exp(c*t))               Logistic
========================  ===============================  =============================

Constants are dropped (so are the signs inside logs and powers: they only move constants).
Each family is a pattern on the set of keys plus the support; its parameters are solved from
the coefficients. Every candidate is then CONFIRMED: for a few random parameter values that
respect the symbols' assumptions, the given pdf and the family's pdf must agree to a
relative 1e-9 (30-digit mpmath) at points inside the support, the supports' ends must
agree (open or closed ends are not distinguished: they differ on a null set), and the
solved parameters must satisfy the family's own assumptions. A failed confirmation gives
None: a wrong name is worse than no name.

When several names fit, the most specific one is reported (the sub-family that fixes more
shape parameters), in this order:

* Uniform(a, b) before Beta(1, 1); Arcsin(a, b) before Beta(1/2, 1/2);
* ChiSquared(k) before Exponential(1/2) before Gamma(alpha, beta) (rate exactly 1/2 -> ChiSquared);
* Exponential(rate) before Gamma(1, rate) and Weibull(1/rate, 1);
* HalfNormal(sigma) before Chi(1); Rayleigh(sigma) before Chi(2) and Weibull(sqrt(2) sigma, 2);
* Levy(0, c) before InverseGamma(1/2, c/2); Cauchy(0, 1) before StudentT(1).

>>> from sympy import symbols, exp, sqrt, pi, Interval, oo
>>> y = symbols("y", real=True)
>>> recognize(sqrt(2)*exp(-y**2/2)/sqrt(pi), y, Interval(0, oo))
NamedLaw('HalfNormal', (1,))
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

import mpmath
import numpy as np
import sympy as sp
from sympy import Abs, Add, Interval, S, exp, log, oo

from covar.laws.families import Family, NamedLaw, get_family
from covar.text.values import as_expression

__all__ = ["recognize", "recognize_cells"]

_SEED = 20240531          # fixed: recognition must be deterministic
_RTOL = 1e-9              # agreement required between the two pdfs
_MAX_OPS = 400            # bigger inputs are not a named family in practice; stay cheap
_WANT_DRAWS = 3           # parameter draws to confirm symbolic inputs with
_MAX_ATTEMPTS = 16        # draws tried (some are skipped: e.g. a > b for Uniform(a, b))
_SYMBOLIC_FAILURES = (ValueError, TypeError, ArithmeticError, AttributeError,
                      NotImplementedError, RecursionError, sp.PolynomialError)


# ------------------------------------------------------------------------------------------
# Step 1: log pdf as coefficients of features
def _log_terms(e: sp.Expr, t: sp.Symbol) -> sp.Expr:
    """log(e) with products, powers and exp taken apart; t-free factors dropped (constants)."""
    if not e.has(t):
        return S.Zero
    if e.is_Mul:
        return Add(*[_log_terms(a, t) for a in e.args])
    if isinstance(e, exp):
        return e.args[0]
    if e.is_Pow:
        base, p = e.args
        return p * _log_terms(base, t)
    return log(e)


def _linear(b: sp.Expr, t: sp.Symbol) -> tuple[sp.Expr, sp.Expr] | None:
    """(p1, m) with b = p1*(t - m), or None when b is not linear in t."""
    c0, rest = b.as_independent(t, as_Add=True)
    p1, r = rest.as_independent(t, as_Add=False)
    if r != t or p1 == 0:
        return None
    return p1, sp.cancel(-c0 / p1)


def _classify(f: sp.Expr, t: sp.Symbol) -> tuple[tuple, sp.Expr] | None:
    """(key, scale): f equals scale*feature(key) up to an additive constant; None if unknown."""
    if f == t:
        return ("pow", S.Zero, S.One), S.One
    if f.is_Pow:
        base, p = f.args
        if p.has(t):
            return None
        if isinstance(base, log) and p == 2:
            lin = _linear(base.args[0], t)
            # log(p1 (t-m))^2 has a cross term unless p1 == 1.
            if lin is not None and lin[0] == 1:
                return ("log2", lin[1]), S.One
            return None
        lin = _linear(base, t)
        if lin is not None:
            return ("pow", lin[1], p), lin[0] ** p
        return None
    if isinstance(f, exp):
        c, r = f.args[0].as_independent(t, as_Add=False)
        return (("exp", c), S.One) if r == t else None
    if isinstance(f, Abs):
        lin = _linear(f.args[0], t)
        return (("abs", lin[1]), Abs(lin[0])) if lin is not None else None
    if isinstance(f, log):
        a = f.args[0]
        if isinstance(a, Abs):
            a = a.args[0]
        lin = _linear(a, t)
        if lin is not None:
            return ("log", lin[1]), S.One
        if a.is_polynomial(t):
            coeffs = sp.Poly(a, t).all_coeffs()
            if len(coeffs) == 3:
                A, B, C = coeffs
                x0 = sp.cancel(-B / (2 * A))
                return ("logq", x0, sp.cancel(C / A - x0 ** 2)), S.One
            return None
        if a.is_Add:
            c0, rest = a.as_independent(t, as_Add=True)
            K, r = rest.as_independent(t, as_Add=False)
            if c0 != 0 and isinstance(r, exp):
                c, rr = r.args[0].as_independent(t, as_Add=False)
                if rr == t:
                    return ("log1pexp", c, sp.cancel(K / c0)), S.One
    return None


def _features(pdf: sp.Expr, var: sp.Symbol, positive: bool) -> tuple[dict, sp.Symbol] | None:
    """Coefficients of log(pdf) per feature key, in a dummy t; None if a term is unknown."""
    # A positive dummy lets sympy drop Abs/sqrt(t**2) and split powers safely on [0, oo).
    t = sp.Dummy("t", positive=True) if positive else sp.Dummy("t", real=True)
    L = _log_terms(pdf.xreplace({var: t}), t)
    # force=True may be wrong off the positive reals; the numeric confirmation catches that.
    L = sp.expand(L, force=True)
    acc: dict[tuple, sp.Expr] = {}
    for term in Add.make_args(L):
        coeff, f = term.as_independent(t, as_Add=False)
        if f == 1 or coeff == 0:
            continue
        got = _classify(f, t)
        if got is None:
            return None
        key, scale = got
        acc[key] = acc.get(key, S.Zero) + coeff * scale
    feats = {}
    for key, c in acc.items():
        c = sp.cancel(c)
        if c != 0:
            feats[key] = c
    return feats, t


# ------------------------------------------------------------------------------------------
# Step 2: candidate families from the feature pattern
def _tidy(e: sp.Expr) -> sp.Expr:
    """Cheap local clean-up of a solved parameter (no global simplify)."""
    e = as_expression(e)
    if e.has(log):
        e = sp.expand_log(e, force=True)
    e = sp.powdenest(e)
    return sp.factor_terms(sp.cancel(e))


def _sqrt(e: sp.Expr) -> sp.Expr:
    """Square root of a solved variance, tidied (sympy uses the symbols' signs: sqrt(c**2) = -c
    for a negative c)."""
    return _tidy(sp.sqrt(_tidy(e)))


def _eq(a: Any, b: Any) -> bool:
    """Symbolic equality by cancellation (cheap; False when undecided)."""
    return sp.cancel(as_expression(a) - as_expression(b)) == 0


def _line_candidates(feats: dict) -> Iterable[tuple[str, tuple]]:
    """Families on the whole line: Normal, Laplace, Cauchy, StudentT, ExpGamma, Gumbel, Logistic."""
    keys = set(feats)
    if keys and all(k[0] == "pow" and k[1] == 0 and k[2] in (1, 2) for k in keys):
        a = next((v for k, v in feats.items() if k[2] == 2), None)
        b = next((v for k, v in feats.items() if k[2] == 1), S.Zero)
        if a is not None and a.is_positive is not True:
            yield "Normal", (_tidy(-b / (2 * a)), _sqrt(-1 / (2 * a)))
    if len(keys) == 1:
        (key, c), = feats.items()
        if key[0] == "abs" and c.is_positive is not True:
            yield "Laplace", (key[1], _tidy(-1 / c))
        if key[0] == "logq":
            x0, g2 = key[1], key[2]
            if _eq(c, -1):
                yield "Cauchy", (x0, _sqrt(g2))
            elif x0 == 0 and _eq(c, -(g2 + 1) / 2):
                yield "StudentT", (g2,)
    lin = [v for k, v in feats.items() if k == ("pow", 0, 1)]
    if len(keys) == 2 and lin:
        a = lin[0]
        (ek, d), = [(k, v) for k, v in feats.items() if k != ("pow", 0, 1)]
        if ek[0] == "exp":
            c = ek[1]
            if c == 1:
                yield "ExpGamma", (a, _tidy(-d))
            elif _eq(a, c) and c.is_negative:
                beta = _tidy(-1 / c)
                yield "Gumbel", (_tidy(beta * log(-d)), beta)
        if ek[0] == "log1pexp" and _eq(d, -2) and _eq(a, ek[1]):
            c, K = ek[1], ek[2]
            s = _tidy(1 / c) if c.is_positive else _tidy(-1 / c) if c.is_negative else None
            if s is not None:
                yield "Logistic", (_tidy(-log(K) / c), s)


def _zero_candidates(feats: dict) -> Iterable[tuple[str, tuple]]:
    """Families on [0, oo)."""
    r = feats.get(("log", S.Zero), S.Zero)
    rest = {k: v for k, v in feats.items() if k != ("log", S.Zero)}
    if len(rest) != 1:
        return
    (key, d), = rest.items()
    if key[0] == "log" and key[1] != 0:  # x^r (x - m)^d with m < 0: BetaPrime, FisherF
        m, a = key[1], _tidy(r + 1)
        if _eq(m, -1):
            yield "BetaPrime", (a, _tidy(-d - a))
        d1 = _tidy(2 * a)
        yield "FisherF", (d1, _tidy(-2 * d - d1))
        return
    if key[0] == "log2" and key[1] == 0:
        s2 = _tidy(-1 / (2 * d))
        yield "LogNormal", (_tidy((r + 1) * s2), _sqrt(s2))
        return
    if key[0] != "pow" or key[1] != 0:
        return
    q = key[2]
    if q == 1:
        alpha, beta = _tidy(r + 1), _tidy(-d)
        if beta == S.Half:
            yield "ChiSquared", (_tidy(2 * alpha),)
        elif alpha == 1:
            yield "Exponential", (beta,)
        else:
            yield "Gamma", (alpha, beta)
    elif q == 2:
        s2 = _tidy(-1 / (2 * d))
        if r == 0:
            yield "HalfNormal", (_sqrt(s2),)
        elif r == 1:
            yield "Rayleigh", (_sqrt(s2),)
        elif s2 == 1:
            yield "Chi", (_tidy(r + 1),)
    elif q == -1:
        alpha, beta = _tidy(-r - 1), _tidy(-d)
        if alpha == S.Half:
            yield "Levy", (S.Zero, _tidy(2 * beta))
        else:
            yield "InverseGamma", (alpha, beta)
    elif _eq(r, q - 1):
        yield "Weibull", (_tidy((-d) ** (-1 / q)), q)


def _shifted_candidates(feats: dict, lo: sp.Expr) -> Iterable[tuple[str, tuple]]:
    """Families on [lo, oo) with lo != 0: Pareto (xm = lo) and Levy (mu = lo)."""
    keys = set(feats)
    if keys == {("log", S.Zero)}:
        yield "Pareto", (lo, _tidy(-feats[("log", S.Zero)] - 1))
    if len(keys) == 2:
        logs = [(k, v) for k, v in feats.items() if k[0] == "log" and _eq(k[1], lo)]
        pows = [(k, v) for k, v in feats.items() if k[0] == "pow" and _eq(k[1], lo) and k[2] == -1]
        if logs and pows and _eq(logs[0][1], -sp.Rational(3, 2)):
            yield "Levy", (lo, _tidy(-2 * pows[0][1]))


def _finite_candidates(feats: dict, lo: sp.Expr, hi: sp.Expr) -> Iterable[tuple[str, tuple]]:
    """Families on [lo, hi]: Uniform, Arcsin (any ends), Beta (on [0, 1])."""
    # log(A (t - lo)(t - hi)) may arrive multiplied out, as a quadratic: split it on the
    # support's ends (checked through Vieta's formulas, so no square roots are needed).
    feats = dict(feats)
    for key in [k for k in feats if k[0] == "logq"]:
        x0, g2 = key[1], key[2]
        if _eq(lo + hi, 2 * x0) and _eq(lo * hi, x0 ** 2 + g2):
            c = feats.pop(key)
            for m in (lo, hi):
                found = next((k for k in feats if k[0] == "log" and _eq(k[1], m)), ("log", m))
                feats[found] = feats.get(found, S.Zero) + c
    if not feats:
        yield "Uniform", (lo, hi)
        return
    ca = [v for k, v in feats.items() if k[0] == "log" and _eq(k[1], lo)]
    cb = [v for k, v in feats.items() if k[0] == "log" and _eq(k[1], hi)]
    if len(ca) + len(cb) != len(feats):
        return
    a = ca[0] if ca else S.Zero
    b = cb[0] if cb else S.Zero
    if _eq(a, -S.Half) and _eq(b, -S.Half):
        yield "Arcsin", (lo, hi)
    elif lo == 0 and hi == 1:
        yield "Beta", (_tidy(a + 1), _tidy(b + 1))


# ------------------------------------------------------------------------------------------
# Step 3: numeric confirmation
def _draw(sym: sp.Symbol, rng: np.random.Generator) -> Any:
    """A random value consistent with the symbol's assumptions (non-integers avoid special cases)."""
    if sym.is_integer:
        if sym.is_positive:
            return int(rng.integers(1, 7))
        if sym.is_nonnegative:
            return int(rng.integers(0, 7))
        if sym.is_negative:
            return -int(rng.integers(1, 7))
        return int(rng.integers(-4, 5))
    if sym.is_positive or sym.is_nonnegative:
        return mpmath.mpf(float(rng.uniform(0.35, 3.2)))
    if sym.is_negative or sym.is_nonpositive:
        return -mpmath.mpf(float(rng.uniform(0.35, 3.2)))
    return mpmath.mpf(float(rng.uniform(-2.5, 2.5)))


def _real(v: Any) -> Any:
    """v as an mpf if it is real (up to rounding), else None."""
    try:
        c = mpmath.mpmathify(v)
    except (TypeError, ValueError):
        return None
    if isinstance(c, mpmath.mpc):
        if not abs(c.imag) <= mpmath.mpf(10) ** -20 * max(1, abs(c.real)):
            return None
        c = c.real
    return None if mpmath.isnan(c) else c


def _points(lo: Any, hi: Any) -> list[Any]:
    if mpmath.isinf(lo) and mpmath.isinf(hi):
        return [mpmath.mpf(v) for v in (-4.1, -1.3, -0.2, 0.6, 1.7, 3.8)]
    offsets = [mpmath.mpf(v) for v in (0.07, 0.45, 1.3, 2.9, 6.1)]
    if mpmath.isinf(hi):
        return [lo + d for d in offsets]
    if mpmath.isinf(lo):
        return [hi - d for d in offsets]
    return [lo + (hi - lo) * mpmath.mpf(u) for u in (0.063, 0.29, 0.51, 0.77, 0.94)]


def _close(a: Any, b: Any) -> bool:
    if mpmath.isinf(a) or mpmath.isinf(b):
        return a == b
    return abs(a - b) <= _RTOL * (1 + max(abs(a), abs(b)))


def _args_valid(fam: Family, vals: Sequence[Any]) -> bool:
    for v, assume in zip(vals, fam.assumptions):
        v = _real(v)
        if v is None or mpmath.isinf(v):
            return False
        if assume.get("positive") and not v > 0:
            return False
        if assume.get("nonnegative") and not v >= 0:
            return False
        if assume.get("integer") and not abs(v - mpmath.nint(v)) <= 1e-12:
            return False
    return True


def _confirm(pdf: sp.Expr, var: sp.Symbol, support: Interval, fam: Family, args: tuple) -> bool:
    """True when the given pdf and support are numerically the family's, at random params."""
    if any(fam.assumptions[i].get("positive") and a.is_positive is False for i, a in enumerate(args)):
        return False
    fam_pdf = fam.pdf(var, *args)
    fam_supp = fam.support(*args)
    free = set(pdf.free_symbols) | set(support.free_symbols)
    for a in args:
        free |= a.free_symbols
    free.discard(var)
    syms = sorted(free, key=lambda s: s.name)
    # Dummies in the generated code: a parameter called beta or gamma must not shadow the
    # special functions of the same name.
    rep = {s: sp.Dummy() for s in [var, *syms]}
    names = [rep[s] for s in [var, *syms]]
    try:
        given = sp.lambdify(names, pdf.xreplace(rep), "mpmath")
        theirs = sp.lambdify(names, fam_pdf.xreplace(rep), "mpmath")
        ends = sp.lambdify(names[1:], [as_expression(e).xreplace(rep) for e in
                                       (support.inf, support.sup, fam_supp.inf, fam_supp.sup, *args)],
                           "mpmath")
    except (NotImplementedError, SyntaxError, NameError, TypeError, KeyError):
        # an expression lambdify cannot print: not confirmable, so no name
        return False
    rng = np.random.default_rng(_SEED)
    valid = 0
    with mpmath.workdps(30):
        for _ in range(_MAX_ATTEMPTS if syms else 1):
            vals = [_draw(s, rng) for s in syms]
            try:
                lo, hi, flo, fhi, *avals = (_real(v) for v in ends(*vals))
                if lo is None or hi is None or not lo < hi:
                    continue  # these parameter values do not make a support at all
                pts = _points(lo, hi)
                g = [_real(given(p, *vals)) for p in pts]
            except (ValueError, ZeroDivisionError, TypeError, OverflowError):
                continue
            if any(v is None or not v > 0 or mpmath.isinf(v) for v in g):
                continue  # the input is no density at these values; nothing to compare
            # From here the input is a density: the family must reproduce it exactly.
            if not _args_valid(fam, avals):
                return False
            if flo is None or fhi is None or not (_close(lo, flo) and _close(hi, fhi)):
                return False
            try:
                h = [_real(theirs(p, *vals)) for p in pts]
            except (ValueError, ZeroDivisionError, TypeError, OverflowError):
                return False
            if any(v is None or not abs(v - w) <= _RTOL * abs(w) for v, w in zip(h, g)):
                return False
            valid += 1
            if valid >= _WANT_DRAWS:
                break
    return valid >= (min(2, _WANT_DRAWS) if syms else 1)


# ------------------------------------------------------------------------------------------
def recognize(pdf: sp.Expr, var: sp.Symbol, support: sp.Set) -> NamedLaw | None:
    """The catalog family whose density is ``pdf`` on ``support`` (one Interval), or None.

    ``pdf`` is the single expression valid on the support (not a Piecewise). Parameters
    may be numbers or symbols; symbols' assumptions (positive=True, ...) are used both to
    solve for the family's parameters and to draw the values the match is confirmed at.

    >>> from sympy import symbols, exp, pi, Interval, oo
    >>> y = symbols("y", real=True)
    >>> str(recognize(1/(pi*(y**2 + 1)), y, Interval(-oo, oo)))
    'Cauchy(0, 1)'
    >>> recognize(exp(-y**2/2)/sp.sqrt(2*pi), y, Interval(0, oo)) is None  # half a Normal
    True
    """
    if support == S.Reals:
        support = Interval(-oo, oo)
    if not isinstance(support, Interval):  # cheap exit: unions, finite sets, ranges
        return None
    pdf = as_expression(pdf)
    if not isinstance(pdf, sp.Expr) or pdf.has(sp.Piecewise) or pdf.count_ops() > _MAX_OPS:
        return None
    lo, hi = support.inf, support.sup
    if lo == -oo and hi != oo:
        return None  # no catalog family lives on (-oo, b]
    try:
        got = _features(pdf, var, positive=bool(lo.is_nonnegative))
        if got is None:
            return None
        feats, _ = got
        if lo == -oo:
            cands = _line_candidates(feats)
        elif hi != oo:
            cands = _finite_candidates(feats, lo, hi)
        elif lo == 0:
            cands = _zero_candidates(feats)
        else:
            cands = _shifted_candidates(feats, lo)
        for name, args in cands:
            fam = get_family(name)
            args = tuple(as_expression(a) for a in args)
            if _confirm(pdf, var, support, fam, args):
                return NamedLaw(fam.name, args)
    except _SYMBOLIC_FAILURES:
        # Recognition is an optional label: an expression sympy cannot take apart has none.
        return None
    return None


def recognize_cells(cells: Sequence[tuple[sp.Expr, sp.Expr, sp.Expr]], var: sp.Symbol) -> NamedLaw | None:
    """The catalog family of a density given cell by cell as (lo, hi, expression), or None.

    One cell is :func:`recognize`'s case. Two adjacent cells that meet at m form a two-sided law
    (Laplace: one exponential on each side): the right cell's expression read at
    m + |var - m| is one expression for the whole line, which :func:`recognize` names; the
    name is then confirmed against the two cells themselves (so a left cell that is not the
    mirror image of the right one, an asymmetric law, gives None).

    >>> from sympy import symbols, exp, oo
    >>> y = symbols("y", real=True)
    >>> str(recognize_cells([(-oo, 0, exp(y)/2), (0, oo, exp(-y)/2)], y))
    'Laplace(0, 1)'
    >>> recognize_cells([(-oo, 0, exp(2*y)/3), (0, oo, 2*exp(-y)/3)], y) is None
    True
    """
    kept = [(as_expression(lo), as_expression(hi), as_expression(e)) for lo, hi, e in cells if e != 0]
    if len(kept) == 1:
        lo, hi, e = kept[0]
        return recognize(e, var, Interval(lo, hi))
    if len(kept) != 2:
        return None
    if not _eq(kept[0][1], kept[1][0]):
        kept.reverse()
        if not _eq(kept[0][1], kept[1][0]):
            return None  # not adjacent
    (lo, m, left), (_, hi, right) = kept
    whole = Interval(lo, hi)
    try:
        law = recognize(right.xreplace({var: m + Abs(var - m)}), var, whole)
        if law is None:
            return None
        both = sp.Piecewise((left, var < m), (right, True))
        return law if _confirm(both, var, whole, get_family(law.name), law.args) else None
    except _SYMBOLIC_FAILURES:
        return None
