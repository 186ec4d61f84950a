"""The distribution function F_Y(y) = P(Y <= y) of a law, in closed form when it verifies.

For Y = g(X) the record's monotone pieces give, on each interval of the y-line between image
ends and atoms,

    F_Y(y) = Σ_k P(X ∈ piece k, g(X) <= y) + Σ (atoms at or below y),

where an increasing piece (lo, hi) covering y adds C_X(h_k(y)) - C_X(lo), a decreasing one
C_X(hi) - C_X(h_k(y)), a piece whose image lies below y its whole mass C_X(hi) - C_X(lo), and
C_X is the distribution function of X's continuous part (the catalog's CDF, the CDF derived for
X when X was itself derived, or the integral of f_X). A pmf's CDF is a cumulative sum.

Every closed form passes a gate before it is returned: at points in and around every interval
it must equal the atoms below the point plus the quadrature of the (verified) density, for
parameter draws that respect the assumptions. A formula that fails, or a law without one,
gets ``cdf = None`` and its CDF is evaluated numerically (:func:`cdf_function`).
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np
import sympy as sp

from covar.errors import CovarError
from covar.laws.density import Density
from covar.numeric.budget import time_budget
from covar.numeric.verify import close, parameter_draws, symbolic_values, to_float
from covar.record import CdfRecord, Derivation, DisplayStep, Formula, Label, Phrase, letter, sentence

#: seconds of sympy work (integrals, simplification) the CDF may spend per law
CDF_BUDGET = 10.0
#: the closed form must match the quadrature of the density within this (absolute)
CDF_ATOL = 1e-6


def _label(name: str, var: sp.Symbol, prefix: str = "F") -> Label:
    return Label(f"{prefix}_{name}({var})", f"{prefix}_{{{name}}}({sp.latex(var)})")


def _known(expr: sp.Expr | None) -> bool:
    """A usable closed form: no unevaluated integral or sum, no nan."""
    return expr is not None and not expr.has(sp.Integral, sp.Sum, sp.nan, sp.zoo)


def tidy(expr: sp.Expr) -> sp.Expr:
    """expr simplified when that is cheap (under a short budget), erfc written as 1 - erf so that
    they cancel; otherwise expr as it is.

    >>> mu = sp.Symbol("mu", real=True)
    >>> tidy((3 - sp.erf(mu) - sp.erfc(mu)) / 2)
    1
    """
    if sp.count_ops(expr) > 150:
        return expr
    try:
        with time_budget(2.0, "simplification"):
            best = sp.simplify(expr)
            if expr.has(sp.erfc):
                other = sp.simplify(expr.rewrite(sp.erf))
                best = other if sp.count_ops(other) < sp.count_ops(best) else best
            return best
    except CovarError:
        return expr


def _on_cell(expr: sp.Expr, y: sp.Symbol, lo: sp.Expr) -> sp.Expr:
    """expr with each inner Piecewise replaced by its branch when that branch's condition
    provably holds for every y >= lo (y = lo + t, t >= 0); undecided ones are kept."""
    if lo == -sp.oo or not expr.has(sp.Piecewise):
        return expr
    t = sp.Dummy("t", nonnegative=True)

    def resolve(pw: sp.Piecewise) -> sp.Expr:
        for value, cond in pw.args:
            holds = sp.simplify(cond.xreplace({y: lo + t})) if cond is not sp.true else sp.true
            if holds is sp.true:
                return value
            if holds is not sp.false:
                break
        return pw

    return expr.replace(lambda e: isinstance(e, sp.Piecewise), resolve)


# -- the distribution function of a law's continuous part -------------------------------------

def _integrated(law: Density) -> sp.Expr | None:
    """∫ f from the left end of a one-interval support to the variable (sympy, under the budget)."""
    from covar.univariate.pieces import support_intervals

    intervals = support_intervals(law.support)
    if len(intervals) != 1 or law.pdf is None:
        return None
    t = sp.Dummy("t", real=True)
    body = law.pdf.xreplace({law.var: t})
    if isinstance(body, sp.Piecewise):  # a derived pdf is 0 off its support: integrate the support's formula
        body = sp.piecewise_fold(body)
    try:
        with time_budget(CDF_BUDGET, "integral of the density"):
            out = sp.integrate(body, (t, intervals[0].start, law.var))
    except (CovarError, NotImplementedError, ValueError, TypeError):
        return None
    return out if _known(out) else None


def continuous_cdf(law: Density) -> tuple[sp.Expr | None, str]:
    """C(x) = ∫_{-oo}^x f, the distribution function of the law's continuous part, as an
    expression valid on the law's support, and where it came from; (None, why) without one."""
    if law.family is not None and not law.atoms:
        fam = law.family.entry.cdf(law.var, *law.family.args)
        if fam is not None:
            return fam, f"the catalog's distribution function of {law.family}"
    if isinstance(law.derivation, Derivation) and law.pdf is not None:
        record = derive_cdf(law)
        if record.cdf is not None:
            steps = _atom_steps(law.var, law.atoms)
            return sp.piecewise_fold(record.cdf - steps), f"the distribution function derived for {letter(law.var)}"
    got = _integrated(law)
    if got is not None:
        return got, f"the integral of f_{letter(law.var)}"
    return None, f"f_{letter(law.var)} has no closed-form integral"


def _atom_steps(var: sp.Symbol, atoms: Any) -> sp.Expr:
    """Σ mass · [var >= point] as a Piecewise sum."""
    return sp.Add(*[sp.Piecewise((m, var >= a), (0, True)) for a, m in dict(atoms).items()])


def _at(C: sp.Expr, x: sp.Symbol, end: sp.Expr, support: sp.Set, total: sp.Expr) -> sp.Expr:
    """C at an end of a piece: 0 at the support's left end, the continuous mass at its right end."""
    if end == -sp.oo or end == support.inf:
        return sp.Integer(0)
    if end == sp.oo or end == support.sup:
        return total
    value = C.xreplace({x: end})
    if not _known(value):
        try:
            with time_budget(CDF_BUDGET, "a limit of the distribution function"):
                value = sp.limit(C, x, end)
        except (CovarError, NotImplementedError, ValueError):
            return sp.nan
    return value


# -- Y = g(X): the pieces of the record ------------------------------------------------------------

def _pieces_cdf(Y: Density, d: Derivation) -> tuple[sp.Expr | None, tuple[DisplayStep, ...], list[Phrase]]:
    from covar.univariate.signs import sign_of, sort_points

    X, x, y = d.input, d.x, d.y
    C, source = continuous_cdf(X)
    if C is None:
        return None, (), [(f"No closed form: {sentence(str(source))}",)]
    FX = _label(letter(x), x, "C" if X.atoms else "F")
    total = sp.Integer(1) - X.total_atom_mass
    steps: list[DisplayStep] = [DisplayStep((f"Distribution function of {letter(x)}: ", source),
                                            (Formula(FX, (C,), ("for ", sp.Contains(x, X.support, evaluate=False))),))]
    monotone = [(k, p) for k, p in enumerate(d.pieces, start=1) if p.kind != "constant"]
    if any(p.inverse is None or p.image is None for _, p in monotone):
        return None, tuple(steps), [("No closed form: some piece of g has no closed-form inverse.",)]
    images: dict[int, sp.Interval] = {k: p.image for k, p in monotone if p.image is not None}
    atoms = {a: m for a, m in Y.atoms.items()}
    try:
        if len(images) == 1 and not atoms:  # one image interval: its ends are ordered by construction
            ends = [next(iter(images.values())).start, next(iter(images.values())).end]
        else:
            ends = sort_points([e for im in images.values() for e in (im.start, im.end)] + list(atoms),
                               "ends of the CDF's intervals")
    except CovarError as exc:
        return None, tuple(steps), [(f"No closed form: {sentence(str(exc))}",)]

    def position(e: sp.Expr) -> int:
        return next(i for i, v in enumerate(ends) if v == e or (not (v.is_infinite or e.is_infinite)
                                                                and sign_of(v - e) == 0))

    partial, whole = {}, {}
    for k, p in monotone:
        lo = _at(C, x, p.interval.start, X.support, total)
        hi = _at(C, x, p.interval.end, X.support, total)
        at_h = C.xreplace({x: p.inverse})
        partial[k] = at_h - lo if p.kind == "increasing" else hi - at_h
        whole[k] = hi - lo
        word = "F(h(y)) - F(left end)" if p.kind == "increasing" else "F(right end) - F(h(y))"
        steps.append(DisplayStep(
            (f"Piece {k}: on ", sp.Contains(x, p.interval, evaluate=False), f", g is {p.kind}, so for ",
             sp.Contains(y, p.image, evaluate=False), f" it adds P({letter(x)} in the piece, g({letter(x)}) <= {y}) = {word}"),
            (Formula(Label(f"P{k}({y})", f"P_{{{k}}}({sp.latex(y)})"), (partial[k],)),),
            ((f"above its image it adds its whole mass ", whole[k], "."),)))
    branches: list[tuple[sp.Expr, Any]] = []
    formulas = []
    FY = _label(letter(y), y)
    if ends[0] != -sp.oo:
        branches.append((sp.Integer(0), y < ends[0]))
    for i, lo_end in enumerate(ends):
        if lo_end == sp.oo:
            break
        hi_end = ends[i + 1] if i + 1 < len(ends) else sp.oo
        terms = []
        for k, p in monotone:
            a, b = position(images[k].start), position(images[k].end)
            if a <= i and i + 1 <= b:
                terms.append(partial[k])
            elif b <= i:
                terms.append(whole[k])
        terms += [m for a, m in atoms.items() if position(a) <= i]
        value = tidy(_on_cell(sp.Add(*terms), y, lo_end))
        where = sp.Interval.Ropen(lo_end, hi_end) if lo_end != -sp.oo else sp.Interval.open(lo_end, hi_end)
        formulas.append(Formula(FY, (value,), ("on ", sp.Contains(y, where, evaluate=False))))
        branches.append((value, y < hi_end if hi_end != sp.oo else sp.true))
    if ends[-1] != sp.oo:
        branches.append((sp.Integer(1), sp.true))
    rule: Phrase = ("Sum over the pieces and atoms: ", FY, f" = Σₖ P({letter(x)} in piece k, g({letter(x)}) <= {y})"
                    f" + Σ (atoms <= {y})")
    steps.append(DisplayStep(rule, tuple(formulas)))
    cdf = sp.Piecewise(*branches)
    if cdf.has(sp.nan, sp.zoo):
        return None, tuple(steps), [("No closed form: the distribution function of X has no value at a piece end.",)]
    return cdf, tuple(steps), []


# -- a law without a univariate record: catalog, integral, or a cumulative sum ----------------------

def _law_cdf(Y: Density) -> tuple[sp.Expr | None, tuple[DisplayStep, ...], list[Phrase]]:
    y = Y.var
    C, source = continuous_cdf(Y)
    if C is None:
        return None, (), [(f"No closed form: {sentence(str(source))}",)]
    lo, hi = Y.support.inf, Y.support.sup
    body = sp.piecewise_fold(C + _atom_steps(y, Y.atoms)) if Y.atoms else C
    branches = ([(sp.Integer(0), y < lo)] if lo != -sp.oo else []) + [(body, y < hi if hi != sp.oo else sp.true)]
    if hi != sp.oo:
        branches.append((sp.Integer(1), sp.true))
    cdf = sp.Piecewise(*branches)
    steps = (DisplayStep(("Distribution function: ", source),
                         (Formula(_label(letter(y), y), (cdf,)),)),)
    return cdf, steps, []


def _discrete_cdf(Y: Density) -> tuple[sp.Expr | None, tuple[DisplayStep, ...], list[Phrase]]:
    y = Y.var
    law = getattr(Y.derivation, "law", None)
    if law is not None:
        if law.tail is not None:
            return None, (), [("No closed form: the pmf has an infinite tail of preimages; the CDF is summed numerically.",)]
        points = dict(law.points)
    elif Y.family is not None and Y.family.entry.cdf_fn is not None:
        return _law_cdf(Y)
    elif Y.pdf is not None and not Y.support.free_symbols and (
            isinstance(Y.support, sp.FiniteSet)
            or (isinstance(Y.support, sp.Range) and Y.support.size.is_finite is True and Y.support.size <= 10_000)):
        points = {v: Y.pdf.xreplace({y: v}) for v in Y.support}
    else:
        return None, (), [("No closed form: the cumulative sum of this pmf is not known in closed form.",)]
    from covar.univariate.signs import sort_points

    try:
        order = sort_points(list(points), "support points")
    except CovarError as exc:
        return None, (), [(f"No closed form: {sentence(str(exc))}",)]
    branches: list[tuple[sp.Expr, Any]] = [(sp.Integer(0), y < order[0])]
    acc = sp.Integer(0)
    for here, nxt in zip(order, order[1:]):
        acc = tidy(acc + points[here])
        branches.append((acc, y < nxt))
    branches.append((sp.Integer(1), sp.true))
    cdf = sp.Piecewise(*branches)
    steps = (DisplayStep((f"Cumulative sums of p_{letter(y)} over the support points in increasing order",),
                         (Formula(_label(letter(y), y), (cdf,)),)),)
    return cdf, steps, []


# -- the gate ----------------------------------------------------------------------------------------

def _draw_params(Y: Density, cdf: sp.Expr) -> list[sp.Symbol]:
    from covar.numeric.evaluate import upstream_names

    upstream = upstream_names(Y)
    syms = set(Y.params) | (cdf.free_symbols - {Y.var})
    d = Y.derivation
    while isinstance(d, Derivation):  # parameters that only upstream laws use still need values
        syms |= set(d.input.params) | (d.g.free_symbols - {d.x})
        d = d.input.derivation
    return sorted((s for s in syms if s in set(Y.params) or s.name in upstream or s in cdf.free_symbols),
                  key=lambda s: s.name)


def _probe(lo: float, hi: float) -> list[float]:
    """Points inside the interval (lo, hi) (infinite ends allowed) and just beyond its finite ends."""
    from covar.numeric.verify import interior_samples

    pts = interior_samples(lo, hi, 4)
    pts += [e + s * max(1.0, abs(e)) * 0.05 for e, s in ((lo, -1.0), (hi, 1.0)) if math.isfinite(e)]
    pts += [s * 50.0 for e, s in ((lo, -1.0), (hi, 1.0)) if math.isinf(e)]  # far into an infinite tail
    return pts


def law_pieces(Y: Density, named: dict[str, float]) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """The intervals (lo, hi) the density lives on, cut at the record's cell ends (where it may be
    singular, so quadrature splits there), and the atoms (point, mass), at the values ``named``.
    Raises ValueError when a value is not real."""
    from covar.univariate.pieces import support_intervals

    d = Y.derivation
    cells = ([c.interval for c in d.cells] if isinstance(d, Derivation) and d.cells and d.pdf is Y.pdf
             else support_intervals(Y.support))
    intervals = [(to_float(iv.start, named), to_float(iv.end, named)) for iv in cells]
    atoms = [(to_float(a, named), to_float(m, named)) for a, m in Y.atoms.items()]
    return [(a, b) for a, b in intervals if a < b], atoms


def _scalar(Y: Density, named: dict[str, float]) -> Callable[[float], float]:
    f = Y.numpy(backend="numpy")

    def scalar(t: float) -> float:
        with np.errstate(all="ignore"):
            v = float(np.asarray(f(np.array([t]), **named), dtype=float)[0])
        return v if math.isfinite(v) else 0.0

    return scalar


def _reference(Y: Density, named: dict[str, float]) -> Callable[[float], float] | None:
    """t -> P(Y <= t) from the (verified) density by quadrature, or None when it is not finite."""
    from covar.numeric.quadrature import continuous_mass

    if Y.discrete:
        return _pmf_cumulative(Y, named)
    try:
        intervals, atoms = law_pieces(Y, named)
    except ValueError:
        return None
    if not intervals and not atoms:
        return None
    scalar = _scalar(Y, named)

    def F(t: float) -> float:
        parts = [(a, min(b, t)) for a, b in intervals if min(b, t) > a]
        return continuous_mass(scalar, parts) + sum(m for a, m in atoms if a <= t)

    return F


def _numeric_cdf(Y: Density, named: dict[str, float], ts: np.ndarray) -> np.ndarray:
    """P(Y <= t) at many points in one vectorised pass: on each interval of the density,
    Gauss–Legendre on a grid geometrically dense next to its ends (integrable singularities) and
    through every query point, summed cumulatively; plus the atoms at or below each point."""
    from covar.numeric.quadrature import segment_masses
    from covar.numeric.sampling import _grid  # the grid the mass check integrates on

    out = np.full(ts.shape, math.nan)
    ok = ~np.isnan(ts)
    if Y.discrete:
        ref = _pmf_cumulative(Y, named)
        if ref is None:
            raise CovarError("the CDF of this pmf cannot be evaluated at these parameter values")
        out[ok] = [ref(float(t)) for t in ts[ok]]
        return out
    try:
        intervals, atoms = law_pieces(Y, named)
    except ValueError as exc:
        raise CovarError(f"the CDF cannot be evaluated at these parameter values ({exc})") from exc
    vector = Y.numpy(backend="numpy")
    query = ts[ok]
    total = np.array([sum(m for p, m in atoms if p <= t) for t in query], dtype=float)
    for a, b in intervals:
        inside = query[(query > a) & (query < b)]
        grid = np.unique(np.concatenate([_grid(a, b), inside]))
        grid = grid[np.isfinite(grid)]
        with np.errstate(all="ignore"):
            masses = segment_masses(lambda v: vector(v, **named), grid[:-1], grid[1:], split=1)
        cum = np.concatenate([[0.0], np.cumsum(masses)])
        at = np.clip(np.searchsorted(grid, np.clip(query, grid[0], grid[-1])), 0, len(grid) - 1)
        total += np.where(query <= a, 0.0, np.where(query >= b, cum[-1], cum[at]))
    out[ok] = total
    return out


def pmf_points(law: Density, named: dict[str, float]) -> tuple[np.ndarray, np.ndarray, bool] | None:
    """(points, masses, complete) of a pmf on a FiniteSet or a Range with a finite start, at the
    parameter values ``named``; an infinite range is summed in chunks until the remaining mass is
    below 1e-13 (``complete`` is False when a value stopped being finite first). None when the
    support cannot be enumerated."""
    pts = _support_points(law, named)
    if pts is None or not len(pts):
        return None
    f = law.numpy(backend="numpy")
    parts, total, complete = [], 0.0, True
    for start in range(0, len(pts), 512):
        with np.errstate(all="ignore"):
            chunk = np.asarray(f(pts[start:start + 512], **named), dtype=float)
        if not np.all(np.isfinite(chunk)):
            parts.append(chunk[:int(np.argmin(np.isfinite(chunk)))])
            complete = False
            break
        parts.append(chunk)
        total += float(chunk.sum())
        if total >= 1.0 - 1e-13:
            break
    masses = np.concatenate(parts)
    return pts[:len(masses)], masses, complete and (len(masses) == len(pts) or total >= 1.0 - 1e-13)


def _pmf_cumulative(Y: Density, named: dict[str, float]) -> Callable[[float], float] | None:
    """t -> Σ p(k) over support points k <= t (nan beyond the points that could be summed)."""
    got = pmf_points(Y, named)
    if got is None:
        return None
    known, masses, complete = got
    cum = np.cumsum(masses)

    def F(t: float) -> float:
        i = int(np.searchsorted(known, t + 1e-9, side="right")) - 1
        if i >= len(cum) - 1 and not complete:
            return math.nan  # beyond the points summed: unknown
        return float(cum[i]) if i >= 0 else 0.0

    return F


def _support_points(Y: Density, named: dict[str, float]) -> np.ndarray | None:
    support = Y.support
    sub = {s: named[s.name] for s in getattr(support, "free_symbols", set()) if s.name in named}
    support = support.xreplace({s: sp.Float(v) if not float(v).is_integer() else sp.Integer(int(v))
                                for s, v in sub.items()}) if sub else support
    if isinstance(support, sp.FiniteSet):
        try:
            return np.array(sorted(to_float(v) for v in support))
        except ValueError:
            return None
    if isinstance(support, sp.Range) and support.inf.is_finite:
        start = int(support.inf)
        stop = int(support.sup) + 1 if support.sup.is_finite else start + 200_000
        return np.arange(start, min(stop, start + 200_000), dtype=float)
    return None


def confirm(Y: Density, cdf: sp.Expr) -> str | None:
    """None when ``cdf`` equals the atoms plus the quadrature of Y's density at points in and
    around every interval of the support (and tends to 0 and 1 at the ends), for up to two
    parameter draws; otherwise what disagreed. nan, inf and complex values fail."""
    from covar.univariate.pieces import support_intervals

    params = _draw_params(Y, cdf)
    checked = 0
    for values in parameter_draws(params, n=6 if params else 1, seed=20261130):
        named = {s.name: float(v) for s, v in values.items()}
        try:
            ref = _reference(Y, named)
            if Y.discrete:
                found = _support_points(Y, named)
                pts = [] if found is None else [float(p) for p in found[:12]]
                pts = sorted(set(pts + [p + 0.5 for p in pts] + ([pts[0] - 1.0] if pts else [])))
            else:
                bounds = [(to_float(iv.start, values), to_float(iv.end, values))
                          for iv in support_intervals(Y.support)]
                bounds += [(to_float(a, values),) * 2 for a in Y.atoms]
                if not any(a < b for a, b in bounds[:len(bounds) - len(Y.atoms)]) and not Y.atoms:
                    continue
                pts = sorted({t for a, b in bounds for t in (_probe(a, b) if a < b else _probe(a, a))})
        except (ValueError, TypeError):
            continue
        if ref is None or not pts:
            continue
        with np.errstate(all="ignore"):
            want = [ref(t) for t in pts]
        if not all(math.isfinite(w) for w in want):
            continue
        got = symbolic_values(cdf.xreplace(values), Y.var, pts, {})
        for t, g_, w in zip(pts, got, want):
            if not close(g_, w, 1e-6, CDF_ATOL):
                return f"F({t:.6g}) is {complex(g_).real:.10g} but the density integrates to {w:.10g} (parameters {named or 'none'})"
        checked += 1
        if checked == 2:
            break
    return None if checked else "no parameter draw gave a law to check the CDF against"


# -- the entry points --------------------------------------------------------------------------------

def derive_cdf(Y: Density) -> CdfRecord:
    """The CDF of Y with its derivation steps: ``record.cdf`` is a verified Piecewise in Y.var
    (0 below the support, 1 above it), or None (then ``record.notes`` say why).

    >>> import covar
    >>> Y = covar.transform("Exponential(1)", "2*x")
    >>> derive_cdf(Y).cdf
    Piecewise((0, y < 0), (1 - exp(-y/2), True))
    """
    try:
        with time_budget(4 * CDF_BUDGET, "distribution function"):
            if Y.discrete:
                cdf, steps, notes = _discrete_cdf(Y)
            elif Y.pdf is None:
                cdf, steps, notes = None, (), [("No closed form: the density itself is numeric-only.",)]
            elif isinstance(Y.derivation, Derivation) and Y.derivation.pieces and Y.derivation.pdf is not None:
                cdf, steps, notes = _pieces_cdf(Y, Y.derivation)
            else:
                cdf, steps, notes = _law_cdf(Y)
            if cdf is not None:
                why = confirm(Y, cdf)
                if why is None:
                    notes.append(("The distribution function was verified numerically against the atoms plus "
                                  "the quadrature of the density.",))
                else:
                    notes.append((f"The closed form failed verification ({why}); the CDF is evaluated numerically.",))
                    cdf = None
    except CovarError as exc:  # a time budget ran out, or sympy refused
        cdf, steps, notes = None, (), [(f"No closed form: {sentence(str(exc))}",)]
    return CdfRecord(Y, cdf, steps, tuple(notes))


def cdf_function(Y: Density, cdf: sp.Expr | None) -> Callable[..., np.ndarray]:
    """Vectorised ``F(ys, **params) -> ndarray``: the compiled closed form when there is one,
    else the atoms plus the quadrature of the density (a pmf: cumulative sums)."""
    from covar.numeric.evaluate import NUMPY_MODULES, given_values, upstream_names

    params: Sequence[sp.Symbol] = Y.params
    ignorable = upstream_names(Y)
    if cdf is not None:
        extra = sorted(cdf.free_symbols - {Y.var} - set(params), key=lambda s: s.name)
        args = (*params, *extra)
        f = sp.lambdify((Y.var, *args), cdf, modules=NUMPY_MODULES)

        def closed(ys: Any, **values: float) -> np.ndarray:
            p = given_values(args, values, ignorable)
            arr = np.asarray(ys, dtype=float)
            with np.errstate(all="ignore"):
                out = np.array(np.broadcast_to(np.asarray(f(arr, *p), dtype=float), arr.shape))
            out[np.isnan(arr)] = math.nan
            return np.clip(out, 0.0, 1.0)

        return closed

    def numeric(ys: Any, **values: float) -> np.ndarray:
        given_values(params, values, ignorable)
        arr = np.asarray(ys, dtype=float)
        out = _numeric_cdf(Y, dict(values), arr.ravel())
        return np.clip(out, 0.0, 1.0).reshape(arr.shape)

    return numeric
