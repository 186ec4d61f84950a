"""Normalizing-flow layers with log-determinants read off their structure.

Every layer maps a point z of R^d to y, has a closed-form inverse, and knows log|det J| from
its shape, never by expanding a d x d determinant:

* :class:`AffineCoupling` (RealNVP): block-triangular Jacobian, log|det J| = sum_i s_i(z_A)
* :class:`Elementwise` (exp, tanh, sigmoid, leaky ReLU): diagonal, log|det J| = sum_i log|g'(z_i)|
* :class:`Permutation`: log|det J| = 0
* :class:`Flow`: a stack; log-dets add along the forward pass

Symbolic work per layer is linear in d. A :class:`Flow` is derived as a sequence of
:class:`FlowStep` maps between intermediate symbols z^(1), z^(2), ... (:attr:`Flow.steps`), so
no layer's expressions are substituted into another's; the closed-form composites
(``Flow.forward``, ``Flow.log_det_jacobian``, ...) are composed, and cached, only on request.
For numpy batches each layer is lambdified on its own and applied in turn.

>>> from sympy import symbols
>>> z = symbols("z1:5", real=True)
>>> layer = AffineCoupling((1, 1, 0, 0), s=(z[0] / 2, z[1]), t=(z[1], z[0] ** 2))
>>> layer.log_det_jacobian
z1/2 + z2
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, cmp_to_key
from typing import Any, Callable, Sequence

import numpy as np
import sympy as sp

from covar.errors import CovarError, UnsupportedTransform
from covar.laws.joint import JointDensity
from covar.text.values import as_expression

Exprs = tuple[sp.Expr, ...]


def default_symbols(prefix: str, d: int) -> tuple[sp.Symbol, ...]:
    """(prefix1, ..., prefix_d), real."""
    return tuple(sp.Symbol(f"{prefix}{i + 1}", real=True) for i in range(d))


def _renamer(symbols: Sequence[sp.Symbol]) -> Callable[[Any], sp.Expr]:
    """Read (text: whitelist parser) and map free symbols onto ``symbols`` by name."""
    names = {s.name: s for s in symbols}  # built once per layer, not once per expression

    def rename(e: Any) -> sp.Expr:
        e = as_expression(e, names, what="layer expression")
        # only symbols that actually differ: an identity rule would still rebuild (and re-evaluate) e
        rule = {f: names[f.name] for f in e.free_symbols if f.name in names and names[f.name] != f}
        return e.xreplace(rule) if rule else e

    return rename


def _substitute(exprs: Sequence[sp.Expr], old: Sequence[sp.Symbol], new: Sequence[sp.Expr]) -> Exprs:
    """exprs with old[i] -> new[i]; identical pairs are dropped so unchanged trees are not rebuilt."""
    rule = {o: n for o, n in zip(old, new) if o != n}
    return tuple(e.xreplace(rule) for e in exprs) if rule else tuple(exprs)


_by_compare = cmp_to_key(sp.Basic.compare)  # the order sympy's Mul sorts its factors in


def _times_exp(x: sp.Expr, s: sp.Expr) -> sp.Expr:
    """x*exp(s) in sympy's canonical form, without Mul's evaluation where it cannot change anything.

    Evaluating x*exp(s) asks the assumptions system about s (is_zero, ...), about 2 ms per component
    for s = w*tanh(a + b/2): that dominated derivation time. For a Symbol or an Add x and an
    exp(s) that stayed an exp, the evaluated product is exactly the two factors in Basic.compare
    order, so build that directly.
    """
    e = sp.exp(s)
    if isinstance(e, sp.exp) and (x.is_Symbol or x.is_Add) and x.is_commutative:
        return sp.Mul(*sorted((x, e), key=_by_compare), evaluate=False)
    return x * e


def _columns(f: Callable, Z: np.ndarray, cols: Sequence[int], n_out: int) -> np.ndarray:
    """Evaluate a lambdified list-valued f on the given columns: an (N, n_out) array."""
    N = Z.shape[0]
    if n_out == 0:
        return np.zeros((N, 0))
    vals = f(*Z[:, list(cols)].T)
    return np.stack([np.broadcast_to(np.asarray(v, dtype=float), (N,)) for v in vals], axis=-1)


class _Layer:
    """Shared behaviour; subclasses define forward_at, inverse_at, log_det_at, inverse_log_det_at.

    The closed forms in the layer's own symbols are cached: a stack or a density asks for them
    repeatedly, and rebuilding them costs as much as the first derivation.
    """

    inputs: tuple[sp.Symbol, ...]
    outputs: tuple[sp.Symbol, ...]

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

    def passthrough(self) -> dict[int, int]:
        """{output index: input index} for outputs that are an input carried over unchanged.

        A :class:`Flow` gives such outputs the input's symbol instead of a new intermediate one.
        """
        return {}

    def output_condition_at(self, y: Sequence[sp.Expr]) -> sp.Basic:
        """Where y can be an output (e.g. exp makes it positive); True for onto layers."""
        return sp.true

    def density(self, base: JointDensity) -> JointDensity:
        """The density of y = f(z) for z ~ base: base(f^{-1}(y)) |det J_{f^{-1}}(y)|.

        >>> from sympy import symbols, exp, pi
        >>> z = symbols("z1 z2", real=True)
        >>> base = JointDensity(exp(-(z[0]**2 + z[1]**2)/2)/(2*pi), z, True)
        >>> Elementwise("exp", dim=2).density(base).support
        (y1 > 0) & (y2 > 0)
        """
        return flow_density(self, base)

    # -- numpy batches: (N, d) arrays --------------------------------------------------
    def numpy_forward(self) -> Callable[[np.ndarray], np.ndarray]:
        return self._numpy("forward")

    def numpy_inverse(self) -> Callable[[np.ndarray], np.ndarray]:
        return self._numpy("inverse")

    def numpy_log_det(self) -> Callable[[np.ndarray], np.ndarray]:
        """log|det J| of the forward map at each row of an (N, d) array of inputs."""
        return self._numpy("log_det")

    def _numpy(self, which: str) -> Callable[[np.ndarray], np.ndarray]:
        # Generic fallback: lambdify all components at once (subclasses vectorise better).
        expr = {"forward": list(self.forward), "inverse": list(self.inverse),
                "log_det": [self.log_det_jacobian]}[which]
        syms = self.outputs if which == "inverse" else self.inputs
        f = sp.lambdify(syms, expr, "numpy")
        d = self.dim

        def run(Z: np.ndarray) -> np.ndarray:
            Z = np.atleast_2d(np.asarray(Z, dtype=float))
            out = _columns(f, Z, range(d), len(expr))
            return out[:, 0] if which == "log_det" else out

        return run


@dataclass(frozen=True, eq=False)
class AffineCoupling(_Layer):
    """RealNVP coupling: z_A' = z_A, z_B' = z_B * exp(s(z_A)) + t(z_A).

    ``mask[i] == 1`` puts z_i in z_A (passed through); ``s`` and ``t`` hold one expression per
    z_B component, in the z_A symbols. The Jacobian is block lower-triangular with identity
    and diag(exp(s)) on the diagonal, so log|det J| = sum(s).

    >>> from sympy import symbols
    >>> z = symbols("z1 z2", real=True)
    >>> c = AffineCoupling((1, 0), s=(z[0] / 2,), t=(z[0] ** 2,))
    >>> c.forward, c.inverse
    ((z1, z1**2 + z2*exp(z1/2)), (y1, (-y1**2 + y2)*exp(-y1/2)))
    """

    mask: tuple[int, ...]
    s: Exprs
    t: Exprs
    inputs: tuple[sp.Symbol, ...] = ()
    outputs: tuple[sp.Symbol, ...] = ()
    _A: tuple[int, ...] = field(default=(), init=False, repr=False)
    _B: tuple[int, ...] = field(default=(), init=False, repr=False)
    # (s, t) by point z_A: a flow step (or closed form) evaluates forward, inverse and log-det there
    _st_memo: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        mask = tuple(int(m) for m in self.mask)
        if not mask or any(m not in (0, 1) for m in mask):
            raise CovarError("mask must be a non-empty sequence of 0/1 (1 = passes through)")
        d = len(mask)
        inputs = tuple(self.inputs) or default_symbols("z", d)
        outputs = tuple(self.outputs) or default_symbols("y", d)
        if len(inputs) != d or len(outputs) != d:
            raise CovarError(f"inputs and outputs need {d} symbols each, like the mask")
        A = tuple(i for i, m in enumerate(mask) if m == 1)
        B = tuple(i for i, m in enumerate(mask) if m == 0)
        rename = _renamer(inputs)
        s = tuple(rename(e) for e in self.s)
        t = tuple(rename(e) for e in self.t)
        if len(s) != len(B) or len(t) != len(B):
            raise CovarError(f"s and t need one expression per masked-out component ({len(B)})")
        transformed = {inputs[i] for i in B}
        for e in s + t:
            bad = e.free_symbols & transformed
            if bad:
                allowed = sorted((inputs[i] for i in A), key=str)
                raise UnsupportedTransform(
                    f"s and t may depend only on the pass-through inputs {allowed}; "
                    f"{e} uses {bad}, which would break the triangular structure")
        for name, value in (("mask", mask), ("inputs", inputs), ("outputs", outputs),
                            ("s", s), ("t", t), ("_A", A), ("_B", B)):
            object.__setattr__(self, name, value)

    def _st_at(self, point: Sequence[sp.Expr]) -> tuple[Exprs, Exprs]:
        """s and t with z_A replaced by point_A, memoised: forward, inverse and log-det share them."""
        pA = tuple(point[i] for i in self._A)
        hit = self._st_memo.get(pA)
        if hit is None:
            zA = [self.inputs[i] for i in self._A]
            hit = _substitute(self.s, zA, pA), _substitute(self.t, zA, pA)
            self._st_memo[pA] = hit
        return hit

    def forward_at(self, z: Sequence[sp.Expr]) -> Exprs:
        (s, t), out = self._st_at(z), list(z)
        for k, i in enumerate(self._B):
            out[i] = _times_exp(z[i], s[k]) + t[k]
        return tuple(out)

    def inverse_at(self, y: Sequence[sp.Expr]) -> Exprs:
        (s, t), out = self._st_at(y), list(y)  # z_A = y_A, so s and t are known from the output
        for k, i in enumerate(self._B):
            out[i] = _times_exp(y[i] - t[k], -s[k])
        return tuple(out)

    def log_det_at(self, z: Sequence[sp.Expr]) -> sp.Expr:
        return sp.Add(*self._st_at(z)[0])

    def inverse_log_det_at(self, y: Sequence[sp.Expr]) -> sp.Expr:
        return -self.log_det_at(y)  # s is evaluated at z_A = y_A

    def passthrough(self) -> dict[int, int]:
        return {i: i for i in self._A}

    @cached_property
    def _numpy_st(self) -> tuple[Callable, Callable]:
        """s and t lambdified once in z_A, shared by the forward, inverse and log-det evaluators."""
        zA = [self.inputs[i] for i in self._A]
        return sp.lambdify(zA, list(self.s), "numpy"), sp.lambdify(zA, list(self.t), "numpy")

    def _numpy(self, which: str) -> Callable[[np.ndarray], np.ndarray]:
        sf, tf = self._numpy_st
        A, B, nb = list(self._A), list(self._B), len(self._B)

        def run(Z: np.ndarray) -> np.ndarray:
            Z = np.atleast_2d(np.asarray(Z, dtype=float))
            S = _columns(sf, Z, A, nb)
            if which == "log_det":
                return S.sum(axis=1)
            T = _columns(tf, Z, A, nb)
            out = Z.copy()
            if which == "forward":
                out[:, B] = Z[:, B] * np.exp(S) + T
            else:
                out[:, B] = (Z[:, B] - T) * np.exp(-S)
            return out

        return run


_ELEMENTWISE = ("exp", "tanh", "sigmoid", "leaky_relu")


@dataclass(frozen=True, eq=False)
class Elementwise(_Layer):
    """y_i = g(z_i) on the components where ``mask`` is 1 (all by default); diagonal Jacobian.

    ``kind`` is "exp", "tanh", "sigmoid" or "leaky_relu" (``slope`` a > 0 for z < 0).

    >>> Elementwise("leaky_relu", dim=2, slope=sp.Rational(1, 10)).log_det_jacobian
    Piecewise((0, z1 >= 0), (-log(10), True)) + Piecewise((0, z2 >= 0), (-log(10), True))
    """

    kind: str
    dim_: int | None = None
    mask: tuple[int, ...] = ()
    slope: Any = None
    inputs: tuple[sp.Symbol, ...] = ()
    outputs: tuple[sp.Symbol, ...] = ()

    def __init__(self, kind: str, dim: int | None = None, mask: Sequence[int] = (), slope: Any = None,
                 inputs: Sequence[sp.Symbol] = (), outputs: Sequence[sp.Symbol] = ()) -> None:
        if kind not in _ELEMENTWISE:
            raise UnsupportedTransform(f"unknown elementwise bijection {kind!r}; use one of {_ELEMENTWISE}")
        d = len(mask) or len(inputs) or dim
        if not d:
            raise CovarError("give dim=, mask= or inputs= so the layer knows its dimension")
        mask = tuple(int(m) for m in mask) or (1,) * d
        a = None
        if kind == "leaky_relu":
            a = as_expression(0.01 if slope is None else slope, what="slope")
            if not a.is_positive:
                raise UnsupportedTransform(
                    f"leaky ReLU needs a slope known to be positive to be a bijection, got {a}; "
                    "pass a positive number or a symbol declared positive=True")
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "dim_", d)
        object.__setattr__(self, "mask", mask)
        object.__setattr__(self, "slope", a)
        object.__setattr__(self, "inputs", tuple(inputs) or default_symbols("z", d))
        object.__setattr__(self, "outputs", tuple(outputs) or default_symbols("y", d))

    # one-dimensional pieces: g, g^{-1}, log|g'(z)|, log|(g^{-1})'(y)|, image condition
    def _g(self, z: sp.Expr) -> sp.Expr:
        k = self.kind
        if k == "exp":
            return sp.exp(z)
        if k == "tanh":
            return sp.tanh(z)
        if k == "sigmoid":
            return 1 / (1 + sp.exp(-z))
        return sp.Piecewise((z, z >= 0), (self.slope * z, True))

    def _ginv(self, y: sp.Expr) -> sp.Expr:
        k = self.kind
        if k == "exp":
            return sp.log(y)
        if k == "tanh":
            return sp.atanh(y)
        if k == "sigmoid":
            return sp.log(y / (1 - y))
        return sp.Piecewise((y, y >= 0), (y / self.slope, True))

    def _logd(self, z: sp.Expr) -> sp.Expr:
        k = self.kind
        if k == "exp":
            return z
        if k == "tanh":
            return -2 * sp.log(sp.cosh(z))  # tanh' = sech^2
        if k == "sigmoid":
            return -sp.log(1 + sp.exp(-z)) - sp.log(1 + sp.exp(z))  # sigma' = sigma (1 - sigma)
        return sp.Piecewise((0, z >= 0), (sp.log(self.slope), True))

    def _logd_inv(self, y: sp.Expr) -> sp.Expr:
        k = self.kind
        if k == "exp":
            return -sp.log(y)
        if k == "tanh":
            return -sp.log(1 - y ** 2)
        if k == "sigmoid":
            return -sp.log(y) - sp.log(1 - y)
        return sp.Piecewise((0, y >= 0), (-sp.log(self.slope), True))

    def _image(self, y: sp.Expr) -> sp.Basic:
        return {"exp": y > 0, "tanh": (y > -1) & (y < 1), "sigmoid": (y > 0) & (y < 1)}.get(self.kind, sp.true)

    def forward_at(self, z: Sequence[sp.Expr]) -> Exprs:
        return tuple(self._g(v) if m else v for v, m in zip(z, self.mask))

    def inverse_at(self, y: Sequence[sp.Expr]) -> Exprs:
        return tuple(self._ginv(v) if m else v for v, m in zip(y, self.mask))

    def log_det_at(self, z: Sequence[sp.Expr]) -> sp.Expr:
        return sp.Add(*[self._logd(v) for v, m in zip(z, self.mask) if m])

    def inverse_log_det_at(self, y: Sequence[sp.Expr]) -> sp.Expr:
        return sp.Add(*[self._logd_inv(v) for v, m in zip(y, self.mask) if m])

    def output_condition_at(self, y: Sequence[sp.Expr]) -> sp.Basic:
        return sp.And(*[self._image(v) for v, m in zip(y, self.mask) if m])

    def passthrough(self) -> dict[int, int]:
        return {i: i for i, m in enumerate(self.mask) if not m}

    def _numpy(self, which: str) -> Callable[[np.ndarray], np.ndarray]:
        # One vectorised call over all selected columns (the map is the same on each).
        u = sp.Dummy("u", real=True)
        expr = {"forward": self._g(u), "inverse": self._ginv(u), "log_det": self._logd(u)}[which]
        f = sp.lambdify(u, expr, "numpy")
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


@dataclass(frozen=True, eq=False)
class Permutation(_Layer):
    """y_i = z_{perm[i]}; |det J| = 1.

    >>> Permutation((1, 0)).forward
    (z2, z1)
    """

    perm: tuple[int, ...]
    inputs: tuple[sp.Symbol, ...] = ()
    outputs: tuple[sp.Symbol, ...] = ()

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

    def _numpy(self, which: str) -> Callable[[np.ndarray], np.ndarray]:
        perm = np.array(self.perm)
        inv = np.argsort(perm)

        def run(Z: np.ndarray) -> np.ndarray:
            Z = np.atleast_2d(np.asarray(Z, dtype=float))
            if which == "log_det":
                return np.zeros(Z.shape[0])
            return Z[:, perm] if which == "forward" else Z[:, inv]

        return run


@dataclass(frozen=True, eq=False)
class FlowStep:
    """One layer of a :class:`Flow` as a map between symbol tuples: outputs = forward(inputs).

    ``inputs`` are z^(k-1) and ``outputs`` z^(k); a coordinate the layer passes through keeps its
    symbol, so a coupling step reads s and t at the same symbols in both directions.
    ``forward`` and ``log_det`` are in ``inputs``, ``inverse`` and ``inverse_log_det`` in ``outputs``.
    """

    layer: _Layer
    inputs: tuple[sp.Symbol, ...]
    outputs: tuple[sp.Symbol, ...]
    forward: Exprs
    inverse: Exprs
    log_det: sp.Expr
    inverse_log_det: sp.Expr


@dataclass(frozen=True, eq=False)
class Flow(_Layer):
    """A stack of layers applied in order; log-dets add along the forward pass.

    :attr:`steps` is the derivation (linear in d); ``forward``, ``inverse``, ``log_det_jacobian``
    and ``inverse_log_det_jacobian`` are closed forms in the flow's inputs (outputs) alone,
    composed layer by layer on first use and cached; they are for small d and inspection.

    >>> from sympy import symbols
    >>> z = symbols("z1 z2", real=True)
    >>> f = Flow((AffineCoupling((1, 0), (z[0],), (0,)), Permutation((1, 0))))
    >>> f.log_det_jacobian
    z1
    """

    layers: tuple[_Layer, ...]

    def __post_init__(self) -> None:
        layers = tuple(self.layers)
        if not layers:
            raise CovarError("a Flow needs at least one layer")
        if len({layer.dim for layer in layers}) != 1:
            raise CovarError(f"all layers must have the same dimension, got {[l.dim for l in layers]}")
        object.__setattr__(self, "layers", layers)

    @property
    def inputs(self) -> tuple[sp.Symbol, ...]:  # type: ignore[override]
        return self.layers[0].inputs

    @property
    def outputs(self) -> tuple[sp.Symbol, ...]:  # type: ignore[override]
        return self.layers[-1].outputs

    @cached_property
    def steps(self) -> tuple[FlowStep, ...]:
        """Each layer derived once, at symbols: z^(0) = inputs -> z^(1) -> ... -> z^(L) = outputs.

        No layer is evaluated at another layer's expressions, so the work is the sum of the
        layers' own (each linear in d) and expression sizes do not compound through the stack.
        Only the coordinates a layer changes get a new symbol z_i^(k).

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

    def _numpy(self, which: str) -> Callable[[np.ndarray], np.ndarray]:
        fwd = [layer.numpy_forward() for layer in self.layers]
        if which == "inverse":
            inv = [layer.numpy_inverse() for layer in reversed(self.layers)]

            def run_inv(Y: np.ndarray) -> np.ndarray:
                for f in inv:
                    Y = f(Y)
                return Y

            return run_inv
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

    def numpy_log_prob(self, base_logpdf: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
        """log p_Y(y) = log p_Z(f^{-1}(y)) - log|det J_f(f^{-1}(y))| for an (N, d) batch."""
        inv, logdet = self.numpy_inverse(), self.numpy_log_det()

        def log_prob(Y: np.ndarray) -> np.ndarray:
            Z = inv(Y)
            return base_logpdf(Z) - logdet(Z)

        return log_prob


def flow_density(flow: _Layer, base: JointDensity) -> JointDensity:
    """Density of y = flow(z), z ~ base, from the inverse and the structured log-det."""
    if base.dim != flow.dim:
        raise CovarError(f"the base density has {base.dim} variables, the flow {flow.dim}")
    from covar.multivariate.maps import simplify_condition

    y, z = flow.outputs, flow.inverse  # cached closed forms, shared with the flow's other uses
    cond = sp.And(base.support.xreplace(dict(zip(base.vars, z))), flow.output_condition_at(y))
    support = simplify_condition(cond)
    pdf = base.pdf.xreplace(dict(zip(base.vars, z))) * sp.exp(flow.inverse_log_det_jacobian)
    pdf = sp.powsimp(pdf)
    sampler = None
    if base.sampler is not None:
        fwd = flow.numpy_forward()

        def sampler(size: int, rng: np.random.Generator, values: dict) -> np.ndarray:
            return fwd(base.sampler(size, rng, values))

    from covar.numeric.verify import verify

    return verify(JointDensity(sp.Piecewise((pdf, support), (0, True)), y, support, sampler=sampler),
                  "density of the flow's output")


def realnvp_4d_example(concrete: bool = False) -> tuple[AffineCoupling, sp.Expr]:
    """The worked 4-D RealNVP example: z split 2 + 2, log|det J| = s1 + s2.

    With ``concrete=False`` s and t are undefined functions s1(z1, z2), ...; with
    ``concrete=True`` they are fixed expressions so that the layer can be evaluated in numpy.

    >>> layer, logdet = realnvp_4d_example()
    >>> logdet
    s1(z1, z2) + s2(z1, z2)
    """
    z = default_symbols("z", 4)
    zA = z[:2]
    if concrete:
        s = (sp.tanh(z[0] + z[1] / 2), z[0] * z[1] / 4)
        t = (z[0] - z[1], sp.sin(z[0]))
    else:
        s = tuple(sp.Function(f"s{i}")(*zA) for i in (1, 2))
        t = tuple(sp.Function(f"t{i}")(*zA) for i in (1, 2))
    layer = AffineCoupling((1, 1, 0, 0), s, t, inputs=z)
    return layer, layer.log_det_jacobian
