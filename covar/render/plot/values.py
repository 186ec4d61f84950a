"""The numbers a picture needs from the engine's results: curves on a grid, ranges, masses.

Nothing here draws and nothing derives: curves come from ``D.numpy()`` and the records' maps,
ranges from a numeric CDF of the same evaluator. No matplotlib import.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Callable, Mapping

import numpy as np
import numpy.typing as npt
import sympy as sp

from covar.laws.density import Density
from covar.record import Derivation
from covar.numeric.verify import to_float

FloatArray = npt.NDArray[np.float64]
Span = tuple[float, float]
Box = tuple[Span, Span]
#: numeric values of a law's parameters, by name (a picture of Normal(mu, sigma) needs them)
Values = Mapping[str, float]
NO_VALUES: Values = MappingProxyType({})

#: points per curve
GRID_POINTS = 801
#: how far from 0 an integer-valued support is searched for its points
INTEGER_SPAN = 400


def number(value: Any, values: Values = NO_VALUES) -> float:
    """A float for a sympy number or expression, its parameters given by ``values``.

    >>> number(sp.Symbol("mu") + 1, {"mu": 0.5}), number(sp.oo)
    (1.5, inf)
    """
    e = sp.sympify(value, strict=True)
    return to_float(e, {s: values[s.name] for s in e.free_symbols if s.name in values})


def _named(D: Any, values: Values) -> dict[str, float]:
    """The values of D's own parameters, as the keyword arguments of ``D.numpy()``."""
    return {p.name: values[p.name] for p in D.params if p.name in values}


def intervals(support: sp.Set, values: Values = NO_VALUES) -> list[Span]:
    """The support's intervals as float pairs (±inf allowed)."""
    from covar.univariate.pieces import support_intervals

    return [(number(iv.start, values), number(iv.end, values)) for iv in support_intervals(support)]


def finite_or_nan(values: Any, shape: tuple[int, ...]) -> FloatArray:
    """Broadcast to ``shape``; nan/inf (poles, round-off at endpoints) become nan for drawing."""
    out: FloatArray = np.broadcast_to(np.asarray(values, dtype=float), shape).astype(float)
    out[~np.isfinite(out)] = np.nan
    return out


def evaluate(D: Any, *grid: FloatArray, values: Values = NO_VALUES) -> FloatArray:
    """``D.numpy()`` on the grid (one array per variable), nan where it is not finite."""
    with np.errstate(all="ignore"):
        return finite_or_nan(D.numpy()(*grid, **_named(D, values)), grid[0].shape)


def map_function(g: sp.Expr, x: sp.Symbol, values: Values = NO_VALUES) -> Callable[[FloatArray], FloatArray]:
    """g as a vectorised function of x (nan where it is not finite)."""
    f = sp.lambdify(x, g.xreplace({s: sp.Float(values[s.name]) for s in g.free_symbols if s.name in values}),
                    modules="numpy")

    def run(xs: FloatArray) -> FloatArray:
        with np.errstate(all="ignore"):
            return finite_or_nan(f(xs), xs.shape)

    return run


def linspace(span: Span, n: int) -> FloatArray:
    """n points from span[0] to span[1]."""
    return np.linspace(span[0], span[1], n)


@dataclass(frozen=True)
class Mass:
    """∫ of the continuous part of a law over its support, against 1 − (sum of atom masses)."""

    integral: float
    expected: float

    @property
    def ok(self) -> bool:
        return abs(self.integral - self.expected) < 1e-4


def continuous_mass_of(Y: Density) -> Mass:
    """Integrate ``Y.numpy()`` over the support by adaptive quadrature (covar.numeric.validation).

    >>> import covar, sympy.stats as st
    >>> Y = covar.transform(Density.from_stats(st.Normal("X", 0, 1)), lambda x: sp.Max(0, x))
    >>> m = continuous_mass_of(Y); round(m.integral, 6), m.expected, m.ok
    (0.5, 0.5, True)
    """
    from covar.numeric.validation import continuous_mass

    f = Y.numpy()

    def pdf(t: float) -> float:
        # quad probes next to integrable poles, where round-off gives inf/nan
        with np.errstate(all="ignore"):
            v = float(f(np.array([t]))[0])
        return v if np.isfinite(v) else 0.0

    expected = 1.0 - sum(to_float(m) for m in Y.atoms.values())
    return Mass(continuous_mass(pdf, intervals(Y.support)), expected)


def pmf_points(D: Density, values: Values = NO_VALUES) -> tuple[FloatArray, FloatArray]:
    """(points, probabilities) of a discrete law with positive probability.

    An input law is searched over the integers within ±INTEGER_SPAN; a derived law's points are
    the images of its input's points (no re-derivation: the probabilities are ``D.numpy()``).

    >>> import covar
    >>> pts, ps = pmf_points(covar.transform(covar.parse_density("Binomial(1, 1/4)"), "2*x + 1"))
    >>> pts.tolist(), ps.tolist()
    ([1.0, 3.0], [0.75, 0.25])
    """
    d = D.derivation
    if not isinstance(d, Derivation):  # a pmf given directly, or not from a univariate map
        candidates = np.arange(-INTEGER_SPAN, INTEGER_SPAN + 1, dtype=float)
    else:
        xs, _ = pmf_points(d.input, values)
        candidates = np.unique(map_function(d.g, d.x, values)(xs))
        candidates = candidates[np.isfinite(candidates)]
    ps = np.nan_to_num(evaluate(D, candidates, values=values))
    keep = ps > 0
    return candidates[keep], ps[keep]


def plot_range(D: Density, lo_q: float = 1e-3, hi_q: float = 1 - 1e-3, span: float = 60.0,
               values: Values = NO_VALUES) -> Span:
    """Where ``D`` keeps all but ``lo_q`` + ``1 - hi_q`` of its mass (numeric CDF of D.numpy()).

    >>> import sympy.stats as st
    >>> lo, hi = plot_range(Density.from_stats(st.Normal("X", 0, 1)))
    >>> round(lo, 1), round(hi, 1)
    (-3.1, 3.1)
    """
    if D.discrete:
        pts, ps = pmf_points(D, values)
        if not pts.size:
            return (-1.0, 1.0)
        cdf = np.cumsum(ps) / ps.sum()
        last = pts.size - 1
        return float(pts[min(int(np.searchsorted(cdf, lo_q)), last)]), float(pts[min(int(np.searchsorted(cdf, hi_q)), last)])
    grids: list[FloatArray] = []
    densities: list[FloatArray] = []
    for lo, hi in intervals(D.support, values):
        grid = np.linspace(max(lo, -span), min(hi, span), 20001)
        grids.append(grid)
        densities.append(np.nan_to_num(evaluate(D, grid, values=values)))
    atoms = [number(k, values) for k in D.atoms]
    if not grids:
        return (min(atoms) - 1, max(atoms) + 1) if atoms else (-1.0, 1.0)
    x, p = np.concatenate(grids), np.concatenate(densities)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (p[1:] + p[:-1]) * np.diff(x))])
    cdf /= cdf[-1]
    lo, hi = float(np.interp(lo_q, cdf, x)), float(np.interp(hi_q, cdf, x))
    return min([lo, *atoms]), max([hi, *atoms])


def map_range(g: sp.Expr, x: sp.Symbol, xlim: Span, Y: Density | None = None,
              values: Values = NO_VALUES) -> Span:
    """The y-range a map sweeps over xlim (and the output's atoms), finite values only."""
    ys = map_function(g, x, values)(linspace(xlim, GRID_POINTS))
    lo, hi = float(np.nanmin(ys)), float(np.nanmax(ys))
    if Y is not None and Y.atoms:
        pts = [number(k, values) for k in Y.atoms]
        lo, hi = min(lo, *pts), max(hi, *pts)
    return lo, hi


def density_top(values: FloatArray) -> float:
    """A density axis top that shows the body of the curve and clips integrable poles.

    The 99th percentile of the positive values ignores the few grid points next to a pole
    (chi-square(1) at 0) but not a genuine peak, which covers many grid points.
    """
    pos = values[np.isfinite(values) & (values > 0)]
    return 1.15 * float(np.percentile(pos, 99)) if pos.size else 1.0


def pad(span: Span, frac: float = 0.06) -> Span:
    """The span widened by ``frac`` of its width on each side."""
    lo, hi = span
    w = (hi - lo) or 1.0
    return lo - frac * w, hi + frac * w
