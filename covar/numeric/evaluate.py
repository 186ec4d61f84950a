"""Fast numpy evaluation of densities: one lambdified function per cell, applied under a mask.

Each cell's simplified expression is compiled once (common subexpressions shared); a cell
covering the whole line needs no mask, so exp-of-Normal style results run as a few ufuncs.
Numeric-only results (no closed-form inverse) evaluate by vectorised bisection on each piece.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, AbstractSet, Any, Callable, Protocol, Sequence

import numpy as np
import sympy as sp

from covar.errors import CovarError
from covar.text.values import as_expression, check_parameter_values

if TYPE_CHECKING:
    from covar.laws.joint import JointDensity


@dataclass(frozen=True)
class CompiledCell:
    lo: Callable[..., float]
    hi: Callable[..., float]
    f: Callable[..., np.ndarray]
    open_below: bool  # lo is -oo
    open_above: bool  # hi is +oo
    fallback: Callable[..., np.ndarray] | None = None  # root-finding, for points the formula overflows at

    def values(self, ys: np.ndarray, params: tuple) -> np.ndarray:
        """The cell's formula at ys; points where it overflows (inf*0, exp(5000)) are redone
        by root-finding, since inside an open cell the density is finite."""
        with np.errstate(all="ignore"):
            raw = np.asarray(self.f(ys, *params))
            if np.iscomplexobj(raw):  # a value with an imaginary part is not a density: nan
                real = np.abs(raw.imag) <= 1e-12 * np.maximum(1.0, np.abs(raw.real))
                raw = np.where(real, raw.real, np.nan)
            out = np.array(np.broadcast_to(raw.astype(float), ys.shape))
        bad = ~np.isfinite(out)
        if bad.any() and self.fallback is not None:
            out[bad] = self.fallback(ys[bad], *params)
        return out

    def mask(self, ys: np.ndarray, params: tuple) -> np.ndarray | None:
        """Where ys lies in the cell; None means everywhere (no mask needed)."""
        if self.open_below and self.open_above:
            return None
        if self.open_below:
            return ys < self.hi(*params)
        if self.open_above:
            return ys > self.lo(*params)
        return (ys > self.lo(*params)) & (ys < self.hi(*params))


# Series of W about the branch point z = -1/e in p = ±sqrt(2(e z + 1)); scipy's lambertw
# loses all accuracy in W + 1 there, and densities divide by W + 1.
_BRANCH_SERIES = (-1.0, 1.0, -1 / 3, 11 / 72, -43 / 540, 769 / 17280, -221 / 8505)


def lambertw_real(z, k: int = 0):
    """Real Lambert W (branch 0 or -1), accurate next to the branch point -1/e."""
    from scipy.special import lambertw

    z = np.asarray(z, dtype=float)
    with np.errstate(all="ignore"):
        w = np.real(lambertw(z, k))
        t = np.e * z + 1.0
        near = (t >= 0) & (t < 1e-3)
        if np.any(near):
            p = np.sqrt(2 * t[near]) * (1.0 if k == 0 else -1.0)
            w[near] = np.polyval(_BRANCH_SERIES[::-1], p)
        w[t < 0] = np.nan
    return w if w.ndim else float(w)


NUMPY_MODULES = [{"LambertW": lambertw_real}, "numpy", "scipy"]


def _compile(expr: sp.Expr, args: Sequence[sp.Symbol]) -> Callable[..., np.ndarray]:
    return sp.lambdify(args, expr, modules=NUMPY_MODULES, cse=True)


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


def _masked(cells: list[CompiledCell], fill: float, params: tuple, ys) -> np.ndarray:
    ys = np.asarray(ys, dtype=float)
    out = np.full(ys.shape, fill)
    for cell in cells:
        mask = cell.mask(ys, params)
        if mask is None or mask.all():
            # one cell covers every point: evaluate on the whole array, no gather/scatter
            return cell.values(ys, params)
        if mask.any():
            out[mask] = cell.values(ys[mask], params)
    return out


def _faithful(fn, expr, y, params, lo, hi) -> bool:
    """Does the compiled ``fn`` reproduce ``expr`` (evaluated independently, in mpmath) inside
    (lo, hi)? Probed at 7 points for up to two parameter draws that leave the cell non-empty and
    the expression real there (a draw outside the parameters' domain, such as a correlation
    beyond ±1, is skipped). Nothing probed is a failure, never a pass."""
    from covar.numeric.verify import cell_draws, close, interior_samples, symbolic_values

    probed = 0
    for values, a, b in cell_draws(params, lo, hi, n=12):
        ys = np.array(interior_samples(a, b, 7))
        refs = symbolic_values(expr, y, ys, values)
        if not all(close(r, r) for r in refs):
            continue  # not a valid parameter draw for this expression
        args = [float(values[p]) for p in params]
        try:
            with np.errstate(all="ignore"):
                got = np.real(np.broadcast_to(np.asarray(fn(ys, *args)), ys.shape))
        except (NameError, TypeError, ValueError, ZeroDivisionError, OverflowError):
            return False  # a function the numeric backend lacks (meijerg), or not vectorisable
        if not all(close(gv, ref, rtol=1e-7, atol=1e-7) for gv, ref in zip(got, refs)):
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
    evaluator = NumericPdf(tuple(
        NumericPiece(lo=sp.lambdify(params, p.interval.start, "numpy"),
                     hi=sp.lambdify(params, p.interval.end, "numpy"),
                     increasing=p.kind == "increasing",
                     g=_compile(p.g, (d.x, *params)), dg=_compile(sp.diff(p.g, d.x), (d.x, *params)),
                     fx=_compile(d.input.pdf, (d.x, *params)))
        for p in raw), tuple(params))

    def evaluate(ys, *p):
        out = evaluator.pdf(ys, **{s.name: v for s, v in zip(params, p)})
        if log:
            with np.errstate(divide="ignore"):
                return np.log(out)
        return out

    return evaluate


def _compiled(density, log: bool = False) -> list[CompiledCell]:
    params = density.params
    y = density.var
    compiled = []
    for lo, hi, expr, pieces in _cells_of(density):
        body = _log_form(expr, y, lo, hi) if log else expr
        try:
            f = _compile(body, (y, *params))
            candidates = [f, _real_part_of(f)]
        except (NameError, TypeError, KeyError):  # no numpy/scipy printer for a function in body
            candidates = []
        chosen = next((fn for fn in candidates if _faithful(fn, body, y, params, lo, hi)), None)
        fallback = _root_finding_cell(density, pieces, log)
        # last resort, sympy's own evaluation in mpmath: what _faithful compares against, so
        # faithful by construction (meijerg and other functions numpy/scipy lack), only slower
        f = chosen if chosen is not None else fallback if fallback is not None else _mpmath_cell(body, (y, *params))
        compiled.append(CompiledCell(
            lo=sp.lambdify(params, lo, "numpy"), hi=sp.lambdify(params, hi, "numpy"),
            f=f, open_below=lo == -sp.oo, open_above=hi == sp.oo, fallback=fallback,
        ))
    return compiled


def _wrap(density, cells: list[CompiledCell], fill: float) -> Callable[..., np.ndarray]:
    params = density.params
    ignorable = upstream_names(density)

    def evaluate(ys, **values):
        return _masked(cells, fill, tuple(given_values(params, values, ignorable)), ys)

    evaluate.__doc__ = f"{'log-' if fill else ''}density of {density.var} at an array of points; parameters: " + (
        ", ".join(p.name for p in params) or "none")
    # True when some cell is evaluated point by point in mpmath (about 1 ms a point)
    evaluate.pointwise = any(getattr(c.f, "pointwise", False) for c in cells)  # type: ignore[attr-defined]
    return evaluate


def _pmf_function(density) -> Callable[..., np.ndarray]:
    params = density.params
    d = density.derivation
    law = getattr(d, "law", None)  # a pmf derived from a pmf keeps its evaluable law in its record
    if law is not None:
        law_pmf = law.pmf(params)
        ignorable = upstream_names(density)
        return lambda ys, **values: law_pmf(ys, *given_values(params, values, ignorable))
    support = density.support
    f = _compile(density.pdf, (density.var, *params))
    lo_fn = sp.lambdify(params, support.inf, "numpy")
    hi_fn = sp.lambdify(params, support.sup, "numpy")
    finite = sorted(float(v) for v in support) if isinstance(support, sp.FiniteSet) else None

    def pmf(ys, **values):
        p = given_values(params, values)
        ys = np.asarray(ys, dtype=float)
        ks = np.round(ys)
        ok = (np.abs(ys - ks) < 1e-9) & (ys >= lo_fn(*p) - 1e-9) & (ys <= hi_fn(*p) + 1e-9)
        if finite is not None:
            ok = np.isin(ks, finite)
        out = np.zeros(ys.shape)
        if ok.any():
            out[ok] = f(ks[ok], *p)
        return out

    return pmf


def pdf_function(density) -> Callable[..., np.ndarray]:
    """Vectorised pdf (pmf for discrete laws) of ``density``: 0 off its support, atoms excluded."""
    if density.pdf is None:
        return density.numeric.pdf
    if density.discrete:
        return _pmf_function(density)
    return _wrap(density, _compiled(density), 0.0)


def _log_form(expr: sp.Expr, y: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    from covar.univariate.simplify import _sign_substitution

    forward, backward = _sign_substitution(y, lo, hi)
    work = expr.xreplace(forward) if forward else expr
    log_expr = sp.expand_log(sp.log(work), force=False)
    log_expr = log_expr.xreplace(backward) if backward else log_expr
    return log_expr


def logpdf_function(density) -> Callable[..., np.ndarray]:
    """Vectorised log-density computed in log space (-inf off the support)."""
    if density.pdf is None:
        pdf = density.numeric.pdf

        def numeric_log(ys, **values):
            with np.errstate(divide="ignore"):
                return np.log(pdf(ys, **values))

        return numeric_log
    return _wrap(density, _compiled(density, log=True), -np.inf)


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
            lo=sp.lambdify(params, rp.lo, "numpy"), hi=sp.lambdify(params, rp.hi, "numpy"),
            increasing=rp.kind == "increasing",
            g=_compile(rp.g, (x, *params)), dg=_compile(sp.diff(rp.g, x), (x, *params)),
            fx=_compile(rp.fx, (x, *params)),
        ))
    return NumericPdf(tuple(pieces), params)
