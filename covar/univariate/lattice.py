"""A continuous X through floor, ceiling, round or a fractional part, on any support.

* ``floor(a*x + b)`` / ``ceiling(a*x + b)`` (``round(x)`` is ``floor(x + 1/2)``) on a support with an
  infinite or symbolic end (a bounded numeric one has finitely many steps: atoms, cells.py) is integer-valued:
  P(Y = k) = F_X(U(k)) - F_X(L(k)) where [L(k), U(k)] is the x-interval mapped to k and F_X the
  closed-form CDF of X, with the first and last integers clipped to a bounded support.
* ``Mod(a*x + b, c)``, ``frac(x)``, ``x - floor(x)`` has a density on [0, c): the infinitely many
  branches x = (y + c*k - b)/a, one per integer k, are summed in closed form (sympy's
  summation); the unit interval is cut where the support's ends fall.

Each closed form is confirmed against quadrature of f_X before it is returned (and the result
then goes through the verification gate like every other).

>>> import sympy as sp
>>> from covar.laws.density import Density
>>> x, y = sp.symbols("x y", real=True)
>>> X = Density(2*sp.exp(-2*x), x, sp.Interval(0, sp.oo))
>>> Y = lattice_law(X, sp.ceiling(x), y)
>>> str(Y.family), Y.support
('Geometric(1 - exp(-2))', Range(1, oo, 1))
"""
from __future__ import annotations

import math
from typing import Any, Callable

import mpmath
import sympy as sp

from covar.errors import DerivationTimeout, NoClosedForm, UnsupportedTransform
from covar.laws.density import Density
from covar.numeric.budget import time_budget
from covar.numeric.verify import close, parameter_draws, to_float
from covar.record import Cell, Derivation, Label, Note, Piece
from covar.univariate.pmf_families import recognize_pmf
from covar.univariate.simplify import simplify_on

_SECONDS = 8.0      # one integration or summation
_CHECKED = 6        # integers (or points of [0, c)) compared with quadrature per draw


def lattice_law(X: Density, g: sp.Expr, y: sp.Symbol) -> Density | None:
    """The law of g(X) when g is a floor/ceiling of an affine map or a fractional part; None
    for other maps (the caller's general method takes them)."""
    if X.discrete or X.pdf is None or X.atoms or not isinstance(X.support, sp.Interval):
        return None
    step = _step_map(g, X.var)
    bounded = all(e.is_number and e.is_finite for e in (X.support.start, X.support.end))
    if step is not None and not bounded:  # finitely many steps: cells.py makes them atoms
        return _integer_part(X, g, y, *step)
    fractional = fractional_map(g, X.var)
    if fractional is not None:
        return _fractional_part(X, g, y, *fractional)
    return None


# -- which maps ------------------------------------------------------------------------------
def _affine(q: sp.Expr, x: sp.Symbol) -> tuple[sp.Expr, sp.Expr] | None:
    """(a, b) with q = a*x + b, a a nonzero real number."""
    if not q.has(x) or not q.is_polynomial(x) or sp.degree(q, x) != 1:
        return None
    a, b = sp.Poly(q, x).coeffs()[0], q.subs(x, 0)
    return (a, b) if a.is_number and a.is_real and a != 0 else None


def _step_map(g: sp.Expr, x: sp.Symbol) -> tuple[str, sp.Expr, sp.Expr] | None:
    if isinstance(g, (sp.floor, sp.ceiling)):
        found = _affine(g.args[0], x)
        if found is not None:
            return ("floor" if isinstance(g, sp.floor) else "ceiling", *found)
    return None


def fractional_map(g: sp.Expr, x: sp.Symbol) -> tuple[sp.Expr, sp.Expr, sp.Expr] | None:
    """(a, b, c) with g = Mod(a*x + b, c) for a positive number c."""
    if isinstance(g, sp.frac):
        q, c = g.args[0], sp.Integer(1)
    elif isinstance(g, sp.Mod):
        q, c = g.args
    else:  # q - c*floor(q/c), the way users write a fractional part
        for f in g.atoms(sp.floor):
            c = -g.coeff(f)
            if c.is_number and c.is_positive and sp.simplify(g - (c * f.args[0] - c * f)) == 0:
                q = c * f.args[0]
                break
        else:
            return None
    found = _affine(sp.expand(q), x)
    if found is None or not (c.is_number and c.is_positive):
        return None
    return (*found, c)


# -- integer part ----------------------------------------------------------------------------
def _cdf(X: Density) -> tuple[sp.Expr, sp.Symbol]:
    """F_X(t) on the support, as a closed form in t (refused when covar finds none)."""
    from covar.univariate.cdf import continuous_cdf

    t = sp.Symbol("t", real=True)
    F, why = continuous_cdf(X)
    if F is None:
        raise NoClosedForm(f"the CDF of X has no closed form ({why}), so P(Y = k) has none; "
                           "covar does not return a pmf it cannot write down")
    F = F.xreplace({X.var: t})
    F = sp.piecewise_fold(F.rewrite(sp.Piecewise)) if F.has(sp.Min, sp.Max) else F
    return _tidy(F), t


def _integer_part(X: Density, g: sp.Expr, y: sp.Symbol, kind: str, a: sp.Expr, b: sp.Expr) -> Density:
    x, lo, hi = X.var, X.support.start, X.support.end
    k = sp.Symbol(y.name, integer=True)
    # the x-interval sent to k: floor: k <= a x + b < k + 1; ceiling: k - 1 < a x + b <= k
    below, above = (k, k + 1) if kind == "floor" else (k - 1, k)
    L, U = ((below - b) / a, (above - b) / a) if a > 0 else ((above - b) / a, (below - b) / a)
    q_lo, q_hi = (a * lo + b, a * hi + b) if a > 0 else (a * hi + b, a * lo + b)
    if kind == "floor":
        first = sp.floor(q_lo) if q_lo.is_finite else -sp.oo
        last = sp.ceiling(q_hi) - 1 if q_hi.is_finite else sp.oo
    else:
        first = sp.floor(q_lo) + 1 if q_lo.is_finite else -sp.oo
        last = sp.ceiling(q_hi) if q_hi.is_finite else sp.oo
    F, t = _cdf(X)

    def prob(l: sp.Expr, u: sp.Expr) -> sp.Expr:
        return F.subs(t, u) - F.subs(t, l)

    middle = _tidy(sp.piecewise_fold(prob(L, U))) if first != last else sp.Integer(1)
    branches = []
    for end, finite in ((first, lo.is_finite), (last, hi.is_finite)):
        if finite and end.is_finite:
            mass = prob(sp.Max(L.subs(k, end), lo), sp.Min(U.subs(k, end), hi))
            branches.append((_tidy(sp.piecewise_fold(mass)), sp.Eq(y, end)))
    pmf = sp.Piecewise(*branches, (middle.xreplace({k: y}), True)) if branches else middle.xreplace({k: y})
    support = sp.Range(first, last + 1 if last.is_finite else last)
    try:
        support.inf, support.sup
    except ValueError as exc:  # sympy cannot order the symbolic ends
        raise UnsupportedTransform(f"cannot tell which integers {g} takes on {X.support} ({exc}); "
                                   "state the parameters' ranges (e.g. assume='b>1')") from exc
    _confirm(X, pmf, y, support, lambda v: (L.subs(k, v), U.subs(k, v)))
    family = recognize_pmf(pmf, y, support)
    Y, Xn = letter_of(y), letter_of(x)
    F_X = sp.Function(f"F_{Xn}")
    notes: list[Note] = [(sp.Eq(sp.Symbol(Y), g, evaluate=False), f" is an integer: {Y} = {k} exactly when L < {x} < U "
                          "(up to an endpoint of probability 0) with ", sp.Eq(sp.Symbol("L"), L, evaluate=False), " and ",
                          sp.Eq(sp.Symbol("U"), U, evaluate=False), ", so ",
                          Label(f"P({Y} = {k}) = F_{Xn}(U) − F_{Xn}(L)", rf"P({Y} = {k}) = F_{{{Xn}}}(U) - F_{{{Xn}}}(L)"),
                          " with ", sp.Eq(F_X(x), F.subs(t, x), evaluate=False), f" the CDF of {Xn} on its support.")]
    notes += _shifted_family_note(pmf, y, support)  # Geometric0(p) is also Geometric(p) shifted by -1
    derivation = Derivation(input=X, x=x, y=y, g=g, breakpoints=(), pieces=(), cells=(), pdf=pmf,
                            support=support, atoms={}, family=family, discrete=True, notes=tuple(notes))
    return Density(pmf, y, support, discrete=True, family=family, derivation=derivation, validate=False)


def _tidy(e: sp.Expr) -> sp.Expr:
    """The shortest of a few exact rewritings of e (branch by branch for a Piecewise) that
    brings in no hyperbolic functions: cosh(a) - cosh(b) cancels in floating point where the
    exponentials it came from do not."""
    if isinstance(e, sp.Piecewise):
        return sp.Piecewise(*[(_tidy(v), c) for v, c in e.args])
    hyperbolic = (sp.sinh, sp.cosh, sp.tanh)
    forms = [e]
    with time_budget(_SECONDS, "simplifying P(Y = k)"):
        for rewrite in (sp.factor, lambda v: sp.powsimp(sp.expand(v)), sp.simplify):
            try:
                forms.append(rewrite(e))
            except (NotImplementedError, ValueError, TypeError, sp.PolynomialError):
                continue
    kept = [f for f in forms if e.has(*hyperbolic) or not f.has(*hyperbolic)]
    return min(kept, key=sp.count_ops)


def letter_of(y: sp.Symbol) -> str:
    return y.name.upper() if len(y.name) == 1 else y.name


def _shifted_family_note(pmf: sp.Expr, y: sp.Symbol, support: sp.Set) -> list[Note]:
    """A note naming the catalog law of Y - s + 1 when Y lives on s, s+1, ... (floor of an
    Exponential is a Geometric shifted to start at 0)."""
    if not (isinstance(support, sp.Range) and support.stop == sp.oo and support.start.is_Integer
            and support.start != 1):
        return []
    shift = support.start - 1
    family = recognize_pmf(pmf.xreplace({y: y + shift}), y, sp.Range(1, sp.oo))
    if family is None:
        return []
    moved = sp.Symbol(letter_of(y)) - shift
    return [(moved, f" follows {family}: {letter_of(y)} is that law shifted by ", shift, ".")]


def _confirm(X: Density, pmf: sp.Expr, y: sp.Symbol, support: sp.Range, interval) -> None:
    """P(Y = k) against quadrature of f_X over [L(k), U(k)] for the first integers of the
    support, at parameter draws: a wrong closed form is refused here rather than returned."""
    lo, hi = X.support.start, X.support.end

    def check(values: dict, f: Callable) -> bool:
        try:
            a, b = to_float(lo, values), to_float(hi, values)
            concrete = support.xreplace(values)
            first, last = to_float(concrete.inf), to_float(concrete.sup)
        except ValueError:  # not a number, or an empty Range (no inf)
            return False
        if not a < b:
            return False
        start = int(first) if math.isfinite(first) else int(math.floor(_middle(a, b))) - _CHECKED // 2
        for v in range(start, int(min(start + _CHECKED, last + 1))):
            l, u = (to_float(e, values) for e in interval(sp.Integer(v)))
            l, u = max(l, a), min(u, b)
            _agree(pmf.subs(y, v), values, lambda: mpmath.quad(f, [l, u]) if l < u else 0.0,
                   f"the closed form of P(Y = {v})", "quadrature")
        return True

    _confirm_at_draws(X, check, "the pmf")


def _confirm_at_draws(X: Density, check: Callable[[dict, Callable], bool], what: str) -> None:
    """Run ``check(values, f_X)`` (which raises on a disagreement and says False when the draw
    is unusable) at parameter draws until two draws are checked; refuse when none can be."""
    params = sorted(X.params, key=lambda s: s.name)
    checked = 0
    for values in parameter_draws(params, n=8, seed=5) if params else [{}]:
        if check(values, sp.lambdify(X.var, _pmf_of(X).xreplace(values), "mpmath")):
            checked += 1
        if checked == 2:
            return
    if params and not checked:
        raise UnsupportedTransform("no parameter values consistent with the assumptions let covar "
                                   f"check {what}; state the parameters' ranges")


def _agree(closed: sp.Expr, values: dict, numeric: Callable[[], Any], what: str, how: str) -> None:
    """Refuse (NoClosedForm) unless the closed form at ``values`` matches ``numeric()``, the
    same quantity computed numerically at 20 digits."""
    with mpmath.workdps(20):
        want = float(numeric())
    got = to_float(closed, values, otherwise=math.nan)
    if not close(got, want, 1e-7, 1e-12):
        raise NoClosedForm(f"{what} = {got:.10g} disagrees with {how} {want:.10g}; covar does not return it")


def _middle(a: float, b: float) -> float:
    if math.isfinite(a) and math.isfinite(b):
        return (a + b) / 2
    return a + 1 if math.isfinite(a) else (b - 1 if math.isfinite(b) else 0.0)


# -- fractional part -------------------------------------------------------------------------
def _fractional_part(X: Density, g: sp.Expr, y: sp.Symbol, a: sp.Expr, b: sp.Expr, c: sp.Expr) -> Density:
    x, lo, hi = X.var, X.support.start, X.support.end
    k = sp.Symbol("k", integer=True)
    q_lo, q_hi = sorted([a * lo + b, a * hi + b], key=lambda e: (e != -sp.oo, e))
    # cut [0, c) where the ends of q's range fall modulo c
    cuts = {sp.Integer(0), c}
    for end in (q_lo, q_hi):
        if end.is_finite:
            if not end.is_number:
                raise UnsupportedTransform(f"the fractional part of a map of X needs numeric support "
                                           f"ends here (the support of X is {X.support})")
            cuts.add(sp.Mod(end, c))
    cuts_sorted = sorted(cuts, key=float)
    branch = (y + c * k - b) / a           # x on the k-th branch
    term = _pmf_of(X).xreplace({x: branch}) / abs(a)
    cells = []
    for u0, u1 in zip(cuts_sorted, cuts_sorted[1:]):
        mid = (u0 + u1) / 2
        k_lo = sp.floor((q_lo - mid) / c) + 1 if q_lo.is_finite else -sp.oo
        k_hi = sp.ceiling((q_hi - mid) / c) - 1 if q_hi.is_finite else sp.oo
        if k_lo.is_finite and k_hi.is_finite and k_hi < k_lo:
            continue
        raw = _branch_sum(term, k, k_lo, k_hi)
        # pieces=(): the branches are infinitely many; the record's one Piece shows branch k
        cells.append(Cell(sp.Interval.open(u0, u1), (), raw, simplify_on(raw, y, u0, u1)))
    pdf = sp.Piecewise(*[(cell.simplified, (y > cell.interval.start) & (y < cell.interval.end))
                         for cell in cells], (0, True))
    support = sp.Interval(0, c)
    _confirm_density(X, pdf, y, a, b, c)
    x0, x1 = (c * k - b) / a, (c * (k + 1) - b) / a  # the k-th branch: a*x + b in [c*k, c*(k + 1))
    piece = Piece(sp.Interval(x0, x1) if a > 0 else sp.Interval(x1, x0), g, "increasing" if a > 0 else "decreasing", inverse=branch, jacobian=1 / abs(a),
                  image=sp.Interval(0, c), contribution=term)
    many = 'infinitely many' if not (q_lo.is_finite and q_hi.is_finite) else 'finitely many'
    notes: list[Note] = [(g, " repeats with period ", c / abs(a), f" in {x}: on each branch, numbered by the integer "
                          "k, ", sp.Eq(x, branch, evaluate=False), f", and f_{letter_of(y)}({y}) sums ",
                          sp.Function(f"f_{letter_of(x)}")(x) / abs(a), f" over every integer k with {x} in the "
                          f"support ({many} branches, summed in closed form).")]
    derivation = Derivation(input=X, x=x, y=y, g=g, breakpoints=(), pieces=(piece,), cells=tuple(cells),
                            pdf=pdf, support=support, atoms={}, notes=tuple(notes))
    return Density(pdf, y, support, derivation=derivation, validate=False)


def _branch_sum(term: sp.Expr, k: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    try:
        with time_budget(_SECONDS, "the sum over branches"):
            total = sp.piecewise_fold(sp.summation(term, (k, lo, hi)))
            if total.has(sp.Sum):
                total = _geometric_sum(term, k, lo, hi)
    except (DerivationTimeout, NotImplementedError, ValueError, TypeError) as exc:
        raise NoClosedForm(f"the sum over the branches of the fractional part has no closed form ({exc})") from exc
    if isinstance(total, sp.Piecewise):  # convergence conditions: each branch is checked later
        total = next((e for e, _ in total.args if not e.has(sp.Sum)), total)
    if total.has(sp.Sum):
        raise NoClosedForm(f"sympy cannot sum {term} over k from {lo} to {hi} in closed form")
    return total


def _geometric_sum(term: sp.Expr, k: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    """Σ_k term with every exp(α*k + β) written r**k * exp(β), r = exp(α) a new positive
    symbol: sympy sums r**k (a geometric series) where it leaves exp(α*k) alone."""
    ratios: dict[sp.Expr, sp.Symbol] = {}

    def as_power(e: sp.Expr) -> sp.Expr:
        arg = sp.expand(e.args[0])
        alpha = arg.coeff(k)
        if alpha == 0 or (arg - alpha * k).has(k):
            return e
        r = ratios.setdefault(alpha, sp.Dummy("r", positive=True))
        return r ** k * sp.exp(arg - alpha * k)

    rewritten = sp.expand(term).replace(lambda e: isinstance(e, sp.exp) and e.has(k), as_power)
    total = sp.piecewise_fold(sp.summation(rewritten, (k, lo, hi)))
    return total.xreplace({r: sp.exp(alpha) for alpha, r in ratios.items()})


def _confirm_density(X: Density, pdf: sp.Expr, y: sp.Symbol, a: sp.Expr, b: sp.Expr, c: sp.Expr) -> None:
    """f_Y at points of (0, c) against a direct numeric sum of the branches, at parameter draws."""
    lo, hi = X.support.start, X.support.end

    def check(values: dict, f: Callable) -> bool:
        try:
            qa, qb = sorted(to_float(a * e + b, values) for e in (lo, hi))
        except ValueError:
            return False
        if not qa < qb:
            return False
        af, bf, cf = (to_float(e, values) for e in (a, b, c))
        for u in (cf * (j + 0.37) / _CHECKED for j in range(_CHECKED)):
            def branch(kk: Any) -> Any:
                q = u + cf * kk
                return f((q - bf) / af) / abs(af) if qa < q < qb else mpmath.mpf(0)
            k_lo = math.floor((qa - u) / cf) if math.isfinite(qa) else -mpmath.inf
            k_hi = math.ceil((qb - u) / cf) if math.isfinite(qb) else mpmath.inf
            _agree(pdf.subs(y, u), values, lambda: mpmath.nsum(branch, [k_lo, k_hi]),
                   f"the summed branches at y = {u:.4g}", "a direct sum")
        return True

    _confirm_at_draws(X, check, "the density")


def _pmf_of(X: Density) -> sp.Expr:
    """X's pdf (pmf) expression; the callers take only laws that have one."""
    if X.pdf is None:
        raise UnsupportedTransform("a numeric-only law has no expression to sum")
    return X.pdf
