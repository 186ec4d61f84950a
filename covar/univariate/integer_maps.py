"""Maps of an integer-valued X that need no continuity: periodic maps and floor of a ratio.

A map that repeats with period m on the integers (``Mod(x, m)``, ``(-1)**x``, ``x - 2*floor(x/2)``)
takes one value v_r per residue r = 0..m-1, and P(Y = v) sums the pmf over the residue classes
that map to v; each class sum is found in closed form by sympy's summation or by the
roots-of-unity filter of the generating function, and confirmed against a numeric sum.
``floor(x/m + c)`` (and ``ceiling``) gathers m consecutive integers: p_Y(y) is a sum of m terms.
Supports are Ranges with finite or infinite, numeric or symbolic ends.

>>> import sympy as sp
>>> from covar.laws.density import Density
>>> k, y = sp.symbols("k y", real=True)
>>> lam = sp.Symbol("lam", positive=True)
>>> X = Density(lam**k*sp.exp(-lam)/sp.factorial(k), k, sp.Range(0, sp.oo))
>>> sp.simplify(lattice_pmf(X, sp.Mod(k, 2), y).pdf.args[0][0] - (1 + sp.exp(-2*lam))/2)
0
"""
from __future__ import annotations

import math
from typing import Any, Callable

import mpmath
import numpy as np
import sympy as sp

from covar.errors import DerivationTimeout, NoClosedForm, UnsupportedTransform
from covar.laws.density import Density
from covar.numeric.budget import time_budget
from covar.numeric.verify import close, parameter_draws, to_float
from covar.record import Derivation, Note, letter

_MAX_PERIOD = 24
_MAX_TERMS = 24            # floor(x/m): at most this many integers gathered per value of y
_SUM_SECONDS = 4.0         # one sympy summation
_FINITE_SUM = 100_000      # numeric confirmation sums at most this many terms exactly


def lattice_pmf(X: Density, g: sp.Expr, y: sp.Symbol) -> Density | None:
    """The pmf of g(X) for X on a unit-step Range when g is periodic on the integers or a floor
    (ceiling) of x/m; None for other maps (the caller's general method takes them)."""
    support = X.support
    if X.pdf is None or not isinstance(support, sp.Range) or support.step != 1:
        return None
    period = _period(g, X.var)
    if period is not None:
        return _periodic(X, g, y, period)
    step = _floor_ratio(g, X.var)
    if step is not None:
        return _gathered(X, g, y, *step)
    return None


# -- which maps ------------------------------------------------------------------------------
def _integer_linear(u: sp.Expr, x: sp.Symbol) -> bool:
    """u = a*x + b with a an integer (so u steps by integers as x does)."""
    poly = sp.Poly(u, x) if u.is_polynomial(x) else None
    return poly is not None and poly.degree() == 1 and poly.coeffs()[0].is_Integer


def _period(g: sp.Expr, x: sp.Symbol) -> int | None:
    """m such that g(x + m) = g(x) for every integer x (checked residue by residue), or None."""
    moduli: list[int] = []
    for e in g.atoms(sp.Mod, sp.Pow, sp.floor, sp.ceiling):
        if not e.has(x):
            continue
        if isinstance(e, sp.Mod) and e.args[1].is_Integer and _integer_linear(e.args[0], x):
            moduli.append(abs(int(e.args[1])))
        elif isinstance(e, sp.Pow) and e.base == -1 and _integer_linear(e.exp, x):
            moduli.append(2)
        elif isinstance(e, (sp.floor, sp.ceiling)):
            ratio = _ratio(e.args[0], x)
            if ratio is not None:
                moduli.append(ratio[0])
    if not moduli:
        return None
    m = math.lcm(*moduli)
    if not 2 <= m <= _MAX_PERIOD or _residue_values(g, x, m) is None:
        return None
    return m


def _residue_values(g: sp.Expr, x: sp.Symbol, m: int) -> list[sp.Expr] | None:
    """g(m*j + r) for r = 0..m-1 when each is one real number whatever the integer j."""
    j = sp.Symbol("j", integer=True)
    out = []
    for r in range(m):
        v = sp.simplify(g.subs(x, m * j + r))
        if v.has(j) or not v.is_number or not v.is_real or not v.is_finite:
            return None
        out.append(v)
    return out


def _ratio(u: sp.Expr, x: sp.Symbol) -> tuple[int, sp.Expr] | None:
    """u = ±x/m + c with m a positive integer: (±m, c)."""
    if not u.is_polynomial(x):
        return None
    poly = sp.Poly(u, x)
    if poly.degree() != 1:
        return None
    slope, c = poly.coeffs()[0], u.subs(x, 0)
    inv = 1 / slope
    if not (inv.is_Integer and abs(inv) <= _MAX_TERMS):
        return None
    return int(inv), c


def _floor_ratio(g: sp.Expr, x: sp.Symbol) -> tuple[str, int, sp.Expr] | None:
    if isinstance(g, (sp.floor, sp.ceiling)):
        found = _ratio(g.args[0], x)
        if found is not None and abs(found[0]) >= 2:
            return ("floor" if isinstance(g, sp.floor) else "ceiling", *found)
    return None


# -- periodic maps ---------------------------------------------------------------------------
def _periodic(X: Density, g: sp.Expr, y: sp.Symbol, m: int) -> Density:
    x, pmf = X.var, _pmf_of(X)
    values = _residue_values(g, x, m)
    assert values is not None  # _period checked it
    masses: dict[sp.Expr, sp.Expr] = {}
    notes: list[Note] = [(f"g({x} + {m}) = g({x}) for every integer {x}: g takes the value g(r) on the residue "
                          f"class {x} ≡ r (mod {m}), so P({letter(y)} = v) sums the pmf over the classes with "
                          "g(r) = v.",)]
    for r, v in enumerate(values):
        total = _residue_sum(X, m, r)
        notes.append((f"P({letter(x)} ≡ {r} mod {m}) = ", total, f": {letter(x)} maps to ",
                      sp.Eq(y, v, evaluate=False), " there."))
        masses[v] = masses.get(v, sp.Integer(0)) + total
    masses = {v: sp.simplify(s) for v, s in masses.items()}
    masses = {v: s for v, s in masses.items() if s != 0}
    points = sorted(masses, key=lambda v: float(v))
    pdf = sp.Piecewise(*[(masses[v], sp.Eq(y, v)) for v in points], (0, True))
    return _result(X, g, y, pdf, sp.FiniteSet(*points), notes)


def _ends(support: sp.Range) -> tuple[sp.Expr, sp.Expr]:
    """First and last point of a unit-step Range (±oo for an open end)."""
    start, stop = support.start, support.stop
    return start, (stop - 1 if stop.is_finite else stop)


def _residue_sum(X: Density, m: int, r: int) -> sp.Expr:
    """Σ p(x) over the x ≡ r (mod m) of the support, in closed form (confirmed numerically)."""
    x, pmf = X.var, _pmf_of(X)
    first, last = _ends(X.support)
    j = sp.Symbol("j", integer=True)
    lo = -sp.oo if first == -sp.oo else sp.ceiling((first - r) / sp.Integer(m))
    hi = sp.oo if last == sp.oo else sp.floor((last - r) / sp.Integer(m))
    term = pmf.xreplace({x: m * j + r})
    candidates = _summed(term, j, lo, hi)
    if m == 2 or not candidates:
        candidates += _filtered(X, m, r)
    candidates = [_tidy(c) for c in candidates]
    exact = _confirmed(candidates, X, lambda values: _numeric_residue_sum(X, values, m, r))
    if exact is None:
        raise NoClosedForm(f"the probability that X ≡ {r} (mod {m}) has no closed form covar can "
                           f"confirm (the sum of {term} over j from {lo} to {hi})")
    return exact


def _summed(term: sp.Expr, j: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> list[sp.Expr]:
    """sympy's closed forms of Σ_j term: every Sum-free branch of its answer (each to be confirmed)."""
    try:
        with time_budget(_SUM_SECONDS, "summation of the pmf"):
            total = sp.summation(term, (j, lo, hi))
    except (DerivationTimeout, NotImplementedError, TypeError, ValueError, ZeroDivisionError,
            sp.PolynomialError):
        return []
    total = sp.piecewise_fold(total)
    branches = [e for e, _ in total.args] if isinstance(total, sp.Piecewise) else [total]
    return [e for e in branches if not e.has(sp.Sum, sp.Integral, sp.hyper, sp.meijerg)]


def _filtered(X: Density, m: int, r: int) -> list[sp.Expr]:
    """The roots-of-unity filter (1/m) Σ_s ω^(-rs) G(ω^s) of the generating function G."""
    k = sp.Symbol("k", integer=True)
    first, last = _ends(X.support)
    z = sp.Symbol("z")
    out = []
    for G in _summed(_pmf_of(X).xreplace({X.var: k}) * z ** k, k, first, last):
        w = sp.exp(2 * sp.pi * sp.I / m)
        total = sp.Add(*[w ** (-r * s) * G.subs(z, w ** s) for s in range(m)]) / m
        real = sp.simplify(total)
        if _written_complex(real):  # sympy may write the roots as (-1)**(1/3): the real form
            real = sp.simplify(sp.expand_complex(real))
        if not _written_complex(real) and not real.has(sp.re, sp.im):
            out.append(real)
    return out


def _written_complex(e: sp.Expr) -> bool:
    """Is e written with i or with a root of a negative number ((-1)**(1/3))?"""
    return e.has(sp.I) or any(p.base.is_negative and p.exp.is_number and not p.exp.is_integer
                              for p in e.atoms(sp.Pow))


def _numeric_residue_sum(X: Density, values: dict, m: int, r: int) -> float:
    """Σ p(x) over the x ≡ r (mod m) of the support, with mpmath, at parameter values
    (nan when a term is not a finite number >= 0)."""
    first, last = (to_float(e, values, otherwise=math.nan) for e in _ends(X.support))
    f = sp.lambdify(X.var, _pmf_of(X).xreplace(values), "mpmath")

    def term(j: Any) -> Any:
        value = f(m * j + r)
        if isinstance(value, mpmath.mpc) or not (0 <= value < mpmath.inf):
            raise ValueError("not a finite number >= 0")
        return value

    lo = -math.inf if first == -math.inf else math.ceil((first - r) / m)
    hi = math.inf if last == math.inf else math.floor((last - r) / m)
    try:
        with mpmath.workdps(20):
            if math.isfinite(lo) and math.isfinite(hi):
                if hi - lo > _FINITE_SUM:
                    return math.nan
                return float(mpmath.fsum(term(mpmath.mpf(k)) for k in range(int(lo), int(hi) + 1)))
            return float(mpmath.nsum(term, [lo, hi]))
    except (ValueError, TypeError, ZeroDivisionError, OverflowError):
        return math.nan


def _valid_draws(X: Density, wanted: int = 3) -> list[dict]:
    """Parameter draws (respecting the assumptions) under which X's pmf sums to 1."""
    params = X.params
    if not params:
        return [{}]
    out = []
    for values in parameter_draws(params, n=12, seed=7):
        if close(_numeric_residue_sum(X, values, 1, 0), 1.0, 1e-9, 1e-12):
            out.append(values)
            if len(out) == wanted:
                break
    return out


def _confirmed(candidates: list[sp.Expr], X: Density,
               reference: Callable[[dict], float]) -> sp.Expr | None:
    """The simplest candidate that equals ``reference`` at every parameter draw under which X
    is a valid law (its pmf sums to 1): a closed form is never trusted unchecked."""
    draws = _valid_draws(X)
    if not draws:
        return None
    wanted = [reference(v) for v in draws]
    hyperbolic = (sp.sinh, sp.cosh, sp.tanh)
    for cand in sorted(dict.fromkeys(candidates), key=lambda c: (c.has(*hyperbolic), sp.count_ops(c))):
        got = [to_float(cand, v, otherwise=math.nan) for v in draws]
        # and in floating point: numpy gives nan for (2*p - 1)**n at p < 1/2 with n a float
        params = sorted(cand.free_symbols, key=lambda s: s.name)
        compiled = sp.lambdify(params, cand, "numpy")
        with np.errstate(all="ignore"):
            fast = [float(np.real(compiled(*[float(v[s]) for s in params]))) for v in draws]
        if all(close(a, b, 1e-9, 1e-12) and close(f, b, 1e-7, 1e-12) for a, f, b in zip(got, fast, wanted)):
            return cand
    return None


def _tidy(c: sp.Expr) -> sp.Expr:
    """c simplified (its exponential form when sympy wrote cosh: (1 + exp(-2*lam))/2 reads
    better than exp(-lam)*cosh(lam)), or c itself when simplifying takes too long."""
    try:
        with time_budget(_SUM_SECONDS, "simplifying a residue-class sum"):
            return sp.simplify(c.rewrite(sp.exp) if c.has(sp.sinh, sp.cosh) else c)
    except DerivationTimeout:
        return c


# -- floor and ceiling of x/m ----------------------------------------------------------------
def _gathered(X: Density, g: sp.Expr, y: sp.Symbol, kind: str, m: int, c: sp.Expr) -> Density:
    """floor(x/m + c) or ceiling(x/m + c) (m may be negative): each y gathers |m| consecutive
    integers x, so p_Y(y) = Σ_i p̃(x_i(y)) with p̃ the pmf extended by 0 off the support."""
    x, pmf = X.var, _pmf_of(X)
    first, last = _ends(X.support)
    k = sp.Symbol(y.name, integer=True)  # y is an integer here: floor(2*y) is 2*y
    real_y, y = y, k
    # the preimage of y is |m| consecutive integers from start(y) (a half-open interval of length |m|)
    if kind == "floor":
        start = sp.ceiling(m * (y - c)) if m > 0 else sp.floor(m * (y + 1 - c)) + 1
    else:
        start = sp.floor(m * (y - 1 - c)) + 1 if m > 0 else sp.ceiling(m * (y - c))
    ends = [sp.simplify(g.subs(x, e)) if e.is_finite else (e if m > 0 else -e) for e in (first, last)]
    y_lo, y_hi = (ends[0], ends[1]) if m > 0 else (ends[1], ends[0])
    terms = []
    for i in range(abs(m)):
        point = start + i
        conditions = []
        if first.is_finite and not _always(point >= first, y, y_lo if m > 0 else y_hi):
            conditions.append(point >= first)
        if last.is_finite and not _always(point <= last, y, y_hi if m > 0 else y_lo):
            conditions.append(point <= last)
        term = pmf.xreplace({x: point})
        terms.append(sp.Piecewise((term, sp.And(*conditions)), (0, True)) if conditions else term)
    y = real_y
    # 0 off the integers: binomial(n, 2*y) is not 0 at y = 0.37
    pdf = sp.Piecewise((sp.Add(*terms).xreplace({k: y}), sp.Eq(y, sp.floor(y))), (0, True))
    support = sp.Range(y_lo, y_hi + 1 if y_hi.is_finite else y_hi)
    notes: list[Note] = [(f"For integer {x}, ", sp.Eq(g, y, evaluate=False), f" exactly when {x} is one of the "
                          f"{abs(m)} integers ", start.xreplace({k: y}), ", ..., ", (start + abs(m) - 1).xreplace({k: y}),
                          f": p_{letter(y)}({y}) sums the pmf of {letter(x)} there (0 off its support).")]
    return _result(X, g, y, pdf, support, notes)


def _always(condition: sp.Basic, y: sp.Symbol, at: sp.Expr) -> bool:
    """Does a condition linear in y that is tightest at y = ``at`` hold there (so for every y
    of the image)? False when it cannot be decided."""
    if not at.is_finite:
        return False
    held = condition.subs(y, at)
    return bool(held == sp.true)


def _result(X: Density, g: sp.Expr, y: sp.Symbol, pdf: sp.Expr, support: sp.Set,
            notes: list[Note]) -> Density:
    from covar.univariate.pmf_families import recognize_pmf

    family = recognize_pmf(pdf, y, support)
    derivation = Derivation(input=X, x=X.var, y=y, g=g, breakpoints=(), pieces=(), cells=(),
                            pdf=pdf, support=support, atoms={}, family=family, discrete=True,
                            notes=tuple(notes))
    return Density(pdf, y, support, discrete=True, family=family, derivation=derivation, validate=False)


def _pmf_of(X: Density) -> sp.Expr:
    """X's pdf (pmf) expression; the callers take only laws that have one."""
    if X.pdf is None:
        raise UnsupportedTransform("a numeric-only law has no expression to sum")
    return X.pdf
