"""A density's cells fused into one numba-compiled pass over the points: the optional compiled backend (covar[fast])."""
from __future__ import annotations

import math
import time
import types
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import sympy as sp

#: how ``numpy(backend=...)`` evaluates: "auto" compiles a kernel on the first call of at least
#: :data:`LARGE` points and keeps it if it is faithful and faster on a block; "numba" compiles on
#: the first call whatever its size and keeps it if faithful; "numpy" never compiles
BACKENDS = ("auto", "numpy", "numba")
#: points in one call from which backend="auto" pays for compiling (0.1-0.5 s) a kernel
LARGE = 10**5

_MATH: dict[type, str] = {
    sp.exp: "exp", sp.log: "log", sp.sin: "sin", sp.cos: "cos", sp.tan: "tan", sp.asin: "asin",
    sp.acos: "acos", sp.atan: "atan", sp.sinh: "sinh", sp.cosh: "cosh", sp.tanh: "tanh",
    sp.asinh: "asinh", sp.acosh: "acosh", sp.atanh: "atanh",
}
_RELATIONS: dict[type, str] = {sp.StrictLessThan: "<", sp.LessThan: "<=", sp.StrictGreaterThan: ">",
                               sp.GreaterThan: ">=", sp.Equality: "==", sp.Unequality: "!="}
# ys, out, the cells' ends and holes, the scalars (parameters, then y-free parts), the fill value
_SIGNATURE = "int64(float64[::1], float64[::1], float64[::1], float64[::1], float64)"


class _Unsupported(Exception):
    """A node the kernel does not write: the density keeps the numpy path."""


@dataclass(frozen=True)
class KernelCell:
    """One cell as the kernel sees it: its formula in y and scalar symbols, and which ends it has."""

    body: sp.Expr
    open_below: bool
    open_above: bool
    holes: int  # points inside the cell's span that are not in the cell


def numba_module() -> Any:
    """numba if it is installed (``pip install covar[fast]``), else None; imported only here,
    when a kernel is about to be built."""
    try:
        import numba
    except ImportError:
        return None
    return numba


class _Writer:
    """Python source of a sympy expression in floats: whitelisted nodes only (anything else
    raises _Unsupported). Scalars are read from the names given for their symbols."""

    def __init__(self, y: sp.Symbol, names: dict[sp.Symbol, str]):
        self.y = y
        self.names = names

    def number(self, e: sp.Basic) -> str:
        value = float(e)
        if not math.isfinite(value):
            raise _Unsupported(e)
        return repr(value)

    def expr(self, e: sp.Basic) -> str:
        if e == self.y:
            return "y"
        if e in self.names:
            return self.names[e]
        if isinstance(e, (sp.Number, sp.NumberSymbol)):
            return self.number(e)
        if isinstance(e, sp.Add):
            return "(" + " + ".join(self.expr(a) for a in e.args) + ")"
        if isinstance(e, sp.Mul):
            return self.product(e.args)
        if isinstance(e, sp.Pow):
            return self.power(e.base, e.exp)
        if type(e) in _MATH and len(e.args) == 1:
            return f"math.{_MATH[type(e)]}({self.expr(e.args[0])})"
        if isinstance(e, sp.Abs):
            return f"abs({self.expr(e.args[0])})"
        if isinstance(e, sp.Piecewise):
            return self.piecewise(e)
        raise _Unsupported(e)

    def product(self, factors: Sequence[sp.Basic]) -> str:
        """Numerator over denominator: one division, not a reciprocal per factor."""
        def negative(f: sp.Basic) -> bool:
            return isinstance(f, sp.Pow) and f.exp.is_Number and f.exp < 0

        num = [self.expr(f) for f in factors if not negative(f)] or ["1.0"]
        den = [self.power(f.base, -f.exp) for f in factors if negative(f)]
        text = "*".join(num)
        return f"({text}/({'*'.join(den)}))" if den else f"({text})"

    def power(self, base: sp.Basic, exp: sp.Basic) -> str:
        b = self.expr(base)
        if exp.is_Integer:
            n = int(exp)
            if n == 0:
                return "1.0"
            positive = "*".join([b] * abs(n)) if abs(n) <= 4 else f"({b})**{abs(n)}"
            return f"({positive})" if n > 0 else f"(1.0/({positive}))"
        if exp == sp.Rational(1, 2):
            return f"math.sqrt({b})"
        if exp == sp.Rational(-1, 2):
            return f"(1.0/math.sqrt({b}))"
        if exp.is_Number:
            return f"({b})**({self.number(exp)})"
        if exp in self.names:  # a parameter or a y-free part: pow in floats
            return f"({b})**{self.names[exp]}"
        raise _Unsupported(exp)

    def condition(self, c: sp.Basic) -> str:
        if type(c) in _RELATIONS:
            return f"({self.expr(c.lhs)} {_RELATIONS[type(c)]} {self.expr(c.rhs)})"
        if isinstance(c, (sp.And, sp.Or)):
            joint = " and " if isinstance(c, sp.And) else " or "
            return "(" + joint.join(self.condition(a) for a in c.args) + ")"
        raise _Unsupported(c)

    def piecewise(self, e: sp.Piecewise) -> str:
        text = "math.nan"  # sympy's value when no condition holds
        for value, cond in reversed(e.args):
            if cond == sp.true:
                text = self.expr(value)
            elif cond != sp.false:
                text = f"({self.expr(value)} if {self.condition(cond)} else {text})"
        return text


def kernel_source(cells: Sequence[KernelCell], y: sp.Symbol, scalars: Sequence[sp.Symbol]) -> str | None:
    """Python source of one loop over the points that picks each point's cell and writes the
    cell's formula (or ``fill`` off every cell), counting points inside a cell where the
    formula is not finite; None when some node is not one the kernel writes.

    >>> y, k = sp.symbols("y k")
    >>> print(kernel_source([KernelCell(k * sp.exp(-y**2 / 2), False, True, 0)], y, [k]))
    def kernel(ys, out, ends, scalars, fill):
        s0 = scalars[0]
        e0 = ends[0]
        bad = 0
        for i in range(ys.shape[0]):
            y = ys[i]
            if y > e0:
                v = (s0*math.exp((-0.5*(y*y))))
            else:
                out[i] = fill
                continue
            if not math.isfinite(v):
                bad += 1
            out[i] = v
        return bad
    """
    names = {s: f"s{i}" for i, s in enumerate(scalars)}
    writer = _Writer(y, names)
    head = ["def kernel(ys, out, ends, scalars, fill):", *(f"    s{i} = scalars[{i}]" for i in range(len(scalars)))]
    branches: list[str] = []
    n_ends = 0
    for cell in cells:
        tests = []
        for needed, op in ((not cell.open_below, ">"), (not cell.open_above, "<"), *((True, "!="),) * cell.holes):
            if needed:
                tests.append(f"y {op} e{n_ends}")
                n_ends += 1
        try:
            formula = writer.expr(cell.body)
        except (_Unsupported, TypeError):
            return None
        branches += [f"        {'elif' if branches else 'if'} {' and '.join(tests) or 'True'}:",
                     f"            v = {formula}"]
    return "\n".join([*head, *(f"    e{j} = ends[{j}]" for j in range(n_ends)),
                      "    bad = 0", "    for i in range(ys.shape[0]):", "        y = ys[i]", *branches,
                      "        else:", "            out[i] = fill", "            continue",
                      "        if not math.isfinite(v):", "            bad += 1", "        out[i] = v",
                      "    return bad"])


@dataclass(frozen=True)
class FusedKernel:
    """The compiled loop of :func:`kernel_source`: ``run(ys, ends, scalars, fill)`` gives the
    values and the number of points inside a cell where the formula was not finite."""

    loop: Callable[..., int]
    source: str

    def run(self, ys: np.ndarray, ends: np.ndarray, scalars: np.ndarray, fill: float) -> tuple[np.ndarray, int]:
        flat = np.ascontiguousarray(ys, dtype=float).reshape(-1)
        out = np.empty(flat.shape)
        bad = self.loop(flat, out, ends, scalars, float(fill))
        return out.reshape(np.shape(ys)), int(bad)


def fused_kernel(cells: Sequence[KernelCell], y: sp.Symbol, scalars: Sequence[sp.Symbol]) -> FusedKernel | None:
    """The cells compiled by numba into one pass; None when numba is missing, some node is not
    whitelisted, or numba refuses the source. Faithfulness is the caller's to check."""
    numba = numba_module()
    source = kernel_source(cells, y, scalars)
    if numba is None or source is None:
        return None
    # The source is written by covar from a sympy tree covar built (whitelisted nodes, numbers
    # printed by repr, symbols renamed s0, s1, ...), never from user text: compiling it is safe.
    # The function is taken from the compiled module's constants, without running the module.
    code = compile(source, "<covar kernel>", "exec")
    body = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    function = types.FunctionType(body, {"math": math})
    try:
        loop = numba.njit(_SIGNATURE, cache=False, error_model="numpy", nogil=True)(function)
    except numba.core.errors.NumbaError:
        return None
    return FusedKernel(loop, source)


def faster_than(kernel: Callable[[], Any], other: Callable[[], Any], repeat: int = 3) -> bool:
    """Is ``kernel`` faster than ``other`` (best CPU time of ``repeat`` interleaved runs)?"""
    best = [math.inf, math.inf]
    for _ in range(repeat):
        for i, fn in enumerate((kernel, other)):
            start = time.process_time()
            fn()
            best[i] = min(best[i], time.process_time() - start)
    return best[0] < best[1]
