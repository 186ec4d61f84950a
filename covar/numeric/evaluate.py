"""Fast numpy evaluation of densities: one lambdified function per cell, applied under a mask.

Each cell's simplified expression is compiled once (common subexpressions shared); a cell
covering the whole line needs no mask, so exp-of-Normal style results run as a few ufuncs.
Numeric-only results (no closed-form inverse) evaluate by vectorised bisection on each piece.
With numba installed (covar[fast]), all cells of a density can instead run as one compiled pass
(covar.numeric.compiled_kernel), probed against mpmath like every candidate before it is used.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, AbstractSet, Any, Callable, Iterator, Protocol, Sequence

import numpy as np
import sympy as sp

from covar.errors import CovarError
from covar.numeric.ufunc_chain import UfuncChain, ufunc_chain
from covar.text.values import as_expression, check_parameter_values

if TYPE_CHECKING:
    from covar.laws.joint import JointDensity


# Points per block: a block's temporaries stay in cache, and peak memory is the output plus a
# few blocks, whatever the number of points.
_BLOCK = 1 << 15
_SMALL = 64  # up to this many points, counting a cell's points costs more than it saves


def as_real(raw: Any, shape: tuple[int, ...]) -> np.ndarray:
    """A formula's value as a float array of ``shape`` (a read-only view when it broadcasts); a
    value with an imaginary part beyond round-off is not a density: nan."""
    raw = np.asarray(raw)
    if np.iscomplexobj(raw):
        real = np.abs(raw.imag) <= 1e-12 * np.maximum(1.0, np.abs(raw.real))
        raw = np.where(real, raw.real, np.nan)
    out = raw.astype(float, copy=False)
    return out if out.shape == shape else np.broadcast_to(out, shape)


@dataclass(frozen=True)
class CellFormula:
    """A cell's formula as the compiled backend needs it: the expression (what the kernel is
    checked against), its hoisted form and y-free parts (see :func:`_hoisted`), its spans, and
    what redoes a point where a float formula is not finite in the probe (None: nothing)."""

    expr: sp.Expr
    body: sp.Expr
    constants: tuple[tuple[sp.Dummy, sp.Expr], ...]
    spans: tuple[tuple[sp.Expr, sp.Expr], ...]
    redo: Callable[..., np.ndarray] | None


@dataclass(frozen=True)
class CompiledCell:
    lo: Callable[..., float]
    hi: Callable[..., float]
    f: Callable[..., np.ndarray]
    open_below: bool  # lo is -oo
    open_above: bool  # hi is +oo
    fallback: Callable[..., np.ndarray] | None = None  # root-finding, for points the formula overflows at
    costly: bool = False  # f is not a formula (root-finding, mpmath): evaluate it only inside the cell
    holes: tuple[Callable[..., float], ...] = ()  # points inside (lo, hi) that are not in the cell
    chain: UfuncChain | None = None  # f as in-place ufunc calls (f is then this chain)
    point: Callable[..., float] | None = None  # the formula in Python floats, of (y, *chain scalars)
    formula: CellFormula | None = None  # what a compiled kernel is built from; None: f is not a formula

    def values(self, ys: np.ndarray, params: tuple, inside: np.ndarray | None = None) -> np.ndarray:
        """The cell's formula at ys (a new array or a view); points where it overflows (inf*0,
        exp(5000)) are redone by root-finding, since inside an open cell the density is finite.
        Only points where ``inside`` holds (all, if None) are redone. Call under
        ``np.errstate(all="ignore")``: values off the cell may overflow, and are not used."""
        out = as_real(self.f(ys, *params), ys.shape)
        if self.fallback is None:
            return out
        finite = np.isfinite(out)
        if finite.all():  # the usual case: one pass, no mask built
            return out
        bad = ~finite if inside is None else ~finite & inside
        if bad.any():
            out = np.array(out)
            out[bad] = self.fallback(ys[bad], *params)
        return out

    def scalars(self, params: tuple) -> tuple:
        """What :meth:`write` needs besides the points, computed once per call."""
        return self.chain.scalars(*params) if self.chain is not None else params

    def write(self, ys: np.ndarray, out: np.ndarray, scratch: Sequence[np.ndarray], scalars: tuple, params: tuple,
              inside: np.ndarray | None) -> None:
        """:meth:`values` written into ``out``: in place by the ufunc chain if there is one. The
        finiteness check is cheap (:func:`_all_finite`): only when it fails are the points
        looked at one by one (and only those ``inside`` the cell redone; all if None)."""
        if self.chain is not None:
            self.chain.into(ys, out, scratch, scalars)
        else:
            out[...] = as_real(self.f(ys, *params), ys.shape)
        if self.fallback is None or _all_finite(out):
            return
        bad = ~np.isfinite(out) if inside is None else ~np.isfinite(out) & inside
        if bad.any():
            out[bad] = self.fallback(ys[bad], *params)

    def mask(self, ys: np.ndarray, ends: tuple[Any, Any, tuple[Any, ...]]) -> np.ndarray | None:
        """Where ys lies in the cell with ends ``ends`` (from :meth:`ends`); None: everywhere.
        A hole of an open cell that no point hits makes no mask (one comparison, no choice)."""
        lo, hi, holes = ends
        inside = None if self.open_below else ys > lo
        if not self.open_above:
            inside = ys < hi if inside is None else inside & (ys < hi)
        if inside is None:
            holes = tuple(hole for hole in holes if np.any(ys == hole))
        for hole in holes:
            inside = ys != hole if inside is None else inside & (ys != hole)
        return inside

    def ends(self, params: tuple) -> tuple[Any, Any, tuple[Any, ...]]:
        """The cell's ends and holes at these parameter values (evaluated once per call, not
        per block)."""
        return (None if self.open_below else self.lo(*params), None if self.open_above else self.hi(*params),
                tuple(hole(*params) for hole in self.holes))


# Series of W about the branch point z = -1/e in p = ±sqrt(2(e z + 1)); scipy's lambertw
# loses all accuracy in W + 1 there, and densities divide by W + 1.
_BRANCH_SERIES = (-1.0, 1.0, -1 / 3, 11 / 72, -43 / 540, 769 / 17280, -221 / 8505)


def lambertw_real(z, k: int = 0):
    """Real Lambert W (branch 0 or -1), accurate next to the branch point -1/e."""
    from scipy.special import lambertw

    z = np.asarray(z, dtype=float)
    with np.errstate(all="ignore"):
        w = np.array(np.real(lambertw(z, k)), dtype=float)  # an array also for one point
        t = np.e * z + 1.0
        near = (t >= 0) & (t < 1e-3)
        if np.any(near):
            p = np.sqrt(2 * t[near]) * (1.0 if k == 0 else -1.0)
            w[near] = np.polyval(_BRANCH_SERIES[::-1], p)
        w[t < 0] = np.nan
        if k == -1:
            w[z >= 0] = np.nan  # the lower branch is real on [-1/e, 0) only
    return w if w.ndim else float(w)


NUMPY_MODULES = [{"LambertW": lambertw_real}, "numpy", "scipy"]


# functions numpy evaluates: an expression with no others is compiled without importing scipy
# (a fifth of a cold derive)
_NUMPY_FUNCTIONS = frozenset({sp.exp, sp.log, sp.sin, sp.cos, sp.tan, sp.asin, sp.acos, sp.atan, sp.atan2, sp.sinh,
                              sp.cosh, sp.tanh, sp.asinh, sp.acosh, sp.atanh, sp.Abs, sp.sign, sp.Max, sp.Min,
                              sp.Piecewise, sp.floor, sp.ceiling, sp.re, sp.im})


def _end_function(params: Sequence[sp.Symbol], end: sp.Expr) -> Callable[..., Any]:
    """An interval end (a number or a formula in the parameters) as a function of the parameters,
    with the functions it needs (swish's turning value -W(1/e) needs the real Lambert W)."""
    return sp.lambdify(params, end, array_modules(end))


def array_modules(expr: sp.Basic) -> list:
    """The modules lambdify needs for ``expr`` on arrays: numpy, and scipy only for a function
    numpy lacks (importing scipy.special costs a cold derive a fifth of its time).

    >>> x = sp.Symbol("x")
    >>> array_modules(sp.exp(-x**2)) is NUMPY_MODULES, array_modules(sp.erf(x)) is NUMPY_MODULES
    (False, True)
    """
    return NUMPY_MODULES if any(type(f) not in _NUMPY_FUNCTIONS for f in expr.atoms(sp.Function)) else NUMPY_MODULES[:2]


def _array_printer(scipy: bool) -> type:
    """sympy's numpy (or scipy) printer, writing small integer powers as products: numpy squares
    fast but goes through pow for y**3 .. y**8, several times slower than y*y*y*y."""
    from sympy.printing.numpy import NumPyPrinter, SciPyPrinter
    from sympy.printing.precedence import PRECEDENCE

    class ArrayPrinter(SciPyPrinter if scipy else NumPyPrinter):  # type: ignore[misc]
        def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
            n = expr.exp
            if n.is_Integer and 3 <= abs(int(n)) <= 8:
                base = self.parenthesize(expr.base, PRECEDENCE["Mul"], strict=True)
                product = "(" + "*".join([base] * abs(int(n))) + ")"
                return product if n > 0 else f"(1/{product})"
            return super()._print_Pow(expr, rational=rational)

    return ArrayPrinter


def _compile(expr: sp.Expr, args: Sequence[sp.Symbol]) -> Callable[..., np.ndarray]:
    # the settings lambdify gives its own printer (names as the namespace has them, unknown
    # functions printed by name, so a missing one is a NameError the caller handles)
    modules = array_modules(expr)
    printer = _array_printer(modules is NUMPY_MODULES)({
        "fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True,
        "user_functions": {"LambertW": "LambertW"}})
    return sp.lambdify(args, expr, modules=modules, cse=True, printer=printer)


def _compile_plain(expr: sp.Expr, y: sp.Symbol, params: Sequence[sp.Symbol]) -> Callable[..., np.ndarray]:
    """``expr`` lambdified as it stands: the candidate when the arranged form is not faithful."""
    return _compile(expr, (y, *params))


def _rebuilt(e: sp.Basic, args: list[sp.Basic]) -> sp.Basic:
    """``e`` with new arguments, not re-evaluated where its class allows (so a product the
    caller has arranged stays as arranged)."""
    try:
        return e.func(*args, evaluate=False)
    except TypeError:  # a class without the evaluate option
        return e.func(*args)


def _hoisted(expr: sp.Expr, y: sp.Symbol) -> tuple[sp.Expr, dict[sp.Dummy, sp.Expr]]:
    """``expr`` arranged for evaluation on arrays of y: every compound part free of y (of a sum,
    a product, or an argument) becomes one placeholder, computed once per call as a scalar
    (``- 3/2*log(2) - 1/2*log(pi) + log(5)`` is then one array pass, not three).

    >>> y, s = sp.symbols("y s", positive=True)
    >>> body, constants = _hoisted(sp.sqrt(2) * sp.exp(-y**4 / (2 * s**2)) / (s * sp.sqrt(sp.pi)), y)
    >>> sorted(map(str, constants.values()))
    ['-1/(2*s**2)', 'sqrt(2)/(sqrt(pi)*s)']
    """
    constants: dict[sp.Expr, sp.Dummy] = {}

    def placeholder(e: sp.Expr) -> sp.Basic:
        if e.is_Atom:
            return e
        if e not in constants:
            constants[e] = sp.Dummy(f"k{len(constants)}", real=True)
        return constants[e]

    def walk(e: sp.Basic) -> sp.Basic:
        if not e.has(y):
            return placeholder(e) if isinstance(e, sp.Expr) else e
        if e.is_Atom:
            return e
        if isinstance(e, (sp.Add, sp.Mul)):
            free = [a for a in e.args if not a.has(y)]
            rest = [walk(a) for a in e.args if a.has(y)]
            head = [placeholder(e.func(*free))] if free else []
            return rest[0] if not head and len(rest) == 1 else e.func(*head, *rest, evaluate=False)
        return _rebuilt(e, [walk(a) for a in e.args])

    body = walk(expr)
    return body, {v: k for k, v in constants.items()}


def _compile_fast(expr: sp.Expr, y: sp.Symbol, params: Sequence[sp.Symbol]) -> Callable[..., np.ndarray]:
    """``expr`` as a function of (ys, *params), its y-free parts computed once per call as
    scalars (see :func:`_hoisted`). Faithfulness is checked by the caller, as for any candidate."""
    body, constants = _hoisted(expr, y)
    if not constants:
        return _compile(body, (y, *params))
    names = tuple(constants)
    f = _compile(body, (y, *params, *names))
    scalars = _compile(sp.Tuple(*constants.values()), tuple(params))

    def evaluate(ys, *p):
        return f(ys, *p, *scalars(*p))

    return evaluate


def _chain(body: sp.Expr, constants: dict[sp.Dummy, sp.Expr], y: sp.Symbol, params: Sequence[sp.Symbol]
           ) -> UfuncChain | None:
    """``body`` (from :func:`_hoisted`) as in-place ufunc calls, the ``constants`` computed once
    per call; None when some part has no ufunc. Faithfulness is checked by the caller."""
    scalars = _scalar_function(sp.Tuple(*constants.values()), tuple(params))
    return ufunc_chain(body, y, (*params, *constants), lambda *p: (*p, *scalars(*p)))


def _scalar_function(values: sp.Tuple, params: tuple[sp.Symbol, ...]) -> Callable[..., tuple]:
    """``values`` as a function of the parameters: in Python floats (the math module) for
    numbers, a microsecond and no scipy import; compiled for arrays (and for whatever math
    refuses: nan, a function it lacks) on first need."""
    on_floats = sp.lambdify(params, values, modules="math")
    on_arrays: list[Callable[..., Any]] = []

    def evaluate(*p: Any) -> tuple:
        try:
            return on_floats(*p)
        except (TypeError, ValueError, NameError, OverflowError, ZeroDivisionError):
            if not on_arrays:
                on_arrays.append(_compile(values, params))
            return on_arrays[0](*p)

    return evaluate


def _point_formula(expr: sp.Expr, body: sp.Expr, constants: dict[sp.Dummy, sp.Expr], y: sp.Symbol,
                   params: Sequence[sp.Symbol], chain: UfuncChain, spans: list[tuple[sp.Expr, sp.Expr]],
                   redo: Callable[..., np.ndarray] | None = None) -> Callable[..., float] | None:
    """``expr`` (hoisted: ``body`` and its ``constants``) in Python floats (the math module) as a function of (y, *the chain's scalars):
    one point costs a microsecond instead of a ufunc call per operation. None unless faithful
    (checked against mpmath like any candidate); a math error (log of a negative number,
    overflow) at a point raises, and the caller then evaluates that point with arrays."""
    n = len(params) + len(constants)
    f = sp.lambdify((y, *params, *constants), body, modules="math")

    def point(yv: float, *scalars: Any) -> float:
        return f(yv, *scalars[:n])

    def at(yv: float, scalars: tuple) -> float:
        try:
            return point(yv, *scalars)
        except (OverflowError, ValueError, ZeroDivisionError):
            return math.nan  # at run time this point goes to the array path instead

    def on_arrays(ys, *p):
        scalars = chain.scalars(*p)
        return np.array([at(float(v), scalars) for v in np.ravel(ys)])

    return point if all(_faithful(on_arrays, expr, y, params, a, b, redo) for a, b in spans) else None


def _cells_of(density) -> list[tuple[sp.Expr, sp.Expr, sp.Expr, tuple[int, ...]]]:
    """(lo, hi, expression, covering pieces) for each cell where the density is positive."""
    d = density.derivation
    if d is not None and getattr(d, "cells", None) is not None and d.pdf is density.pdf:
        return [(c.interval.start, c.interval.end, c.simplified, c.pieces) for c in d.cells]
    from covar.univariate.pieces import support_intervals

    return [(iv.start, iv.end, density.pdf, ()) for iv in support_intervals(density.support)]


def upstream_names(density) -> set[str]:
    """Names of parameters that the derivation used but the result no longer needs
    (standardising N(mu, sigma) cancels both): passing them is harmless, not a typo."""
    names: set[str] = set(getattr(density.numeric, "upstream", ()))  # a marginal's joint
    d = getattr(density, "derivation", None)
    while d is not None and hasattr(d, "input"):
        names |= {p.name for p in d.input.params}
        names |= {s.name for s in as_expression(d.g).free_symbols} - {d.x.name}
        d = d.previous
    return names


def given_values(params: Sequence[sp.Symbol], given: dict, ignorable: AbstractSet[str] = frozenset()) -> list:
    """The values of ``params``, in order, from the keyword arguments ``given`` by the user;
    CovarError names what is missing or unknown (names in ``ignorable`` may be passed unused)."""
    names = [p.name for p in params]
    check_parameter_values(given)
    missing = [n for n in names if n not in given]
    unknown = [k for k in given if k not in names and k not in ignorable]
    if missing or unknown:
        raise CovarError(
            f"parameters needed: {', '.join(names) or 'none'}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unknown {', '.join(unknown)}" if unknown else "")
        )
    return [given[n] for n in names]


def _fill_block(cells: list[CompiledCell], prepared: list[tuple[Any, tuple]], fill: float, params: tuple,
                ys: np.ndarray, out: np.ndarray, scratch: list[np.ndarray], gather: bool) -> None:
    """The density at the points ``ys`` written into ``out`` (same shape). A cell's formula is
    evaluated on the whole block (into ``out`` when it is the only cell, else into the last
    scratch array) and chosen where the point lies in the cell (np.putmask), which
    is cheaper than gathering and scattering, except for costly evaluators or a cell holding
    few points of the block (then only its points are evaluated, if ``gather``)."""
    if len(cells) == 1:
        cell, (ends, scalars) = cells[0], prepared[0]
        inside = cell.mask(ys, ends)
        if inside is not None and gather and inside.size > _SMALL:
            count = int(np.count_nonzero(inside))
            if cell.costly or 4 * count < inside.size:
                out.fill(fill)
                if count:
                    out[inside] = cell.values(ys[inside], params)
                return
        cell.write(ys, out, scratch, scalars, params, inside)
        if inside is not None:  # off the cell (nan points too): the fill value
            off = np.logical_not(inside, out=inside) if isinstance(inside, np.ndarray) else not inside
            np.putmask(out, off, fill)  # putmask: 3x faster than copyto
        return
    out.fill(fill)
    for cell, (ends, scalars) in zip(cells, prepared):
        inside = cell.mask(ys, ends)
        count = out.size if inside is None else int(np.count_nonzero(inside))
        if count == 0:
            continue
        if inside is None or count == out.size:  # the cells are disjoint: no other cell has points here
            cell.write(ys, out, scratch, scalars, params, None)
            return
        if gather and (cell.costly or 4 * count < out.size):
            out[inside] = cell.values(ys[inside], params)
        else:
            cell.write(ys, scratch[-1], scratch, scalars, params, inside)
            np.putmask(out, inside, scratch[-1])


def _all_finite(a: np.ndarray) -> bool:
    """No nan or infinity in ``a``: its maximum and minimum (vectorised reductions that pass nan
    on, cheaper than a sum, isfinite or a threaded BLAS dot), or for a few points a plain loop
    (no ufunc overhead)."""
    if a.size <= _SMALL:
        return all(map(math.isfinite, a.ravel().tolist()))
    return bool(np.isfinite(np.maximum.reduce(a, axis=None)) and np.isfinite(np.minimum.reduce(a, axis=None)))


def _scratch(cells: list[CompiledCell], shape: tuple[int, ...]) -> list[np.ndarray]:
    """Scratch arrays enough for every cell's chain, plus one for a cell's values when there
    are several cells."""
    n = max((c.chain.n_scratch for c in cells if c.chain is not None), default=0) + (len(cells) > 1)
    return [np.empty(shape) for _ in range(n)]


def _prepared(cells: list[CompiledCell], params: tuple) -> list[tuple[Any, tuple]]:
    """Each cell's ends and scalars at these parameter values (once per call, not per block)."""
    return [(cell.ends(params), cell.scalars(params)) for cell in cells]


def _one_point(cells: list[CompiledCell], fill: float, prepared: list[tuple[Any, tuple]], y: float) -> float | None:
    """The density at one point in Python floats, without arrays; None when some cell has no
    such formula, or it fails or is not finite at y (the array path then decides)."""
    for cell, ((lo, hi, holes), scalars) in zip(cells, prepared):
        if cell.point is None:
            return None
        if (lo is not None and not y > lo) or (hi is not None and not y < hi) or y in holes:
            continue
        try:
            value = cell.point(y, *scalars)
        except (ValueError, OverflowError, ZeroDivisionError):
            return None
        return float(value) if math.isfinite(value) else None
    return fill


def _evaluate(cells: list[CompiledCell], fill: float, params: tuple, ys: Any,
              prepared: list[tuple[Any, tuple]] | None = None) -> np.ndarray:
    """The density at an array of points: blocks of ``_BLOCK`` points written into one output
    (a few points: one block, no reshaping). ``prepared``: :func:`_prepared`, if known."""
    ys = np.asarray(ys, dtype=float)
    if prepared is None:
        prepared = _prepared(cells, params)
    with np.errstate(all="ignore"):  # nan points, and formulas evaluated off their cell
        if params and any(np.ndim(p) for p in params):  # parameters given as arrays: broadcast, one block
            ys = np.broadcast_to(ys, np.broadcast_shapes(ys.shape, *(np.shape(p) for p in params)))
            out = np.empty(ys.shape)
            _fill_block(cells, prepared, fill, params, ys, out, _scratch(cells, ys.shape), gather=False)
            return out
        if ys.size <= _BLOCK:
            out = np.empty(ys.shape)
            _fill_block(cells, prepared, fill, params, ys, out, _scratch(cells, ys.shape), gather=True)
            return out
        flat = ys.reshape(-1)
        out = np.empty(flat.shape)
        size = min(flat.size, _BLOCK)
        scratch = _scratch(cells, (size,))
        for start in range(0, flat.size, _BLOCK):
            block = flat[start:start + _BLOCK]
            _fill_block(cells, prepared, fill, params, block, out[start:start + _BLOCK],
                        scratch if block.size == size else [a[:block.size] for a in scratch], gather=True)
    return out.reshape(ys.shape)


#: points far out in an unbounded cell where a candidate formula is also probed
_FAR = tuple(s * v for s in (-1.0, 1.0) for v in (*np.geomspace(3.1415926e3, 2.7182818e20, 29), 1e300))  # not round: exact cancellation must not hide garbage


_ELEMENTARY = (sp.exp, sp.log, sp.Abs, sp.sign, sp.Min, sp.Max, sp.sin, sp.cos, sp.tan, sp.asin,
               sp.acos, sp.atan, sp.sinh, sp.cosh, sp.tanh)


def _far_probe_is_cheap(expr: sp.Expr, y: sp.Symbol) -> bool:
    """Elementary functions only (mpmath may not converge on a special function far out) and no
    tower of exponentials in y (exp(β·e^y) at y = 1e12 would exhaust mpmath)."""
    if not all(isinstance(f, _ELEMENTARY) for f in expr.atoms(sp.Function)):
        return False
    towers = [e for e in expr.atoms(sp.exp) if e.args[0].has(sp.exp) and e.has(y)]
    powers = [p for p in expr.atoms(sp.Pow) if p.exp.has(y) and p.base.has(y)]
    return not towers and not powers


def _faithful(fn, expr, y, params, lo, hi, redo: Callable[..., np.ndarray] | None = None) -> bool:
    """Does the compiled ``fn`` reproduce ``expr`` (evaluated independently, in mpmath) inside
    (lo, hi)? Probed at 7 points for up to two parameter draws that leave the cell non-empty and
    the expression real there (a draw outside the parameters' domain, such as a correlation
    beyond ±1, is skipped). Nothing probed is a failure, never a pass. Points where ``fn`` is
    not finite are redone by ``redo`` first, if given, as the evaluator does."""
    from covar.numeric.verify import cell_draws, close, interior_samples, symbolic_values

    probed = 0
    for values, a, b in cell_draws(params, lo, hi, n=12):
        # far into an unbounded cell too, where cancellation can leave garbage that quadrature
        # over the tails multiplies by huge widths: there the value must match to 1e-7 relative
        far = [t for t in _FAR if a < t < b and not (math.isfinite(a) and math.isfinite(b))] \
            if _far_probe_is_cheap(expr, y) else []
        near_ys = interior_samples(a, b, 7)
        refs = symbolic_values(expr, y, np.array(near_ys), values)
        if not all(close(r, r) for r in refs):
            continue  # not a valid parameter draw for this expression
        far_refs = symbolic_values(expr, y, np.array(far), values) if far else []
        kept = [(t, r) for t, r in zip(far, far_refs) if close(r, r)]  # mpmath gave a number there
        far = [t for t, _ in kept]
        refs = [*refs, *(r for _, r in kept)]
        ys = np.array([*near_ys, *far])
        args = [float(values[p]) for p in params]
        try:
            with np.errstate(all="ignore"):
                got = np.real(np.broadcast_to(np.asarray(fn(ys, *args)), ys.shape))
                if redo is not None and not np.isfinite(got).all():
                    got, bad = np.array(got), ~np.isfinite(got)
                    got[bad] = redo(ys[bad], *args)
        except (NameError, TypeError, ValueError, ZeroDivisionError, OverflowError):
            return False  # a function the numeric backend lacks (meijerg), or not vectorisable
        near = len(ys) - len(far)
        # far out a float formula may overflow to nan/inf where the true value underflows to 0
        # (the evaluator's non-finite check handles those); a finite wrong value must not pass
        if not all(close(gv, ref, rtol=1e-7, atol=1e-7 if k < near else 1e-300)
                   or (k >= near and not np.isfinite(gv) and abs(complex(ref)) <= 1e-300)
                   for k, (gv, ref) in enumerate(zip(got, refs))):
            return False
        probed += 1
        if probed == 2:
            break
    return probed > 0


def _mpmath_cell(expr: sp.Expr, args: Sequence[sp.Symbol]) -> Callable[..., np.ndarray]:
    """The cell's expression evaluated point by point in mpmath (arbitrary precision, every
    special function sympy knows, e.g. meijerg): slow but faithful, for formulas numpy and
    scipy cannot evaluate. Complex values (beyond round-off) become nan."""
    import mpmath

    f = sp.lambdify(args, expr, "mpmath")

    def evaluate(ys, *p):
        ys = np.asarray(ys, dtype=float)
        out = np.empty(ys.shape)
        with mpmath.workdps(30):
            for i, yv in np.ndenumerate(ys):
                try:
                    z = complex(f(mpmath.mpf(float(yv)), *[mpmath.mpf(float(v)) for v in p]))
                except (ValueError, TypeError, ZeroDivisionError, OverflowError):
                    out[i] = np.nan
                    continue
                out[i] = z.real if abs(z.imag) <= 1e-12 * max(1.0, abs(z.real)) else np.nan
        return out

    evaluate.pointwise = True  # type: ignore[attr-defined]  # callers may budget for its cost
    return evaluate


def _real_part_of(fn):
    """Evaluate in complex arithmetic (principal branches, as sympy does) and keep the real part:
    Cardano-type inverses pass through complex intermediates on their way to real values."""
    def evaluate(ys, *p):
        with np.errstate(all="ignore"):
            return np.real(fn(np.asarray(ys, dtype=complex), *p))
    return evaluate


def _root_finding_cell(density, pieces: tuple[int, ...], log: bool) -> Callable[..., np.ndarray] | None:
    """The cell's density by solving g(x) = y numerically on its pieces: the last resort when
    neither real nor complex floating-point evaluation of the closed form is faithful (branch
    cuts of Cardano-type inverses are crossed by round-off)."""
    d = density.derivation
    params = density.params
    if d is None or not pieces or d.input.pdf is None or set(d.input.params) - set(params):
        return None
    raw = [d.pieces[k] for k in pieces]
    built: list[NumericPdf] = []  # compiled on first use: usually never (a formula overflowing)

    def evaluator() -> NumericPdf:
        if not built:
            built.append(NumericPdf(tuple(
                NumericPiece(lo=_end_function(params, p.interval.start),
                             hi=_end_function(params, p.interval.end),
                             increasing=p.kind == "increasing",
                             g=_compile(p.g, (d.x, *params)), dg=_compile(sp.diff(p.g, d.x), (d.x, *params)),
                             fx=_compile(d.input.pdf, (d.x, *params)))
                for p in raw), tuple(params)))
        return built[0]

    def evaluate(ys, *p):
        out = evaluator().pdf(ys, **{s.name: v for s, v in zip(params, p)})
        if log:
            with np.errstate(divide="ignore"):
                return np.log(out)
        return out

    return evaluate


def _merged_cells(cells: list[tuple[sp.Expr, sp.Expr, sp.Expr, tuple[int, ...]]]
                  ) -> list[tuple[list[tuple[sp.Expr, sp.Expr]], sp.Expr, tuple[int, ...]]]:
    """Neighbouring cells with the same formula (1/x of a Cauchy: (-oo, 0) and (0, oo)) as one:
    (the intervals, the formula, the pieces of either). One evaluation per block, not two; the
    points between the intervals stay off the cell."""
    merged: list[tuple[list[tuple[sp.Expr, sp.Expr]], sp.Expr, tuple[int, ...]]] = []
    for lo, hi, expr, pieces in cells:
        if merged and merged[-1][1] == expr and merged[-1][0][-1][1] == lo:
            spans, _, before = merged[-1]
            merged[-1] = ([*spans, (lo, hi)], expr, tuple(sorted(set(before) | set(pieces))))
        else:
            merged.append(([(lo, hi)], expr, pieces))
    return merged


def _candidates(chain: UfuncChain | None, body: sp.Expr, y: sp.Symbol, params: Sequence[sp.Symbol]
                ) -> Iterator[Callable[..., np.ndarray]]:
    """Evaluators of ``body`` to try, fastest first, each built only if the ones before it
    were not faithful: the ufunc chain, then lambdified forms (hoisted, plain), each also in
    complex arithmetic."""
    if chain is not None:
        yield chain
    for build in (_compile_fast, _compile_plain):
        try:
            f = build(body, y, params)
        except (NameError, TypeError, KeyError):  # no numpy/scipy printer for a function in body
            continue
        yield f
        yield _real_part_of(f)


def _compiled(density, log: bool = False) -> list[CompiledCell]:
    params = density.params
    y = density.var
    compiled = []
    for spans, expr, pieces in _merged_cells(_cells_of(density)):
        lo, hi = spans[0][0], spans[-1][1]
        body = _log_form(expr, y, lo, hi) if log else expr
        hoisted, constants = _hoisted(body, y)
        chain = _chain(hoisted, constants, y, params)
        root_finding = _root_finding_cell(density, pieces, log)
        # a log-density is finite inside its cell: where a float formula overflows (log(y**2 + 1)
        # at y = 1e200) the point is redone exactly in mpmath, which root-finding is not far out
        redo = _mpmath_cell(body, (y, *params)) if log and _far_probe_is_cheap(body, y) else None
        chosen = next((fn for fn in _candidates(chain, body, y, params)
                       if all(_faithful(fn, body, y, params, a, b, redo) for a, b in spans)), None)
        # last resort, sympy's own evaluation in mpmath: what _faithful compares against, so
        # faithful by construction (meijerg and other functions numpy/scipy lack), only slower
        f = chosen if chosen is not None else root_finding if root_finding is not None else _mpmath_cell(body, (y, *params))
        fast = chain is not None and f is chain
        compiled.append(CompiledCell(
            lo=_end_function(params, lo), hi=_end_function(params, hi),
            f=f, open_below=lo == -sp.oo, open_above=hi == sp.oo,
            fallback=redo if redo is not None and chosen is not None else root_finding, costly=chosen is None,
            holes=tuple(_end_function(params, b) for _, b in spans[:-1]),
            chain=chain if fast else None,
            point=_point_formula(body, hoisted, constants, y, params, chain, spans, redo) if chain is not None and fast else None,
            formula=None if chosen is None else CellFormula(body, hoisted, tuple(constants.items()), tuple(spans), redo),
        ))
    return compiled


def _fused(density, cells: list[CompiledCell], fill: float) -> Callable[[np.ndarray, tuple], tuple[np.ndarray, int]] | None:
    """Every cell of the density in one numba kernel (:mod:`covar.numeric.compiled_kernel`):
    ``run(ys, params)`` gives the values and how many points inside a cell were not finite
    (the caller then takes the numpy path, which redoes them). Probed against mpmath on every
    cell like any candidate; None when numba is missing, a cell has no formula the kernel
    writes, or the kernel is not faithful."""
    from covar.numeric.compiled_kernel import KernelCell, fused_kernel

    formulas = [c.formula for c in cells]
    if not formulas or any(f is None for f in formulas):
        return None
    present = [f for f in formulas if f is not None]
    params = density.params
    constants = [pair for f in present for pair in f.constants]
    kernel = fused_kernel([KernelCell(f.body, c.open_below, c.open_above, len(c.holes)) for f, c in zip(present, cells)],
                          density.var, (*params, *(name for name, _ in constants)))
    if kernel is None:
        return None
    values = _scalar_function(sp.Tuple(*(value for _, value in constants)), tuple(params))

    def run(ys: np.ndarray, p: tuple) -> tuple[np.ndarray, int]:
        ends = [v for c in cells for lo, hi, holes in [c.ends(p)] for v in (lo, hi, *holes) if v is not None]
        return kernel.run(ys, np.array(ends, dtype=float), np.array([*p, *values(*p)], dtype=float), fill)

    def probe(ys, *p):
        return run(np.asarray(ys, dtype=float), p)[0]

    faithful = all(_faithful(probe, f.expr, density.var, params, a, b, f.redo) for f in present for a, b in f.spans)
    return run if faithful else None


def _wrap(density, cells: list[CompiledCell], fill: float, backend: str = "auto") -> Callable[..., np.ndarray]:
    from covar.numeric.compiled_kernel import BACKENDS, LARGE, faster_than, numba_module

    if backend not in BACKENDS:
        raise CovarError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, not {backend!r}")
    if backend == "numba" and numba_module() is None:
        raise CovarError("backend='numba' needs numba: pip install covar[fast] (or backend='auto')")
    params = density.params
    ignorable = upstream_names(density)
    fixed = None if params else _prepared(cells, ())
    # the compiled kernel, decided on the first call that may use it: [] undecided, [None] not used
    kernel: list[Callable[[np.ndarray, tuple], tuple[np.ndarray, int]] | None] = [] if backend != "numpy" else [None]

    def compiled(ys: np.ndarray, given: tuple, prepared: list | None) -> np.ndarray | None:
        """The kernel's values at ys, or None (not chosen, or a point it cannot write)."""
        if not kernel:
            run = _fused(density, cells, fill) if backend == "numba" or ys.size >= LARGE else None
            if run is not None and backend == "auto":  # chosen where it wins: timed once on LARGE points
                block = ys.reshape(-1)[:LARGE]
                if not faster_than(partial(run, block, given), partial(_evaluate, cells, fill, given, block, prepared)):
                    run = None
            if run is None and backend == "auto" and ys.size < LARGE:
                return None  # nothing decided: a later large call decides
            kernel.append(run)
            evaluate.backend = "numba" if run is not None else "numpy"  # type: ignore[attr-defined]
        if kernel[0] is None:
            return None
        out, bad = kernel[0](ys, given)
        return None if bad else out

    def evaluate(ys, **values):
        # no parameters and none given: nothing to check, nothing to prepare (the common case)
        given, prepared = ((), fixed) if fixed is not None and not values else (
            tuple(given_values(params, values, ignorable)), None)
        ys = np.asarray(ys, dtype=float)
        if ys.size == 1 and not any(np.ndim(v) for v in given):  # quadrature and root finding call this
            value = _one_point(cells, fill, prepared or _prepared(cells, given), ys.item())
            if value is not None:
                return np.full(ys.shape, value)
        if kernel != [None] and not any(np.ndim(v) for v in given):
            out = compiled(ys, given, prepared)
            if out is not None:
                return out
        return _evaluate(cells, fill, given, ys, prepared)

    evaluate.__doc__ = f"{'log-' if fill else ''}density of {density.var} at an array of points; parameters: " + (
        ", ".join(p.name for p in params) or "none")
    # True when some cell is evaluated point by point in mpmath (about 1 ms a point)
    evaluate.pointwise = any(getattr(c.f, "pointwise", False) for c in cells)  # type: ignore[attr-defined]
    # which evaluator runs: "numpy" or "numba" once decided (backend "auto" decides on a large call)
    evaluate.backend = "numpy" if backend == "numpy" else "undecided"  # type: ignore[attr-defined]
    return evaluate


def _blocked(f: Callable[..., np.ndarray], ys: Any, params: Sequence[Any]) -> np.ndarray:
    """f(ys, *params) evaluated a block of points at a time into one output (temporaries stay
    block-sized); parameters given as arrays are broadcast in one pass instead."""
    ys = np.asarray(ys, dtype=float)
    if any(np.ndim(p) for p in params):
        return np.asarray(f(ys, *params), dtype=float)
    flat = ys.reshape(-1)
    out = np.empty(flat.shape)
    for start in range(0, flat.size, _BLOCK):
        out[start:start + _BLOCK] = f(flat[start:start + _BLOCK], *params)
    return out.reshape(ys.shape)


def _support_end(support: sp.Set, params: Sequence[sp.Symbol], which: str) -> Callable[..., Any]:
    """The support's inf or sup as a function of the parameters; taken at the parameter values
    when sympy cannot order symbolic ends (Range(c, oo) of a case split)."""
    try:
        return _end_function(params, getattr(support, which))
    except ValueError:
        def end(*p: Any) -> float:
            values = {s: sp.Integer(round(float(v))) if s.is_integer else sp.Float(float(v)) for s, v in zip(params, p)}
            return float(getattr(support.xreplace(values), which))
        return end


def _pmf_function(density) -> Callable[..., np.ndarray]:
    log_pmf = _log_pmf_function(density)
    if log_pmf is not None:  # exp of the log form: no overflow in 3**k / k! at k = 200
        return lambda ys, **values: np.exp(log_pmf(ys, **values))
    params = density.params
    d = density.derivation
    from covar.univariate.cases import lattice_cases

    # a pmf derived from a pmf keeps its evaluable law in its record; a case split on lattices has one per case
    law = getattr(d, "law", None) or lattice_cases(d)
    if law is not None:
        law_pmf = law.pmf(params)
        ignorable = upstream_names(density)
        return lambda ys, **values: _blocked(law_pmf, ys, given_values(params, values, ignorable))
    f = _compile(density.pdf, (density.var, *params))
    lattice = _support_points(density.support, params)

    def block(ys: np.ndarray, *p: Any) -> np.ndarray:
        ks, ok = lattice(ys, *p)
        with np.errstate(all="ignore"):  # the formula off the support is not used
            return np.where(ok, as_real(f(ks, *p), ks.shape), 0.0)

    return lambda ys, **values: _blocked(block, ys, given_values(params, values))


def _support_points(support: sp.Set, params: Sequence[sp.Symbol]) -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    """(ys, *p) -> (ks, ok): the nearest support points (integers, or a FiniteSet's listed
    points) and which ys are points of the pmf's support."""
    lo_fn, hi_fn = (_support_end(support, params, which) for which in ("inf", "sup"))
    finite = sorted(float(v) for v in support) if isinstance(support, sp.FiniteSet) else None

    def points(ys: np.ndarray, *p: Any) -> tuple[np.ndarray, np.ndarray]:
        if finite is not None:  # the nearest listed point (not only integers: {1/2, 3/2} too)
            listed = np.asarray(finite)
            at = np.clip(np.searchsorted(listed, ys), 1, len(listed) - 1) if len(listed) > 1 else np.zeros(ys.shape, int)
            below, above = listed[np.maximum(at - 1, 0)], listed[at]
            ks = np.where(np.abs(ys - below) <= np.abs(above - ys), below, above)
            return ks, np.abs(ys - ks) <= 1e-9 * np.maximum(1.0, np.abs(ks))
        ks = np.round(ys)
        return ks, (np.abs(ys - ks) < 1e-9) & (ys >= lo_fn(*p) - 1e-9) & (ys <= hi_fn(*p) + 1e-9)

    return points


def _log_pmf_function(density) -> Callable[..., np.ndarray] | None:
    """The log-pmf in log space (covar.numeric.log_pmf), on the same lattice as _pmf_function;
    None when the pmf's formula has no log form."""
    params = density.params
    d = density.derivation
    from covar.numeric.log_pmf import checked_log
    from covar.univariate.cases import lattice_cases

    law = getattr(d, "law", None)
    if law is not None:
        law_log = law.log_pmf(params, _compile)
        if law_log is None:
            return None
        ignorable = upstream_names(density)
        return lambda ys, **values: _blocked(law_log, ys, given_values(params, values, ignorable))
    if lattice_cases(d) is not None:
        return None
    log_f = checked_log(density.pdf, density.var, params, _compile)
    if log_f is None:
        return None
    lattice = _support_points(density.support, params)

    def block(ys: np.ndarray, *p: Any) -> np.ndarray:
        ks, ok = lattice(ys, *p)
        out = np.full(ys.shape, -np.inf)
        if ok.any():
            out[ok] = log_f(ks[ok], *p)
        return out

    return lambda ys, **values: _blocked(block, ys, given_values(params, values))


def pdf_function(density, backend: str = "auto") -> Callable[..., np.ndarray]:
    """Vectorised pdf (pmf for discrete laws) of ``density``: 0 off its support, atoms excluded.
    ``backend`` (see :data:`covar.numeric.compiled_kernel.BACKENDS`): "auto" fuses the cells
    into one numba kernel on the first call of 10^5 points or more when numba is installed and
    the kernel is faithful and faster; "numba" does so on the first call; "numpy" never."""
    if density.pdf is None:
        return density.numeric.pdf
    if density.discrete:
        return _pmf_function(density)
    # the cells are compiled and probed once per law, whichever backends are asked for
    return _wrap(density, density._cached("_pdf_cells", lambda: _compiled(density)), 0.0, backend)


def _log_form(expr: sp.Expr, y: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    from covar.univariate.simplify import _sign_substitution

    forward, backward = _sign_substitution(y, lo, hi)
    work = expr.xreplace(forward) if forward else expr
    log_expr = sp.expand_log(sp.log(work), force=False)
    log_expr = log_expr.xreplace(backward) if backward else log_expr
    return log_expr


def logpdf_function(density, backend: str = "auto") -> Callable[..., np.ndarray]:
    """Vectorised log-density computed in log space (-inf off the support); ``backend`` as for
    :func:`pdf_function`."""
    if density.pdf is None:
        pdf = density.numeric.pdf

        def numeric_log(ys, **values):
            with np.errstate(divide="ignore"):
                return np.log(pdf(ys, **values))

        return numeric_log
    if density.discrete:  # in log space where the pmf has a log form, else the log of the pmf
        log_pmf = _log_pmf_function(density)
        if log_pmf is not None:
            return log_pmf
        pmf = pdf_function(density)

        def discrete_log(ys, **values):
            with np.errstate(divide="ignore"):
                return np.log(pmf(ys, **values))

        return discrete_log
    return _wrap(density, density._cached("_logpdf_cells", lambda: _compiled(density, log=True)), -np.inf, backend)


class NumericEvaluator(Protocol):
    """How a numeric-only density is evaluated: root-finding on g's pieces (NumericPdf) or
    quadrature of a joint density (covar.multivariate.marginal.MarginalEvaluator)."""

    @property
    def params(self) -> tuple[sp.Symbol, ...]: ...

    @property
    def method(self) -> str: ...

    @property
    def joint(self) -> "JointDensity | None": ...

    def pdf(self, ys: Any, /, **values: float) -> np.ndarray: ...

    def draw(self, size: int, rng: np.random.Generator, values: dict) -> np.ndarray | None:
        """Samples drawn by the evaluator itself (a marginal: its joint's), or None."""

    def record(self, write: Callable[[Any], str | None]) -> dict | None:
        """What JSON must store to rebuild the evaluator (None: it is rebuilt from the record)."""


@dataclass(frozen=True)
class NumericPiece:
    """One monotone piece evaluated numerically: x-range, image, g, |g'| and f_X as callables."""

    lo: Callable[..., float]
    hi: Callable[..., float]
    increasing: bool
    g: Callable[..., np.ndarray]
    dg: Callable[..., np.ndarray]
    fx: Callable[..., np.ndarray]


@dataclass(frozen=True)
class NumericPdf:
    """A density evaluated by root-finding g(x) = y on each monotone piece (no closed form)."""

    pieces: tuple[NumericPiece, ...]
    params: tuple[sp.Symbol, ...]
    method: str = "root-finding on each monotone piece"
    joint: None = None  # not a marginal

    def draw(self, size: int, rng: np.random.Generator, values: dict) -> None:
        """None: samples come from the law's own derivation (X pushed through g)."""
        return None

    def record(self, write: Callable[[Any], str | None]) -> None:
        """None: the pieces are rebuilt from the law's derivation when JSON is read."""
        return None

    def pdf(self, ys: Any, /, **values: float) -> np.ndarray:
        ys = np.asarray(ys, dtype=float)
        p = tuple(given_values(self.params, values))
        out = np.zeros(ys.shape)
        for piece in self.pieces:
            out += _piece_density(piece, ys, p)
        return out


def _finite_bracket(piece: NumericPiece, p: tuple) -> tuple[float, float]:
    """Replace infinite ends by points far enough out that g has (numerically) levelled off
    or overflowed; values of y beyond g there carry no representable probability."""
    lo, hi = np.float64(piece.lo(*p)), np.float64(piece.hi(*p))

    def g(t):
        with np.errstate(all="ignore"):
            return np.float64(piece.g(np.float64(t), *p))

    def step_out(start, sign):
        t = start
        while abs(t) < 1e8:
            nxt = t * 2 if t * sign > 0 else t + sign
            if not np.isfinite(g(nxt)) or abs(g(nxt) - g(t)) <= 1e-13 * max(1.0, abs(g(t))):
                break
            t = nxt
        return t

    new_lo = step_out(min(hi, 0.0) - 1.0, -1.0) if np.isinf(lo) else lo
    new_hi = step_out(max(lo, 0.0) + 1.0, 1.0) if np.isinf(hi) else hi
    return float(new_lo), float(new_hi)


def _end_value(piece: NumericPiece, end: float, other: float, p: tuple) -> float:
    """g at a finite end of the piece; at a pole (g nan or infinite there) the value at the
    point closest to the end where g is finite, so bisection still brackets the image."""
    with np.errstate(all="ignore"):
        v = np.float64(piece.g(np.float64(end), *p))
        if np.isfinite(v):
            return float(v)
        for k in range(300, -1, -4):
            t = np.float64(end + (other - end) * 10.0 ** (-k))
            if t == end:
                continue
            v = np.float64(piece.g(t, *p))
            if np.isfinite(v):
                return float(v)
    return float("nan")


def _piece_density(piece: NumericPiece, ys: np.ndarray, p: tuple) -> np.ndarray:
    lo, hi = _finite_bracket(piece, p)
    g_lo, g_hi = _end_value(piece, lo, hi, p), _end_value(piece, hi, lo, p)
    y_min, y_max = (g_lo, g_hi) if piece.increasing else (g_hi, g_lo)
    inside = (ys > y_min) & (ys < y_max)
    out = np.zeros(ys.shape)
    if not inside.any():
        return out
    target = ys[inside]
    a = np.full(target.shape, lo)
    b = np.full(target.shape, hi)
    for _ in range(200):  # bisection: robust, vectorised, converges to double precision
        mid = 0.5 * (a + b)
        with np.errstate(all="ignore"):
            above = (piece.g(mid, *p) > target) == piece.increasing
        b = np.where(above, mid, b)
        a = np.where(above, a, mid)
        if np.all(b - a <= 4e-16 * np.maximum(np.abs(a), np.abs(b))):  # relative: roots near 0 too
            break
    xs = 0.5 * (a + b)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = piece.fx(xs, *p) / np.abs(piece.dg(xs, *p))
    # g' overflowing (far tails) gives 0; g' = 0 exactly is a single point of no mass
    out[inside] = np.where(np.isfinite(v), v, 0.0)
    return out


def numeric_pdf(x: sp.Symbol, raw_pieces, params: Sequence[sp.Symbol]) -> NumericPdf:
    """Compile the monotone pieces of g for root-finding evaluation."""
    params = tuple(params)
    pieces = []
    for rp in raw_pieces:
        pieces.append(NumericPiece(
            lo=_end_function(params, rp.lo), hi=_end_function(params, rp.hi),
            increasing=rp.kind == "increasing",
            g=_compile(rp.g, (x, *params)), dg=_compile(sp.diff(rp.g, x), (x, *params)),
            fx=_compile(rp.fx, (x, *params)),
        ))
    return NumericPdf(tuple(pieces), params)
