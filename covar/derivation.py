"""The Derivation record: the one account of how a density was obtained.

Every front end (text, LaTeX, JSON, plots, gallery) renders these records; none re-derives.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp


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
    family: str | None = None
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
