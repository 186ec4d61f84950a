"""A formula in y compiled to a chain of numpy ufunc calls that write into given buffers.

Each step writes into the output or a reused scratch array (``out=``), so a block of points
costs one pass per operation and no temporaries: ``k - 1/8*(y - 1)**2`` is subtract, square,
multiply, add, all in the output. Parts free of y must already be single symbols or numbers
(see ``covar.numeric.evaluate._hoisted``); anything the chain cannot express (a special
function without a ufunc, a Piecewise) makes :func:`ufunc_chain` return None.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import sympy as sp

_FUNCTIONS: dict[type, str] = {
    sp.exp: "exp", sp.log: "log", sp.sin: "sin", sp.cos: "cos", sp.tan: "tan", sp.tanh: "tanh",
    sp.sinh: "sinh", sp.cosh: "cosh", sp.atan: "arctan", sp.asin: "arcsin", sp.acos: "arccos",
    sp.asinh: "arcsinh", sp.acosh: "arccosh", sp.atanh: "arctanh", sp.Abs: "absolute",
}
_SCIPY_FUNCTIONS: dict[type, str] = {sp.erf: "erf", sp.erfc: "erfc"}

# A step: (ufunc, first operand, second operand or -1, target); operands index the value list
# [y, out, scratch..., scalars...].
Step = tuple[Callable[..., Any], int, int, int]


_KEPT = 1 << 30  # reads of a shared value: more than any chain makes, so its buffer stays live


class _Unsupported(Exception):
    """A part of the formula the chain cannot express."""


@dataclass(frozen=True)
class UfuncChain:
    """The compiled chain: ``steps`` over ``n_scratch`` scratch arrays and the scalars that
    ``scalars`` computes from the parameters (once per call, not per block)."""

    steps: tuple[Step, ...]
    n_scratch: int
    scalars: Callable[..., tuple]

    def into(self, ys: np.ndarray, out: np.ndarray, scratch: Sequence[np.ndarray], scalars: tuple) -> None:
        """Write the formula at ``ys`` into ``out`` (same shape); ``scratch`` holds at least
        ``n_scratch`` arrays of that shape. Call under ``np.errstate(all="ignore")``."""
        values = [ys, out, *scratch[:self.n_scratch], *scalars]
        for f, a, b, t in self.steps:
            if b < 0:
                f(values[a], values[t])
            else:
                f(values[a], values[b], values[t])

    def __call__(self, ys: Any, *params: Any) -> np.ndarray:
        """The formula at ``ys`` as a new array (what the faithfulness probe calls)."""
        ys = np.asarray(ys, dtype=float)
        shape = np.broadcast_shapes(ys.shape, *(np.shape(p) for p in params))
        ys = np.broadcast_to(ys, shape)
        out = np.empty(shape)
        with np.errstate(all="ignore"):
            self.into(ys, out, [np.empty(shape) for _ in range(self.n_scratch)], self.scalars(*params))
        return out


class _Builder:
    """Turns an expression DAG into steps, freeing a buffer as soon as its value is dead.

    An operand is ("y",), ("param", i), ("const", value) or ("buffer", k, key): buffer 0 is the
    output, 1, 2, ... scratch; ``reads[key]`` counts the reads of that value still to come. A
    value read once is computed where it is read (again if asked for again); a subexpression
    with several parents is computed once and its buffer kept to the end."""

    def __init__(self, y: sp.Symbol, scalar_names: Sequence[sp.Symbol], uses: dict[sp.Basic, int]):
        self.y = y
        self.scalar_index = {s: i for i, s in enumerate(scalar_names)}
        self.uses = uses
        self.steps: list[tuple[Callable[..., Any], tuple, tuple | None, int]] = []
        self.free = [0]
        self.n_buffers = 1
        self.reads: dict[int, int] = {}
        self.shared: dict[sp.Basic, tuple] = {}

    def scalar(self, e: sp.Basic) -> tuple:
        if e in self.scalar_index:
            return ("param", self.scalar_index[e])
        if e.is_number and e.is_real:
            return ("const", float(e))
        raise _Unsupported(e)

    def emit(self, f: Callable[..., Any], operands: Sequence[tuple], root: bool) -> tuple:
        """One step; its operands are read (a dead operand's buffer may be the target, which
        elementwise ufuncs allow), and the root always lands in the output."""
        if all(op[0] in ("param", "const") for op in operands):
            raise _Unsupported("an operation on scalars only")
        for op in operands:
            if op[0] == "buffer":
                self.reads[op[2]] -= 1
                if self.reads[op[2]] == 0:
                    self.free.append(op[1])
        if root:
            k = 0
        elif self.free:
            k = min(self.free)  # the output first: a chain ending in the root then needs no copy
        else:
            k = self.n_buffers
            self.n_buffers += 1
        if k in self.free:
            self.free.remove(k)
        self.steps.append((f, operands[0], operands[1] if len(operands) == 2 else None, k))
        key = len(self.steps)
        self.reads[key] = 1
        return ("buffer", k, key)

    def value(self, e: sp.Basic, root: bool = False) -> tuple:
        """Operand for ``e``: a scalar, y itself, or a buffer holding e's values."""
        if not e.has(self.y):
            return self.scalar(e)
        if e == self.y:
            return self.emit(np.positive, [("y",)], True) if root else ("y",)
        if e in self.shared:
            return self.shared[e]
        result = self.compute(e, root)
        if self.uses.get(e, 1) > 1:  # computed once and kept to the end: never freed, never overwritten
            self.reads[result[2]] = _KEPT
            self.shared[e] = result
        return result

    def compute(self, e: sp.Basic, root: bool) -> tuple:
        if isinstance(e, sp.Add):
            return self.add(e, root)
        if isinstance(e, sp.Mul) or (isinstance(e, sp.Pow) and e.exp.is_number and e.exp < 0):
            return self.mul(e, root)
        if isinstance(e, sp.Pow):
            return self.power(e.base, e.exp, root)
        if len(e.args) != 1:
            raise _Unsupported(e)
        if type(e) in _FUNCTIONS:
            ufunc = getattr(np, _FUNCTIONS[type(e)])
        elif type(e) in _SCIPY_FUNCTIONS:
            import scipy.special

            ufunc = getattr(scipy.special, _SCIPY_FUNCTIONS[type(e)])
        else:
            raise _Unsupported(e)
        return self.emit(ufunc, [self.value(e.args[0])], root)

    def power(self, base: sp.Basic, exp: sp.Basic, root: bool) -> tuple:
        if exp.has(self.y) or not exp.is_number:
            return self.emit(np.power, [self.value(base), self.value(exp)], root)
        # not np.cbrt for y**(1/3): sympy's principal root of a negative number is complex, cbrt's
        # is real; pow gives nan there, and the caller's fallback takes over
        for special, ufunc in ((2, np.square), (sp.Rational(1, 2), np.sqrt)):
            if exp == special:
                return self.emit(ufunc, [self.value(base)], root)
        if exp.is_Integer and 3 <= exp <= 8:  # squares and products: several times faster than pow
            b = self.value(base)
            if b[0] == "buffer":
                self.reads[b[2]] += _odd_steps(int(exp))
            return self.integer_power(b, int(exp), root)
        return self.emit(np.power, [self.value(base), self.scalar(exp)], root)

    def integer_power(self, b: tuple, n: int, root: bool) -> tuple:
        if n == 1:
            return b
        if n % 2 == 0:
            return self.emit(np.square, [self.integer_power(b, n // 2, False)], root)
        return self.emit(np.multiply, [self.integer_power(b, n - 1, False), b], root)

    def add(self, e: sp.Add, root: bool) -> tuple:
        def negated(a: sp.Basic) -> bool:
            return isinstance(a, sp.Mul) and a.args[0] == -1

        terms = [(np.subtract if negated(a) else np.add, sp.Mul(*a.args[1:]) if negated(a) else a) for a in e.args]
        # a term added first, then the other terms with y, scalars last
        terms.sort(key=lambda t: (not t[1].has(self.y), t[0] is np.subtract))
        scalars = [t for t in terms if not t[1].has(self.y)]
        if terms[0][0] is np.subtract:  # nothing added: start from the scalar, or from 0
            if scalars and scalars[0][0] is np.add:
                terms.remove(scalars[0])
                terms.insert(0, scalars[0])
            else:
                terms.insert(0, (np.add, sp.Integer(0)))
        acc = self.value(terms[0][1])
        for i, (f, term) in enumerate(terms[1:], start=2):
            acc = self.emit(f, [acc, self.value(term)], root and i == len(terms))
        return acc

    def mul(self, e: sp.Expr, root: bool) -> tuple:
        factors = e.args if isinstance(e, sp.Mul) else (e,)
        den = [sp.Pow(f.base, -f.exp) for f in factors if isinstance(f, sp.Pow) and f.exp.is_number and f.exp < 0]
        num = sorted((f for f in factors if not (isinstance(f, sp.Pow) and f.exp.is_number and f.exp < 0)),
                     key=lambda f: not f.has(self.y))
        den.sort(key=lambda f: not f.has(self.y))
        acc = self.value(num[0]) if num else ("const", 1.0)
        last = len(num) - 1 + (1 if den else 0)
        for i, f in enumerate(num[1:], start=1):
            acc = self.emit(np.multiply, [acc, self.value(f)], root and i == last)
        if den:
            d = self.value(den[0])
            for f in den[1:]:
                d = self.emit(np.multiply, [d, self.value(f)], False)
            acc = self.emit(np.divide, [acc, d], root)
        return acc


def _odd_steps(n: int) -> int:
    """Extra reads of the base when b**n is built by squaring and multiplying by b."""
    extra = 0
    while n > 1:
        if n % 2:
            extra += 1
            n -= 1
        else:
            n //= 2
    return extra


def _count_uses(e: sp.Basic, y: sp.Symbol, uses: dict[sp.Basic, int]) -> None:
    """How many parents read each y-dependent subexpression (shared ones are computed once)."""
    for a in e.args:
        if a.has(y):
            uses[a] = uses.get(a, 0) + 1
            if uses[a] == 1:
                _count_uses(a, y, uses)


def ufunc_chain(body: sp.Expr, y: sp.Symbol, scalar_names: Sequence[sp.Symbol],
                scalars: Callable[..., tuple]) -> UfuncChain | None:
    """``body`` (a formula in y whose y-free parts are the symbols ``scalar_names`` or numbers)
    as a chain of in-place ufunc calls; ``scalars(*params)`` gives the symbols' values. None
    when some part has no ufunc.

    >>> y, k = sp.symbols("y k")
    >>> chain = ufunc_chain(k - (y - 1)**2 / 8, y, [k], lambda: (1.0,))
    >>> [step[0].__name__ for step in chain.steps], chain.n_scratch
    (['add', 'square', 'multiply', 'add'], 0)
    >>> chain(np.array([1.0, 3.0]))
    array([1. , 0.5])
    """
    if not body.has(y):
        return None
    uses: dict[sp.Basic, int] = {}
    _count_uses(body, y, uses)
    builder = _Builder(y, scalar_names, uses)
    try:
        builder.value(body, root=True)
    except (_Unsupported, TypeError):
        return None
    n_values = 1 + builder.n_buffers + len(scalar_names)  # y, the buffers (output first), the scalars
    constants: list[float] = []

    def position(op: tuple | None) -> int:
        if op is None:
            return -1
        if op[0] == "y":
            return 0
        if op[0] == "buffer":
            return 1 + op[1]
        if op[0] == "param":
            return 1 + builder.n_buffers + op[1]
        constants.append(op[1])
        return n_values + len(constants) - 1

    steps = tuple((f, position(a), position(b), 1 + k) for f, a, b, k in builder.steps)
    fixed = tuple(constants)

    def all_scalars(*params: Any) -> tuple:
        return (*scalars(*params), *fixed)

    return UfuncChain(steps, builder.n_buffers - 1, all_scalars)
