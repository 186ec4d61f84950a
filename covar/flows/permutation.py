"""The permutation layer y_i = z_{perm[i]}: a reordering of coordinates, log|det J| = 0."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import sympy as sp

from covar.errors import CovarError
from covar.flows.base import BatchMap, Exprs, Layer, NumpyMap, Symbols, default_symbols


@dataclass(frozen=True, eq=False)
class Permutation(Layer):
    """y_i = z_{perm[i]}; |det J| = 1.

    >>> Permutation((1, 0)).forward
    (z2, z1)
    >>> Permutation((2, 0, 1)).inverse
    (y2, y3, y1)
    """

    perm: tuple[int, ...]
    inputs: Symbols = ()
    outputs: Symbols = ()

    def __post_init__(self) -> None:
        perm = tuple(int(p) for p in self.perm)
        if sorted(perm) != list(range(len(perm))):
            raise CovarError(f"{perm} is not a permutation of 0..{len(perm) - 1}")
        object.__setattr__(self, "perm", perm)
        object.__setattr__(self, "inputs", tuple(self.inputs) or default_symbols("z", len(perm)))
        object.__setattr__(self, "outputs", tuple(self.outputs) or default_symbols("y", len(perm)))

    def forward_at(self, z: Sequence[sp.Expr]) -> Exprs:
        return tuple(z[p] for p in self.perm)

    def inverse_at(self, y: Sequence[sp.Expr]) -> Exprs:
        out: list[sp.Expr] = [sp.Integer(0)] * len(self.perm)
        for i, p in enumerate(self.perm):
            out[p] = y[i]
        return tuple(out)

    def log_det_at(self, z: Sequence[sp.Expr]) -> sp.Expr:
        return sp.Integer(0)

    def inverse_log_det_at(self, y: Sequence[sp.Expr]) -> sp.Expr:
        return sp.Integer(0)

    def passthrough(self) -> dict[int, int]:
        return dict(enumerate(self.perm))

    def _numpy(self, which: NumpyMap) -> BatchMap:
        perm = np.array(self.perm)
        inv = np.argsort(perm)

        def run(Z: np.ndarray) -> np.ndarray:
            Z = np.atleast_2d(np.asarray(Z, dtype=float))
            if which == "log_det":
                return np.zeros(Z.shape[0])
            return Z[:, perm] if which == "forward" else Z[:, inv]

        return run
