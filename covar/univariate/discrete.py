"""Discrete inputs: the pmf of Y = g(X) for X on a FiniteSet or a Range, by summing preimages.

Finitely many support points are pushed through g one by one. On an infinite Range, g is cut
into monotone pieces over the real hull (as for densities); bounded pieces are enumerated and
the one unbounded piece contributes p_X(h(y)) wherever h(y) is an integer of that piece.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import mpmath
import numpy as np
import sympy as sp

from covar.laws.density import Density
from covar.record import Derivation, Note, Piece, letter
from covar.errors import UnsupportedTransform
from covar.univariate.integer_maps import lattice_pmf
from covar.univariate.inverses import image_interval, inverse_on
from covar.univariate.pieces import monotone_pieces
from covar.univariate.pmf_families import recognize_pmf

_MAX_POINTS = 10_000
_SUM_SECONDS = 4.0  # one sympy summation


@dataclass(frozen=True)
class Tail:
    """The unbounded monotone piece of g over the integers first..(oo or -oo)."""

    first: sp.Expr
    last: sp.Expr
    inverse: sp.Expr
    pmf: sp.Expr  # p_X(h(y))


@dataclass(frozen=True)
class DiscreteLaw:
    """Point masses {y: p} plus an optional infinite tail, evaluable with numpy."""

    points: dict
    tail: Tail | None
    y: sp.Symbol
    x: sp.Symbol
    x_pmf: sp.Expr

    def pmf(self, params: tuple[sp.Symbol, ...]) -> Callable[..., np.ndarray]:
        keys = list(self.points)
        point_fns = [sp.lambdify(params, sp.Tuple(k, self.points[k]), "mpmath") for k in keys]
        tail = self.tail
        if tail is not None:
            preimages = self._tail_points(tail, params)
            px = sp.lambdify((self.x, *params), self.x_pmf, ["scipy", "numpy"])

        def evaluate(ys, *p):
            ys = np.asarray(ys, dtype=float)
            out = np.zeros(ys.shape)
            # an integer parameter as an int: a mass may be a finite Sum up to n (range(n + 1))
            exact = [int(round(float(v))) if s.is_integer else v for s, v in zip(params, p)]
            for fn in point_fns:
                where, mass = (float(v) for v in fn(*exact))
                out[np.isclose(ys, where, rtol=1e-12, atol=1e-12)] += mass
            if tail is not None:
                ks, ok = preimages(ys, *p)
                if ok.any():
                    out[ok] += np.asarray(px(ks[ok], *p), dtype=float)
            return out

        return evaluate

    def _tail_points(self, tail: Tail, params: tuple[sp.Symbol, ...]) -> Callable[..., tuple[np.ndarray, np.ndarray]]:
        """(ys, *p) -> (ks, ok): the tail's preimages h(y) as integers, and which are its points."""
        h = sp.lambdify((self.y, *params), tail.inverse, "numpy")
        ends = sp.lambdify(params, sp.Tuple(tail.first, tail.last), "numpy")

        def points(ys: np.ndarray, *p: Any) -> tuple[np.ndarray, np.ndarray]:
            lo, hi = sorted(float(v) for v in ends(*p))
            with np.errstate(all="ignore"):
                xs = np.asarray(h(ys, *p), dtype=float)
            ks = np.round(xs)
            return ks, np.isfinite(xs) & (np.abs(xs - ks) < 1e-9) & (ks >= lo) & (ks <= hi)

        return points

    def log_pmf(self, params: tuple[sp.Symbol, ...],
                compile_: Callable[[sp.Expr, Any], Callable[..., Any]]) -> Callable[..., np.ndarray] | None:
        """log of :meth:`pmf` computed in log space (finite where the pmf underflows), or None
        when the tail's pmf has no log form (then the log of the pmf is all there is)."""
        from covar.numeric.log_pmf import checked_log

        tail = self.tail
        if tail is None:
            return None
        log_px = checked_log(self.x_pmf, self.x, params, compile_)
        if log_px is None:
            return None
        masses = [sp.lambdify(params, sp.Tuple(k, self.points[k]), "mpmath") for k in self.points]
        preimages = self._tail_points(tail, params)

        def evaluate(ys, *p):
            ys = np.asarray(ys, dtype=float)
            out = np.full(ys.shape, -np.inf)
            ks, ok = preimages(ys, *p)
            if ok.any():
                out[ok] = log_px(ks[ok], *p)
            exact = [int(round(float(v))) if s.is_integer else v for s, v in zip(params, p)]
            for fn in masses:
                where, mass = fn(*exact)
                at = np.isclose(ys, float(where), rtol=1e-12, atol=1e-12)
                if at.any():
                    out[at] = np.logaddexp(out[at], float(mpmath.log(mass)) if mass > 0 else -np.inf)
            return out

        return evaluate


def _grouped(values: list[tuple[sp.Expr, sp.Expr]]) -> dict:
    table: dict = {}
    for where, mass in values:
        where = sp.nsimplify(where) if where.is_Float else sp.simplify(where)
        table[where] = table.get(where, 0) + mass
    return {k: sp.simplify(v) for k, v in table.items() if v != 0}


def _enumerate(points, pmf, x, g) -> list[tuple[sp.Expr, sp.Expr]]:
    out = []
    for k, point in enumerate(points):
        if k >= _MAX_POINTS:
            raise UnsupportedTransform(f"more than {_MAX_POINTS} support points to enumerate")
        out.append((g.subs(x, point), pmf.subs(x, point)))
    return out


def derive_discrete(X: Density, g: sp.Expr, y: sp.Symbol) -> Density:
    """The pmf of g(X) for a discrete X."""
    x, pmf, support = X.var, X.pdf, X.support
    tail = None
    notes: list[Note] = []
    pieces: list[Piece] = []
    numeric_range = isinstance(support, sp.Range) and not support.free_symbols and support.size.is_finite
    if not isinstance(support, sp.FiniteSet) and not numeric_range:
        lattice = lattice_pmf(X, g, y)  # periodic maps and floor(x/m): sums in closed form
        if lattice is not None:
            return lattice
    if isinstance(support, sp.FiniteSet) or numeric_range:
        pairs = _enumerate(list(support), pmf, x, g)
        notes.append((f"{letter(x)} takes {len(pairs)} values; each is mapped through g and equal images are merged.",))
    elif isinstance(support, sp.Range) and support.step == 1:
        pairs, tail = _infinite_range(X, g, y, pieces, notes)
    else:
        raise UnsupportedTransform(f"discrete support {support} is not a FiniteSet or a unit-step Range")
    points = _grouped(pairs)
    law = DiscreteLaw(points, tail, y, x, pmf)
    branches = [(m, sp.Eq(y, v)) for v, m in points.items()]
    if tail is not None:
        branches = [(m + _tail_at(tail, y, v), c) for (m, c), v in zip(branches, points)]
        run = _shifted_run(pieces[-1].g, x, tail)
        if run is not None:  # y itself runs over integers: say so in y (n - x: 0 <= y <= n)
            branches.append((tail.pmf, _integer_between(y, run.start, run.stop)))
        else:
            branches.append((tail.pmf, _integer_between(tail.inverse, *_range_args(tail))))
    out_pmf = sp.Piecewise(*branches, (0, True))
    out_support = sp.FiniteSet(*points)
    if tail is not None:  # the image of the tail's integers under the tail's own piece of g
        image = run if run is not None else sp.ImageSet(sp.Lambda(x, pieces[-1].g), sp.Range(*_range_args(tail)))
        try:
            out_support = sp.Union(out_support, image)
        except ValueError:  # sympy cannot order a Range with symbolic ends
            out_support = sp.Union(out_support, image, evaluate=False)
        out_support = _merged(out_support)
    finite = tail is None or (tail.first.is_finite and tail.last.is_finite)
    family = recognize_pmf(out_pmf, y, out_support) if finite else None
    derivation = Derivation(
        input=X, x=x, y=y, g=g, breakpoints=(), pieces=tuple(pieces), cells=(), pdf=out_pmf,
        support=out_support, atoms={}, family=family, discrete=True, notes=tuple(notes), law=law,
    )
    return Density(out_pmf, y, out_support, discrete=True, family=family, derivation=derivation,
                   validate=False)


def _range_args(tail: Tail) -> tuple:
    """Range(start, stop) of the tail's integers (a finite tail runs from first up to last)."""
    if tail.last == sp.oo:
        return tail.first, sp.oo
    if tail.last == -sp.oo:
        return -sp.oo, tail.first + 1
    return tail.first, tail.last + 1


def _ends(support: sp.Range) -> tuple[sp.Expr, sp.Expr]:
    """First and last integer of a unit-step Range (±oo at an open end), also when sympy cannot
    tell whether Range(a, b + 1) is empty."""
    try:
        return support.inf, support.sup
    except ValueError:
        return support.start, support.stop - 1


def _shifted_run(g: sp.Expr, x: sp.Symbol, tail: Tail) -> sp.Range | None:
    """The integers g takes on a finite tail when g = ±x + b with b an integer (a Range in y,
    Range(0, n + 1) for n - x on 0..n); None otherwise."""
    if not (tail.first.is_finite and tail.last.is_finite):
        return None
    slope, b = sp.diff(g, x), sp.expand(g - sp.diff(g, x) * x)
    if slope not in (1, -1) or b.has(x) or not b.is_integer:
        return None
    lo, hi = (g.subs(x, tail.first), g.subs(x, tail.last))
    lo, hi = (lo, hi) if slope == 1 else (hi, lo)
    return sp.Range(sp.expand(lo), sp.expand(hi) + 1)


def _tail_at(tail: Tail, y: sp.Symbol, v: sp.Expr) -> sp.Expr:
    """What the tail adds at an atom v: its pmf there when h(v) is one of the tail's integers.
    For a symbolic v that may or may not be (Min(x, c) for c > 0 meets the tail at y = c
    exactly when c is an integer) the answer is a Piecewise on that condition, never 0 by default."""
    xv = sp.simplify(tail.inverse.subs(y, v))
    there = _integer_between(xv, *_range_args(tail))
    if there is sp.false:
        return sp.Integer(0)
    return tail.pmf.subs(y, v) if there is sp.true else sp.Piecewise((tail.pmf.subs(y, v), there), (0, True))


def _infinite_range(X: Density, g, y, pieces: list[Piece], notes: list[Note]):
    """Head integers enumerated exactly; the unbounded monotone piece becomes a Tail."""
    x, pmf, support = X.var, X.pdf, X.support
    if pmf is None:
        raise UnsupportedTransform("this pmf is numeric-only: there is no expression to map term by term")
    lo, hi = _ends(support)
    if lo == -sp.oo and hi == sp.oo:
        raise UnsupportedTransform("a pmf on all of the integers is not supported; give a support with a finite end")
    if lo != -sp.oo and hi != sp.oo:  # finite but symbolic: its points cannot be listed
        return _symbolic_run(X, g, y, pieces, notes)
    # g's pieces over the real hull; the pmf plays no part in where g turns.
    _, raw = monotone_pieces(g, sp.Integer(1), x, sp.Interval(lo, hi))
    unbounded = [rp for rp in raw if rp.lo == -sp.oo or rp.hi == sp.oo]
    if len(unbounded) != 1:
        raise UnsupportedTransform("the pmf lives on integers between two ends, one of which depends on a parameter "
                                   "(a Binomial's n): covar enumerates such a support only when the parameters "
                                   "are numbers; give them numbers")
    (rp,) = unbounded
    # the support's end belongs to the open piece only where g is continuous there (sign(x)
    # jumps at x = 0: that point is enumerated on its own)
    if hi == sp.oo:
        inside = rp.lo == lo and sp.simplify(g.subs(x, lo) - rp.g.subs(x, lo)) == 0
        ends = (lo, sp.floor(rp.lo))
        first, last = (sp.floor(rp.lo) + 1 if not inside else lo), sp.oo
    else:
        inside = rp.hi == hi and sp.simplify(g.subs(x, hi) - rp.g.subs(x, hi)) == 0
        ends = (sp.ceiling(rp.hi), hi)
        first, last = (sp.ceiling(rp.hi) - 1 if not inside else hi), -sp.oo
    if not inside and not all(e.is_Integer for e in ends):
        # how many integers come before g turns monotone depends on a parameter
        return _symbolic_head(X, g, y, raw, rp, ends, first, pieces, notes)
    head = range(int(ends[0]), int(ends[1]) + 1) if not inside else range(0)
    if len(head) > _MAX_POINTS:
        raise UnsupportedTransform(f"more than {_MAX_POINTS} support points before g becomes monotone")
    pairs = _enumerate([sp.Integer(k) for k in head], pmf, x, g)
    if rp.kind == "constant":
        # every remaining integer maps to one value: its mass is what the head leaves over
        rest = sp.simplify(1 - sp.Add(*[m for _, m in pairs]))
        notes.append(("g is constant = ", rp.g, f" for {x} from ", first, " on: those points merge into one mass ",
                      rest, "."))
        return pairs + [(rp.g, rest)], None
    if head:
        notes.append((f"The {len(head)} support points {x} = {head.start}, ..., {head.stop - 1} are mapped one by one.",))
    return pairs, _one_to_one(X, y, rp, first, last, pieces, notes)


def _one_to_one(X: Density, y: sp.Symbol, rp: Any, first: sp.Expr, last: sp.Expr, pieces: list[Piece],
                notes: list[Note]) -> Tail:
    """The integers first..last (towards ±oo or to a finite end) on the monotone piece ``rp``:
    y has probability p_X(h(y)) when h(y) is one of them."""
    x, pmf = X.var, _pmf_of(X)
    image = image_interval(rp.g, x, rp.lo, rp.hi, rp.kind)
    inv = inverse_on(rp.g, x, y, rp.lo, rp.hi, image, rp.kind)
    pieces.append(Piece(sp.Interval(rp.lo, rp.hi), rp.g, rp.kind, inverse=inv.h, image=image))
    notes.append((f"For integers {x} from ", first, " towards ", last, f" g is {rp.kind}: {y} has probability ",
                  sp.Function(f"p_{letter(x)}")(inv.h), " when ", inv.h, " is such an integer."))
    return Tail(first, last, inv.h, pmf.subs(x, inv.h))


def _symbolic_run(X: Density, g: sp.Expr, y: sp.Symbol, pieces: list[Piece],
                  notes: list[Note]) -> tuple[list, Tail | None]:
    """The integers lo..hi of a support with symbolic ends (a Binomial's 0..n), never listed: g
    one to one on them (each y has the one preimage h(y)), or constant on the integers past a
    point k inside and one to one before it (Min(x, k), Max(x, k)). Whether k lies inside is a
    case of the parameters (UndecidedSign from the pieces splits it)."""
    x, pmf, support = X.var, _pmf_of(X), X.support
    lo, hi = _ends(support)
    _, raw = monotone_pieces(g, sp.Integer(1), x, sp.Interval(lo, hi))
    moving = [p for p in raw if p.kind != "constant"]
    flat = [p for p in raw if p.kind == "constant"]
    if not moving and len(flat) == 1:  # c*x at c = 0: every point maps to one value
        notes.append(("g is constant = ", flat[0].g, f" on the integers {x} = ", lo, ", ..., ", hi, ": all the mass is there."))
        return [(flat[0].g, sp.Integer(1))], None
    if len(moving) == 1 and not flat:
        notes.append((f"The integers {x} = ", lo, ", ..., ", hi, " are not listed: each ", y,
                      " has at most one preimage.",))
        return [], _one_to_one(X, y, moving[0], lo, hi, pieces, notes)
    if len(moving) == 1 and len(flat) == 1:
        (rp,), (part,) = moving, flat
        if part.lo == rp.hi:  # constant above k = part.lo (Min(x, k)): ceiling(k), ..., hi
            ends, first, last = (sp.ceiling(part.lo), hi), lo, sp.ceiling(part.lo) - 1
        else:  # constant below k = part.hi (Max(x, k)): lo, ..., floor(k)
            ends, first, last = (lo, sp.floor(part.hi)), sp.floor(part.hi) + 1, hi
        mass = _closed_sum(pmf, x, *ends)
        notes.append((f"{x} = ", ends[0], ", ..., ", ends[1], " all map to ", part.g,
                      f": one mass, the sum of p_{letter(x)} over them, ", mass, "."))
        return [(part.g, mass)], _one_to_one(X, y, rp, first, last, pieces, notes)
    names = ", ".join(sorted(s.name for s in support.free_symbols))
    raise UnsupportedTransform(
        f"g = {g} is neither one to one nor one to one up to a constant part over the integers {lo}, ..., {hi}, "
        f"whose number depends on {names}; give {names} a number to enumerate them")


def _symbolic_head(X: Density, g: sp.Expr, y: sp.Symbol, raw: list, rp: Any, ends: tuple[sp.Expr, sp.Expr],
                   first: sp.Expr, pieces: list[Piece], notes: list[Note]) -> tuple[list, Tail]:
    """The integers ends[0]..ends[1], whose count depends on a parameter, before the unbounded
    piece ``rp`` of g. Two shapes are taken: g constant on them and one to one after (Max(x, c)
    for c inside the support), or one to one on them and constant after (Min(x, c)); the
    constant part is one mass, a sum of the pmf (sympy's closed form when it has one), the one
    to one part a Tail. Other maps are refused, naming what would settle them."""
    x, pmf, support = X.var, _pmf_of(X), X.support
    head_pieces = [p for p in raw if p is not rp]
    count = ", ".join(sorted(s.name for s in (ends[1] - ends[0]).free_symbols))
    constant_head = all(p.kind == "constant" for p in head_pieces)
    if rp.kind == "constant" and len(head_pieces) == 1 and not constant_head:  # Min(x, c)
        (part,) = head_pieces
        lo, hi = _ends(support)
        rest = (ends[1] + 1, sp.oo) if hi == sp.oo else (lo, ends[0] - 1)
        mass = _closed_sum(pmf, x, *rest)
        notes.append((f"{x} = ", rest[0], ", ..., ", rest[1], " all map to ", rp.g, ": one mass ",
                      sp.Sum(pmf, (x, *rest)), " = ", mass, "."))
        return [(rp.g, mass)], _one_to_one(X, y, part, ends[0], ends[1], pieces, notes)
    values = {sp.simplify(p.g) for p in head_pieces}
    if rp.kind == "constant" or not constant_head or len(values) != 1:
        raise UnsupportedTransform(
            f"g = {g} is not one to one or constant over the integers {ends[0]}, ..., {ends[1]}, whose number "
            f"depends on {count}; give {count} a number (or state its sign) to enumerate them")
    (value,) = values
    mass = _closed_sum(pmf, x, *ends)
    notes.append((f"{x} = ", ends[0], ", ..., ", ends[1], " all map to ", value, ": one mass ",
                  sp.Sum(pmf, (x, *ends)), " = ", mass, "."))
    return [(value, mass)], _one_to_one(X, y, rp, ends[1] + 1 if support.sup == sp.oo else rp.hi,
                                        sp.oo if support.sup == sp.oo else -sp.oo, pieces, notes)


def _closed_sum(term: sp.Expr, k: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    """Σ_{k=lo}^{hi} term: sympy's closed form when it finds one in time, else the finite Sum
    itself (exact, and evaluable)."""
    from covar.errors import DerivationTimeout
    from covar.numeric.budget import time_budget

    try:
        with time_budget(_SUM_SECONDS, "a sum of the pmf"):
            total = sp.summation(term, (k, lo, hi))
    except (DerivationTimeout, NotImplementedError, ValueError, TypeError):
        return sp.Sum(term, (k, lo, hi))
    if total.has(sp.hyper, sp.meijerg):  # the finite sum reads better (and evaluates everywhere)
        return sp.Sum(term, (k, lo, hi))
    # sympy's conditions (lo <= hi, a geometric ratio below 1) hold on the law's own parameter
    # domain; the gate checks the result against samples of g(X)
    return total.replace(lambda e: isinstance(e, sp.Piecewise) and not e.args[0][0].has(sp.Sum),
                         lambda e: e.args[0][0]) if total.has(sp.Piecewise) else total


def _pmf_of(X: Density) -> sp.Expr:
    if X.pdf is None:
        raise UnsupportedTransform("this pmf is numeric-only: there is no expression to map term by term")
    return X.pdf


def _merged(support: sp.Set) -> sp.Set:
    """Points next to (or inside) a unit-step Range joined to it: {c} ∪ Range(c + 1, oo) is
    Range(c, oo), Range(0, c) ∪ {c} is Range(0, c + 1); other sets unchanged."""
    parts = list(support.args) if isinstance(support, sp.Union) else [support]
    ranges = [p for p in parts if isinstance(p, sp.Range) and p.step == 1]
    points = [p for p in parts if isinstance(p, sp.FiniteSet)]
    if len(ranges) != 1 or len(points) + 1 != len(parts):
        return support
    (rng,) = ranges
    start, stop = rng.start, rng.stop
    rest = []
    for v in (v for f in points for v in f):
        if sp.simplify(v - (start - 1)) == 0:
            start -= 1
        elif stop != sp.oo and sp.simplify(v - stop) == 0:
            stop += 1
        elif not (sp.simplify(v - start).is_nonnegative and (stop == sp.oo or sp.simplify(stop - v).is_positive)):
            rest.append(v)
    joined = sp.Range(start, stop)
    return sp.Union(joined, sp.FiniteSet(*rest), evaluate=False) if rest else joined


def _integer_between(h: sp.Expr, start: sp.Expr, stop: sp.Expr) -> sp.Basic:
    """h is an integer of Range(start, stop), written so that every evaluator can decide it
    (no Contains of an infinite Range, which the printers try to enumerate)."""
    whole = sp.Eq(h, sp.floor(h))
    below = sp.true if start == -sp.oo else h >= start
    above = sp.true if stop == sp.oo else h < stop
    return sp.And(whole, below, above)
