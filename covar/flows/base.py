"""The one interface every flow layer implements: forward, inverse and log|det J|, symbolic and numpy.

A layer maps a point z of R^d to y = f(z), has a closed-form inverse, and knows log|det J| from
its structure. A subclass of :class:`Layer` writes four symbolic maps *at a point* (any tuple of
expressions, so that a :class:`~covar.flows.stack.Flow` can chain layers through intermediate
symbols) and one numpy batch evaluator; the closed forms in the layer's own symbols, the output
density and the numpy entry points come from here.

>>> from covar.flows import Permutation
>>> layer = Permutation((1, 0))
>>> layer.forward, layer.inverse, layer.log_det_jacobian
((z2, z1), (y2, y1), 0)
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from functools import cached_property
from typing import Any, Callable, Literal, Sequence

import numpy as np
import sympy as sp

from covar.flows.density import flow_density
from covar.laws.joint import JointDensity
from covar.record import LayerStep
from covar.text.values import as_expression

Exprs = tuple[sp.Expr, ...]
Symbols = tuple[sp.Symbol, ...]
BatchMap = Callable[[np.ndarray], np.ndarray]
NumpyMap = Literal["forward", "inverse", "log_det"]


def default_symbols(prefix: str, d: int) -> Symbols:
    """(prefix1, ..., prefix_d), real.

    >>> default_symbols("z", 3)
    (z1, z2, z3)
    """
    return tuple(sp.Symbol(f"{prefix}{i + 1}", real=True) for i in range(d))


def expression_reader(symbols: Sequence[sp.Symbol]) -> Callable[[Any], sp.Expr]:
    """Read a layer expression (text goes through the whitelist parser) onto ``symbols`` by name.

    A user's ``z1`` (declared without assumptions, or typed as text) becomes the layer's real z1.

    >>> z = default_symbols("z", 2)
    >>> read = expression_reader(z)
    >>> read("z1/2").free_symbols == {z[0]}, read(sp.Symbol("z2")) == z[1]
    (True, True)
    """
    names = {s.name: s for s in symbols}  # built once per layer, not once per expression

    def read(e: Any) -> sp.Expr:
        e = as_expression(e, names, what="layer expression")
        # only symbols that actually differ: an identity rule would still rebuild (and re-evaluate) e
        rule = {f: names[f.name] for f in e.free_symbols if f.name in names and names[f.name] != f}
        return e.xreplace(rule) if rule else e

    return read


class Layer(ABC):
    """A bijection of R^d with a closed-form inverse and a structured log|det J|.

    Subclasses implement the maps at a point (``forward_at``, ``inverse_at``, ``log_det_at``,
    ``inverse_log_det_at``) and ``_numpy``; they may narrow ``output_condition_at`` (the image)
    and ``passthrough``. The closed forms in the layer's own symbols are cached: a stack or a
    density asks for them repeatedly, and rebuilding them costs as much as the first derivation.
    """

    @property
    @abstractmethod
    def inputs(self) -> Symbols:
        """The symbols z of the layer's input."""

    @property
    @abstractmethod
    def outputs(self) -> Symbols:
        """The symbols y of the layer's output."""

    @abstractmethod
    def forward_at(self, z: Sequence[sp.Expr]) -> Exprs:
        """f(z) at the point z."""

    @abstractmethod
    def inverse_at(self, y: Sequence[sp.Expr]) -> Exprs:
        """f^{-1}(y) at the point y."""

    @abstractmethod
    def log_det_at(self, z: Sequence[sp.Expr]) -> sp.Expr:
        """log|det df/dz| at the point z."""

    @abstractmethod
    def inverse_log_det_at(self, y: Sequence[sp.Expr]) -> sp.Expr:
        """log|det df^{-1}/dy| at the point y (= -log_det_at(f^{-1}(y)))."""

    @abstractmethod
    def _numpy(self, which: NumpyMap) -> BatchMap:
        """The forward map, inverse map or forward log-det as a function of an (N, d) array."""

    @property
    def dim(self) -> int:
        return len(self.inputs)

    @cached_property
    def forward(self) -> Exprs:
        """y = f(z) in the input symbols."""
        return self.forward_at(self.inputs)

    @cached_property
    def inverse(self) -> Exprs:
        """z = f^{-1}(y) in the output symbols."""
        return self.inverse_at(self.outputs)

    @cached_property
    def log_det_jacobian(self) -> sp.Expr:
        """log|det df/dz| in the input symbols."""
        return self.log_det_at(self.inputs)

    @cached_property
    def inverse_log_det_jacobian(self) -> sp.Expr:
        """log|det df^{-1}/dy| in the output symbols (= -log_det at z = f^{-1}(y))."""
        return self.inverse_log_det_at(self.outputs)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter display: each step's forward map, inverse and log|det J| (MathML and LaTeX)."""
        from covar.render.notebook import layer_mimebundle

        return layer_mimebundle(self)

    def layer_steps(self) -> tuple[LayerStep, ...]:
        """This layer as the steps of a :class:`~covar.record.FlowRecord` (one per layer)."""
        return (LayerStep(type(self).__name__, self.inputs, self.outputs, tuple(self.forward),
                          tuple(self.inverse), self.log_det_jacobian),)

    def passthrough(self) -> dict[int, int]:
        """{output index: input index} for outputs that are an input carried over unchanged.

        A :class:`~covar.flows.stack.Flow` gives such outputs the input's symbol instead of a new
        intermediate one.
        """
        return {}

    def output_condition_at(self, y: Sequence[sp.Expr]) -> sp.Basic:
        """Where y can be an output (e.g. exp makes it positive); True for onto layers."""
        return sp.true

    def density(self, base: JointDensity) -> JointDensity:
        """The density of y = f(z) for z ~ base: base(f^{-1}(y)) |det J_{f^{-1}}(y)|.

        >>> from sympy import symbols, exp, pi
        >>> from covar.flows import Elementwise
        >>> z = symbols("z1 z2", real=True)
        >>> base = JointDensity(exp(-(z[0]**2 + z[1]**2)/2)/(2*pi), z, True)
        >>> Elementwise("exp", dim=2).density(base).support
        (y1 > 0) & (y2 > 0)
        """
        return flow_density(self, base)

    # -- numpy batches: (N, d) arrays --------------------------------------------------
    def numpy_forward(self) -> BatchMap:
        """y = f(z) for each row of an (N, d) array of inputs."""
        return self._numpy("forward")

    def numpy_inverse(self) -> BatchMap:
        """z = f^{-1}(y) for each row of an (N, d) array of outputs."""
        return self._numpy("inverse")

    def numpy_log_det(self) -> BatchMap:
        """log|det J| of the forward map at each row of an (N, d) array of inputs."""
        return self._numpy("log_det")
