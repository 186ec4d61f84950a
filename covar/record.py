"""The Derivation record: the one account of how a density was obtained.

Every front end (text, LaTeX, JSON, plots, gallery) renders these records; none re-derives.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sympy as sp

if TYPE_CHECKING:  # pragma: no cover
    from covar.laws.families import NamedLaw


def set_text(s: sp.Set) -> str:
    """A set in the interval notation people write: (0, oo), [0, 1], (-oo, 0) U (1, oo).

    >>> set_text(sp.Union(sp.Interval.open(-sp.oo, 0), sp.Interval(1, 2)))
    '(-oo, 0) U [1, 2]'
    """
    if isinstance(s, sp.Interval):
        left = "(" if s.left_open or s.start == -sp.oo else "["
        right = ")" if s.right_open or s.end == sp.oo else "]"
        return f"{left}{sp.sstr(s.start)}, {sp.sstr(s.end)}{right}"
    if isinstance(s, sp.Union):
        return " U ".join(set_text(part) for part in s.args)
    if isinstance(s, sp.FiniteSet):
        return "{" + ", ".join(sp.sstr(v) for v in s) + "}"
    return sp.sstr(s)


@dataclass(frozen=True)
class Piece:
    """One piece of the support of X on which g is smooth and monotone (or constant).

    ``kind`` is "increasing", "decreasing" or "constant". For monotone pieces ``inverse`` is
    h(y) with g(h(y)) = y, ``jacobian`` is |h'(y)| (written without Abs: the sign is known from
    the direction), ``image`` is g(piece) and ``contribution`` is f_X(h(y))·|h'(y)|. For constant
    pieces ``value`` is the constant and ``mass`` = ∫ f_X over the piece.
    """

    interval: sp.Interval
    g: sp.Expr
    kind: str
    inverse: sp.Expr | None = None
    jacobian: sp.Expr | None = None
    image: sp.Interval | None = None
    contribution: sp.Expr | None = None
    value: sp.Expr | None = None
    mass: sp.Expr | None = None
    rejected: tuple[sp.Expr, ...] = ()


@dataclass(frozen=True)
class Cell:
    """One interval of the y-line with the pieces that cover it and the summed density."""

    interval: sp.Interval
    pieces: tuple[int, ...]
    raw: sp.Expr
    simplified: sp.Expr


@dataclass(frozen=True)
class Derivation:
    """How Y = g(X) was derived: input, map, breakpoints, pieces, cells, result.

    ``input`` is the Density of X; when X was itself derived, ``previous`` is its derivation,
    so a composition keeps each step. ``notes`` are sentences for the reader (why a branch
    contributes nothing, which candidate inverse was rejected and why).
    """

    input: Any  # the Density of X (its own derivation, if any, is the previous step)
    x: sp.Symbol
    y: sp.Symbol
    g: sp.Expr
    breakpoints: tuple[sp.Expr, ...]
    pieces: tuple[Piece, ...]
    cells: tuple[Cell, ...]
    pdf: sp.Expr | None
    support: sp.Set
    atoms: dict
    family: "NamedLaw | None" = None
    discrete: bool = False
    closed_form: bool = True
    notes: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def previous(self) -> "Derivation | None":
        return getattr(self.input, "derivation", None)

    @property
    def input_pdf(self) -> sp.Expr | None:
        return self.input.pdf

    @property
    def input_support(self) -> sp.Set:
        return self.input.support

    @property
    def steps(self) -> tuple["Derivation", ...]:
        """All derivations from the first map to this one, oldest first."""
        chain = []
        d: Derivation | None = self
        while d is not None:
            chain.append(d)
            d = d.previous
        return tuple(reversed(chain))
