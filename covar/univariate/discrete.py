"""Discrete inputs: the pmf of Y = g(X) for X on a FiniteSet or a Range, by summing preimages.

Finitely many support points are pushed through g one by one. On an infinite Range, g is cut
into monotone pieces over the real hull (as for densities); bounded pieces are enumerated and
the one unbounded piece contributes p_X(h(y)) wherever h(y) is an integer of that piece.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

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
            h = sp.lambdify((self.y, *params), tail.inverse, "numpy")
            px = sp.lambdify((self.x, *params), self.x_pmf, ["scipy", "numpy"])
            ends = sp.lambdify(params, sp.Tuple(tail.first, tail.last), "numpy")

        def evaluate(ys, *p):
            ys = np.asarray(ys, dtype=float)
            out = np.zeros(ys.shape)
            for fn in point_fns:
                where, mass = (float(v) for v in fn(*p))
                out[np.isclose(ys, where, rtol=1e-12, atol=1e-12)] += mass
            if tail is not None:
                lo, hi = sorted(float(v) for v in ends(*p))
                with np.errstate(all="ignore"):
                    xs = np.asarray(h(ys, *p), dtype=float)
                ks = np.round(xs)
                ok = np.isfinite(xs) & (np.abs(xs - ks) < 1e-9) & (ks >= lo) & (ks <= hi)
                if ok.any():
                    out[ok] += np.asarray(px(ks[ok], *p), dtype=float)
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
        branches.append((tail.pmf, sp.Contains(tail.inverse, sp.Range(*_range_args(tail)))))
    out_pmf = sp.Piecewise(*branches, (0, True))
    out_support = sp.FiniteSet(*points)
    if tail is not None:
        out_support = sp.Union(out_support, sp.ImageSet(sp.Lambda(x, g), sp.Range(*_range_args(tail))))
    family = recognize_pmf(out_pmf, y, out_support) if tail is None else None
    derivation = Derivation(
        input=X, x=x, y=y, g=g, breakpoints=(), pieces=tuple(pieces), cells=(), pdf=out_pmf,
        support=out_support, atoms={}, family=family, discrete=True, notes=tuple(notes), law=law,
    )
    return Density(out_pmf, y, out_support, discrete=True, family=family, derivation=derivation,
                   validate=False)


def _range_args(tail: Tail) -> tuple:
    lo, hi = sorted([tail.first, tail.last], key=lambda v: (v == sp.oo, v != -sp.oo, v))
    return (lo, hi) if hi == sp.oo else (lo, hi + 1)


def _tail_at(tail: Tail, y: sp.Symbol, v: sp.Expr) -> sp.Expr:
    xv = sp.simplify(tail.inverse.subs(y, v))
    lo, hi = _range_args(tail)
    if xv.is_integer and bool(xv >= lo) and (hi == sp.oo or bool(xv < hi)):
        return tail.pmf.subs(y, v)
    return sp.Integer(0)


def _infinite_range(X: Density, g, y, pieces: list[Piece], notes: list[Note]):
    """Head integers enumerated exactly; the unbounded monotone piece becomes a Tail."""
    x, pmf, support = X.var, X.pdf, X.support
    if pmf is None:
        raise UnsupportedTransform("this pmf is numeric-only: there is no expression to map term by term")
    lo, hi = support.inf, support.sup
    if lo == -sp.oo and hi == sp.oo:
        raise UnsupportedTransform("a pmf on all of the integers is not supported; give a support with a finite end")
    if lo != -sp.oo and hi != sp.oo:  # finite but symbolic: its points cannot be listed
        raise UnsupportedTransform(f"the support {support} has symbolic ends, so its points cannot be listed; "
                                   f"give {', '.join(sorted(s.name for s in support.free_symbols))} a number")
    # g's pieces over the real hull; the pmf plays no part in where g turns.
    _, raw = monotone_pieces(g, sp.Integer(1), x, sp.Interval(lo, hi))
    unbounded = [rp for rp in raw if rp.lo == -sp.oo or rp.hi == sp.oo]
    (rp,) = unbounded
    # the support's end belongs to the open piece only where g is continuous there (sign(x)
    # jumps at x = 0: that point is enumerated on its own)
    if hi == sp.oo:
        inside = rp.lo == lo and sp.simplify(g.subs(x, lo) - rp.g.subs(x, lo)) == 0
        head = range(int(lo), int(sp.floor(rp.lo)) + 1) if not inside else range(0)
        first, last = (sp.floor(rp.lo) + 1 if not inside else lo), sp.oo
    else:
        inside = rp.hi == hi and sp.simplify(g.subs(x, hi) - rp.g.subs(x, hi)) == 0
        head = range(int(sp.ceiling(rp.hi)), int(hi) + 1) if not inside else range(0)
        first, last = (sp.ceiling(rp.hi) - 1 if not inside else hi), -sp.oo
    if len(head) > _MAX_POINTS:
        raise UnsupportedTransform(f"more than {_MAX_POINTS} support points before g becomes monotone")
    pairs = _enumerate([sp.Integer(k) for k in head], pmf, x, g)
    if rp.kind == "constant":
        # every remaining integer maps to one value: its mass is what the head leaves over
        rest = sp.simplify(1 - sp.Add(*[m for _, m in pairs]))
        notes.append(("g is constant = ", rp.g, f" for {x} from ", first, " on: those points merge into one mass ",
                      rest, "."))
        return pairs + [(rp.g, rest)], None
    image = image_interval(rp.g, x, rp.lo, rp.hi, rp.kind)
    inv = inverse_on(rp.g, x, y, rp.lo, rp.hi, image, rp.kind)
    tail = Tail(first, last, inv.h, pmf.subs(x, inv.h))
    pieces.append(Piece(sp.Interval(rp.lo, rp.hi), rp.g, rp.kind, inverse=inv.h, image=image))
    if head:
        notes.append((f"The {len(head)} support points {x} = {head.start}, ..., {head.stop - 1} are mapped one by one.",))
    notes.append((f"For integers {x} from ", first, " towards ", last, f" g is {rp.kind}: {y} has probability ",
                  sp.Function(f"p_{letter(x)}")(inv.h), " when ", inv.h, " is such an integer."))
    return pairs, tail
