"""The RealNVP affine coupling layer: block-triangular Jacobian, log|det J| = sum_i s_i(z_A)."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, cmp_to_key
from typing import Any, Callable, Sequence

import numpy as np
import sympy as sp

from covar.errors import CovarError, UnsupportedTransform
from covar.flows.base import BatchMap, Exprs, Layer, NumpyMap, Symbols, default_symbols, expression_reader


def _substitute(exprs: Sequence[sp.Expr], old: Sequence[sp.Symbol], new: Sequence[sp.Expr]) -> Exprs:
    """exprs with old[i] -> new[i]; identical pairs are dropped so unchanged trees are not rebuilt."""
    rule = {o: n for o, n in zip(old, new) if o != n}
    return tuple(e.xreplace(rule) for e in exprs) if rule else tuple(exprs)


_by_compare = cmp_to_key(sp.Basic.compare)  # the order sympy's Mul sorts its factors in


def _times_exp(x: sp.Expr, s: sp.Expr) -> sp.Expr:
    """x*exp(s) in sympy's canonical form, without Mul's evaluation where it cannot change anything.

    Evaluating x*exp(s) asks the assumptions system about s (is_zero, ...) for every component
    (s = w*tanh(a + b/2) is a costly case): that dominated derivation time (benchmarks/bench_flows.py). For a Symbol or an Add x and an
    exp(s) that stayed an exp, the evaluated product is exactly the two factors in Basic.compare
    order, so build that directly.
    """
    e = sp.exp(s)
    if isinstance(e, sp.exp) and (x.is_Symbol or x.is_Add) and x.is_commutative:
        return sp.Mul(*sorted((x, e), key=_by_compare), evaluate=False)
    return x * e


def _template(e: sp.Expr, symbols: Sequence[sp.Symbol]) -> tuple[sp.Expr, tuple[int, ...], tuple[float, ...]]:
    """``e`` with its symbols and non-integer numbers replaced by placeholders in order of
    appearance: (template, the index in ``symbols`` of each symbol placeholder, the value of
    each number placeholder). A symbol keeps one placeholder wherever it occurs; each occurrence
    of a number gets its own, so that w*tanh(z_a + z_b/2) has one template whether or not w
    happens to be 1/2. Components that differ only in which inputs and which constants they use
    share a template, so they are evaluated together.

    >>> z = default_symbols("z", 3)
    >>> _template(sp.Rational(1, 2) * sp.tanh(z[2] + z[0] / 2), z)
    (_c0*tanh(_c1*_u1 + _u0), (2, 0), (0.5, 0.5))
    """
    index = {s: i for i, s in enumerate(symbols)}
    placeholders: dict[sp.Symbol, sp.Symbol] = {}
    cols: list[int] = []
    consts: list[float] = []

    def rebuilt(node: sp.Basic) -> sp.Basic:
        if isinstance(node, sp.Symbol) and node in index:
            if node not in placeholders:
                placeholders[node] = sp.Symbol(f"_u{len(cols)}", real=True)
                cols.append(index[node])
            return placeholders[node]
        if isinstance(node, (sp.Rational, sp.Float)) and not node.is_Integer:
            consts.append(float(node))
            return sp.Symbol(f"_c{len(consts) - 1}", real=True)
        return node.func(*[rebuilt(a) for a in node.args]) if node.args else node

    return rebuilt(e), tuple(cols), tuple(consts)


class _GroupedColumns:
    """The values of expressions in the symbols' columns of an (N, d) array Z, each group of
    components that share a template evaluated by one vectorised call over all its columns.

    A constant shared by every member of a group is passed as a float, not an array; a sum over
    the components (log|det J| = sum(s)) adds each group's row sums, with no scatter into a
    full array; a single group already in component order is returned as it comes."""

    def __init__(self, exprs: Sequence[sp.Expr], symbols: Sequence[sp.Symbol]) -> None:
        groups: dict[tuple[sp.Basic, int, int], list[tuple[int, tuple[int, ...], tuple[float, ...]]]] = {}
        for k, e in enumerate(exprs):
            template, cols, consts = _template(e, symbols)
            groups.setdefault((template, len(cols), len(consts)), []).append((k, cols, consts))
        self._groups: list[tuple[Callable[..., Any], np.ndarray, list[np.ndarray], list[Any]]] = []
        for (template, _, _), members in groups.items():
            n_cols, n_consts = len(members[0][1]), len(members[0][2])
            args = [sp.Symbol(f"_u{i}", real=True) for i in range(n_cols)] + \
                   [sp.Symbol(f"_c{i}", real=True) for i in range(n_consts)]
            values = [np.array([m[2][i] for m in members]) for i in range(n_consts)]
            self._groups.append((sp.lambdify(args, template, "numpy"), np.array([k for k, _, _ in members]),
                                 [np.array([m[1][i] for m in members]) for i in range(n_cols)],
                                 [float(v[0]) if (v == v[0]).all() else v for v in values]))
        self._n = len(exprs)
        self._in_order = len(self._groups) == 1 and (self._groups[0][1] == np.arange(self._n)).all()

    def _group_values(self, k: int, Z: np.ndarray) -> np.ndarray:
        """Group k's values as an (N, members) array (a template free of z is broadcast)."""
        f, where, cols, consts = self._groups[k]
        v = f(*[Z[:, c] for c in cols], *consts)
        shape = (Z.shape[0], len(where))
        return v if np.shape(v) == shape else np.broadcast_to(v, shape)

    def __call__(self, Z: np.ndarray) -> np.ndarray:
        """The (N, len(exprs)) array of the expressions' values."""
        if self._in_order:
            return self._group_values(0, Z)
        out = np.empty((Z.shape[0], self._n))
        for k, (_, where, _, _) in enumerate(self._groups):
            out[:, where] = self._group_values(k, Z)
        return out

    def row_sums(self, Z: np.ndarray) -> np.ndarray:
        """The sum of the expressions' values at each row of Z."""
        total = np.zeros(Z.shape[0])
        for k in range(len(self._groups)):
            total += self._group_values(k, Z).sum(axis=1)
        return total


@dataclass(frozen=True, eq=False)
class AffineCoupling(Layer):
    """RealNVP coupling: z_A' = z_A, z_B' = z_B * exp(s(z_A)) + t(z_A).

    ``mask[i] == 1`` puts z_i in z_A (passed through); ``s`` and ``t`` hold one expression per
    z_B component, in the z_A symbols. The Jacobian is block lower-triangular with identity
    and diag(exp(s)) on the diagonal, so log|det J| = sum(s).

    >>> from sympy import symbols
    >>> z = symbols("z1 z2", real=True)
    >>> c = AffineCoupling((1, 0), s=(z[0] / 2,), t=(z[0] ** 2,))
    >>> c.forward, c.inverse
    ((z1, z1**2 + z2*exp(z1/2)), (y1, (-y1**2 + y2)*exp(-y1/2)))
    >>> c.log_det_jacobian
    z1/2
    """

    mask: tuple[int, ...]
    s: Exprs
    t: Exprs
    inputs: Symbols = ()
    outputs: Symbols = ()
    _A: tuple[int, ...] = field(default=(), init=False, repr=False)
    _B: tuple[int, ...] = field(default=(), init=False, repr=False)
    # (s, t) by point z_A: a flow step (or closed form) evaluates forward, inverse and log-det there
    _st_memo: dict[Exprs, tuple[Exprs, Exprs]] = field(default_factory=dict, init=False, repr=False)

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
        read = expression_reader(inputs)
        s = tuple(read(e) for e in self.s)
        t = tuple(read(e) for e in self.t)
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
    def _numpy_st(self) -> tuple[_GroupedColumns, _GroupedColumns]:
        """s and t compiled once, components of the same form evaluated together (at small batches
        one call per component would cost d/2 Python calls); shared by forward, inverse and log-det."""
        return _GroupedColumns(self.s, self.inputs), _GroupedColumns(self.t, self.inputs)

    def _numpy(self, which: NumpyMap) -> BatchMap:
        sf, tf = self._numpy_st
        B = list(self._B)

        def run(Z: np.ndarray) -> np.ndarray:
            Z = np.atleast_2d(np.asarray(Z, dtype=float))
            if which == "log_det":
                return sf.row_sums(Z)
            S, T = sf(Z), tf(Z)
            out = Z.copy()
            if which == "forward":
                out[:, B] = Z[:, B] * np.exp(S) + T
            else:
                out[:, B] = (Z[:, B] - T) * np.exp(-S)
            return out

        return run
