"""Elementwise layers y_i = g(z_i): a table of one-dimensional bijections, diagonal Jacobian.

Each row of :data:`ELEMENTWISE_MAPS` gives g, g^{-1}, log|g'|, log|(g^{-1})'| and the image of g,
symbolically; the layer builds everything else from the row (its numpy evaluators are the row
lambdified, so they cannot disagree with the closed forms). Adding a map is adding one row.

>>> sorted(ELEMENTWISE_MAPS)
['exp', 'leaky_relu', 'sigmoid', 'tanh']
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import sympy as sp

from covar.errors import CovarError, UnsupportedTransform
from covar.flows.base import BatchMap, Exprs, Layer, NumpyMap, Symbols, default_symbols
from covar.text.values import as_expression

# one-dimensional piece of the map at a point, given the layer's slope (None for maps without one)
_Piece = Callable[[sp.Expr, Any], sp.Expr]


@dataclass(frozen=True)
class ElementwiseMap:
    """A bijection g of the real line (onto its image) with its inverse and log-derivatives."""

    forward: _Piece  # g(z)
    inverse: _Piece  # g^{-1}(y)
    log_derivative: _Piece  # log|g'(z)|
    inverse_log_derivative: _Piece  # log|(g^{-1})'(y)| = -log|g'(g^{-1}(y))|
    image: Callable[[sp.Expr], sp.Basic]  # where g(z) can be
    default_slope: float | None = None  # set for maps with a positive slope parameter


ELEMENTWISE_MAPS: dict[str, ElementwiseMap] = {
    "exp": ElementwiseMap(
        forward=lambda z, a: sp.exp(z),
        inverse=lambda y, a: sp.log(y),
        log_derivative=lambda z, a: z,
        inverse_log_derivative=lambda y, a: -sp.log(y),
        image=lambda y: y > 0),
    "tanh": ElementwiseMap(
        forward=lambda z, a: sp.tanh(z),
        inverse=lambda y, a: sp.atanh(y),
        log_derivative=lambda z, a: -2 * sp.log(sp.cosh(z)),  # tanh' = sech^2
        inverse_log_derivative=lambda y, a: -sp.log(1 - y ** 2),
        image=lambda y: (y > -1) & (y < 1)),
    "sigmoid": ElementwiseMap(
        forward=lambda z, a: 1 / (1 + sp.exp(-z)),
        inverse=lambda y, a: sp.log(y / (1 - y)),
        log_derivative=lambda z, a: -sp.log(1 + sp.exp(-z)) - sp.log(1 + sp.exp(z)),  # sigma (1 - sigma)
        inverse_log_derivative=lambda y, a: -sp.log(y) - sp.log(1 - y),
        image=lambda y: (y > 0) & (y < 1)),
    "leaky_relu": ElementwiseMap(
        forward=lambda z, a: sp.Piecewise((z, z >= 0), (a * z, True)),
        inverse=lambda y, a: sp.Piecewise((y, y >= 0), (y / a, True)),
        log_derivative=lambda z, a: sp.Piecewise((0, z >= 0), (sp.log(a), True)),
        inverse_log_derivative=lambda y, a: sp.Piecewise((0, y >= 0), (-sp.log(a), True)),
        image=lambda y: sp.true,
        default_slope=0.01),
}


@dataclass(frozen=True, eq=False)
class Elementwise(Layer):
    """y_i = g(z_i) on the components where ``mask`` is 1 (all by default); diagonal Jacobian.

    ``kind`` names a row of :data:`ELEMENTWISE_MAPS`: "exp", "tanh", "sigmoid" or "leaky_relu"
    (``slope`` a > 0 for z < 0).

    >>> Elementwise("leaky_relu", dim=2, slope=sp.Rational(1, 10)).log_det_jacobian
    Piecewise((0, z1 >= 0), (-log(10), True)) + Piecewise((0, z2 >= 0), (-log(10), True))
    >>> Elementwise("exp", mask=(1, 0)).inverse
    (log(y1), y2)
    """

    kind: str
    dim_: int | None = None
    mask: tuple[int, ...] = ()
    slope: Any = None
    inputs: Symbols = ()
    outputs: Symbols = ()

    def __init__(self, kind: str, dim: int | None = None, mask: Sequence[int] = (), slope: Any = None,
                 inputs: Sequence[sp.Symbol] = (), outputs: Sequence[sp.Symbol] = ()) -> None:
        row = ELEMENTWISE_MAPS.get(kind)
        if row is None:
            raise UnsupportedTransform(
                f"unknown elementwise bijection {kind!r}; use one of {tuple(ELEMENTWISE_MAPS)}")
        d = len(mask) or len(inputs) or dim
        if not d:
            raise CovarError("give dim=, mask= or inputs= so the layer knows its dimension")
        a = None
        if row.default_slope is not None:
            a = as_expression(row.default_slope if slope is None else slope, what="slope")
            if not a.is_positive:
                raise UnsupportedTransform(
                    f"{kind} needs a slope known to be positive to be a bijection, got {a}; "
                    "pass a positive number or a symbol declared positive=True")
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "dim_", d)
        object.__setattr__(self, "mask", tuple(int(m) for m in mask) or (1,) * d)
        object.__setattr__(self, "slope", a)
        object.__setattr__(self, "inputs", tuple(inputs) or default_symbols("z", d))
        object.__setattr__(self, "outputs", tuple(outputs) or default_symbols("y", d))

    @property
    def bijection(self) -> ElementwiseMap:
        """The table row of this layer's g."""
        return ELEMENTWISE_MAPS[self.kind]

    def _each(self, piece: _Piece, point: Sequence[sp.Expr]) -> list[sp.Expr]:
        """piece at the masked components of point."""
        return [piece(v, self.slope) for v, m in zip(point, self.mask) if m]

    def _apply(self, piece: _Piece, point: Sequence[sp.Expr]) -> Exprs:
        """point with piece applied to the masked components; the others are passed through."""
        return tuple(piece(v, self.slope) if m else v for v, m in zip(point, self.mask))

    def forward_at(self, z: Sequence[sp.Expr]) -> Exprs:
        return self._apply(self.bijection.forward, z)

    def inverse_at(self, y: Sequence[sp.Expr]) -> Exprs:
        return self._apply(self.bijection.inverse, y)

    def log_det_at(self, z: Sequence[sp.Expr]) -> sp.Expr:
        return sp.Add(*self._each(self.bijection.log_derivative, z))

    def inverse_log_det_at(self, y: Sequence[sp.Expr]) -> sp.Expr:
        return sp.Add(*self._each(self.bijection.inverse_log_derivative, y))

    def output_condition_at(self, y: Sequence[sp.Expr]) -> sp.Basic:
        image = self.bijection.image
        return sp.And(*[image(v) for v, m in zip(y, self.mask) if m])

    def passthrough(self) -> dict[int, int]:
        return {i: i for i, m in enumerate(self.mask) if not m}

    def _numpy(self, which: NumpyMap) -> BatchMap:
        # One vectorised call over all selected columns (the map is the same on each).
        piece = {"forward": self.bijection.forward, "inverse": self.bijection.inverse,
                 "log_det": self.bijection.log_derivative}[which]
        u = sp.Dummy("u", real=True)
        f = sp.lambdify(u, piece(u, self.slope), "numpy")
        cols = [i for i, m in enumerate(self.mask) if m]

        def run(Z: np.ndarray) -> np.ndarray:
            Z = np.atleast_2d(np.asarray(Z, dtype=float))
            with np.errstate(all="ignore"):
                vals = np.broadcast_to(np.asarray(f(Z[:, cols]), dtype=float), Z[:, cols].shape)
            if which == "log_det":
                return vals.sum(axis=1)
            out = Z.copy()
            out[:, cols] = vals
            return out

        return run
