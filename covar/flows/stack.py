"""A stack of layers (:class:`Flow`), derived layer by layer as :class:`FlowStep` maps between symbols.

Symbolic work per layer is linear in d. A :class:`Flow` is derived as a sequence of
:class:`FlowStep` maps between intermediate symbols z^(1), z^(2), ... (:attr:`Flow.steps`), so
no layer's expressions are substituted into another's; the closed-form composites
(``Flow.forward``, ``Flow.log_det_jacobian``, ...) are composed, and cached, only on request.
For numpy batches each layer is lambdified on its own and applied in turn.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Sequence

import numpy as np
import sympy as sp

from covar.errors import CovarError
from covar.flows.base import BatchMap, Exprs, Layer, NumpyMap, Symbols
from covar.record import LayerStep


@dataclass(frozen=True, eq=False)
class FlowStep:
    """One layer of a :class:`Flow` as a map between symbol tuples: outputs = forward(inputs).

    ``inputs`` are z^(k-1) and ``outputs`` z^(k); a coordinate the layer passes through keeps its
    symbol, so a coupling step reads s and t at the same symbols in both directions.
    ``forward`` and ``log_det`` are in ``inputs``, ``inverse`` and ``inverse_log_det`` in ``outputs``.
    """

    layer: Layer
    inputs: Symbols
    outputs: Symbols
    forward: Exprs
    inverse: Exprs
    log_det: sp.Expr
    inverse_log_det: sp.Expr


@dataclass(frozen=True, eq=False)
class Flow(Layer):
    """A stack of layers applied in order; log-dets add along the forward pass.

    :attr:`steps` is the derivation (linear in d); ``forward``, ``inverse``, ``log_det_jacobian``
    and ``inverse_log_det_jacobian`` are closed forms in the flow's inputs (outputs) alone,
    composed layer by layer on first use and cached; they are for small d and inspection.

    >>> from sympy import symbols
    >>> from covar.flows import AffineCoupling, Permutation
    >>> z = symbols("z1 z2", real=True)
    >>> f = Flow((AffineCoupling((1, 0), (z[0],), (0,)), Permutation((1, 0))))
    >>> f.log_det_jacobian
    z1
    """

    layers: tuple[Layer, ...]

    def __post_init__(self) -> None:
        layers = tuple(self.layers)
        if not layers:
            raise CovarError("a Flow needs at least one layer")
        if len({layer.dim for layer in layers}) != 1:
            raise CovarError(f"all layers must have the same dimension, got {[l.dim for l in layers]}")
        object.__setattr__(self, "layers", layers)

    @property
    def inputs(self) -> Symbols:
        return self.layers[0].inputs

    @property
    def outputs(self) -> Symbols:
        return self.layers[-1].outputs

    @cached_property
    def steps(self) -> tuple[FlowStep, ...]:
        """Each layer derived once, at symbols: z^(0) = inputs -> z^(1) -> ... -> z^(L) = outputs.

        No layer is evaluated at another layer's expressions, so the work is the sum of the
        layers' own (each linear in d) and expression sizes do not compound through the stack.
        Only the coordinates a layer changes get a new symbol z_i^(k).

        >>> from covar.flows import AffineCoupling, Permutation, default_symbols
        >>> z = default_symbols("z", 2)
        >>> c = AffineCoupling((1, 0), (z[0],), (z[0],))
        >>> [step.forward for step in Flow((c, Permutation((1, 0)), c)).steps]
        [(z1, z1 + z2*exp(z1)), (z2^(1), z1), (z2^(1), z1*exp(z2^(1)) + z2^(1))]
        """
        steps, u, last = [], self.inputs, len(self.layers)
        for k, layer in enumerate(self.layers, 1):
            if k == last:
                out = self.outputs
            else:
                kept = layer.passthrough()
                out = tuple(u[kept[i]] if i in kept else sp.Symbol(f"{self.inputs[i].name}^({k})", real=True)
                            for i in range(self.dim))
            steps.append(FlowStep(layer, u, out, layer.forward_at(u), layer.inverse_at(out),
                                  layer.log_det_at(u), layer.inverse_log_det_at(out)))
            u = out
        return tuple(steps)

    def layer_steps(self) -> tuple[LayerStep, ...]:
        """One record step per layer, between the intermediate symbols of :attr:`steps`."""
        return tuple(LayerStep(type(s.layer).__name__, s.inputs, s.outputs, tuple(s.forward),
                               tuple(s.inverse), s.log_det) for s in self.steps)

    def _compose(self, point: Sequence[sp.Expr], backward: bool) -> list[Exprs]:
        """Closed forms of every stage z^(0), ..., z^(L) at ``point`` (= z^(0), or z^(L) if backward)."""
        # the layers' own *_at, not xreplace into the steps' maps: they build x*exp(s) without
        # sympy re-evaluating it, and memoise s and t for the log-det at the same point
        vals = [tuple(point)]
        if backward:
            for layer in reversed(self.layers):
                vals.append(layer.inverse_at(vals[-1]))
            return vals[::-1]
        for layer in self.layers:
            vals.append(layer.forward_at(vals[-1]))
        return vals

    @cached_property
    def _stages_from_inputs(self) -> list[Exprs]:
        return self._compose(self.inputs, backward=False)

    @cached_property
    def _stages_from_outputs(self) -> list[Exprs]:
        return self._compose(self.outputs, backward=True)

    def _stages(self, point: Sequence[sp.Expr], backward: bool) -> list[Exprs]:
        # the pass at the flow's own symbols is shared by forward/log-det (inverse/density)
        point = tuple(point)
        if point == (self.outputs if backward else self.inputs):
            return self._stages_from_outputs if backward else self._stages_from_inputs
        return self._compose(point, backward)

    def forward_at(self, z: Sequence[sp.Expr]) -> Exprs:
        return self._stages(z, backward=False)[-1]

    def inverse_at(self, y: Sequence[sp.Expr]) -> Exprs:
        return self._stages(y, backward=True)[0]

    def log_det_at(self, z: Sequence[sp.Expr]) -> sp.Expr:
        vals = self._stages(z, backward=False)
        return sp.Add(*[layer.log_det_at(v) for layer, v in zip(self.layers, vals)])

    def inverse_log_det_at(self, y: Sequence[sp.Expr]) -> sp.Expr:
        vals = self._stages(y, backward=True)[1:]
        return sp.Add(*[layer.inverse_log_det_at(v) for layer, v in zip(self.layers, vals)])

    def output_condition_at(self, y: Sequence[sp.Expr]) -> sp.Basic:
        # each layer's image constrains its own output
        vals = self._stages(y, backward=True)[1:]
        return sp.And(*[layer.output_condition_at(v) for layer, v in zip(self.layers, vals)])

    def _numpy(self, which: NumpyMap) -> BatchMap:
        if which == "inverse":
            inv = [layer.numpy_inverse() for layer in reversed(self.layers)]

            def run_inv(Y: np.ndarray) -> np.ndarray:
                for f in inv:
                    Y = f(Y)
                return Y

            return run_inv
        fwd = [layer.numpy_forward() for layer in self.layers]
        logs = [layer.numpy_log_det() for layer in self.layers]

        def run(Z: np.ndarray) -> np.ndarray:
            Z = np.atleast_2d(np.asarray(Z, dtype=float))
            total = np.zeros(Z.shape[0])
            for f, ld in zip(fwd, logs):
                if which == "log_det":
                    total += ld(Z)
                Z = f(Z)
            return total if which == "log_det" else Z

        return run

    def numpy_log_prob(self, base_logpdf: Callable[[np.ndarray], np.ndarray]) -> BatchMap:
        """log p_Y(y) = log p_Z(f^{-1}(y)) - log|det J_f(f^{-1}(y))| for an (N, d) batch."""
        inv, logdet = self.numpy_inverse(), self.numpy_log_det()

        def log_prob(Y: np.ndarray) -> np.ndarray:
            Z = inv(Y)
            return base_logpdf(Z) - logdet(Z)

        return log_prob
