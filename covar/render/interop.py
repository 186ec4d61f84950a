"""covar results in scipy.stats: a complete frozen distribution of a law at given parameter values (sympy.stats: covar.laws.sympy_stats).

:func:`to_scipy` (``Y.to_scipy(mu=0.5, sigma=2)``) checks the values against each parameter's
assumptions and the family's domain, then returns

- scipy's own frozen distribution when the law is a recognised catalog family and scipy's twin
  agrees with covar's pdf (checked at the twin's quantiles);
- for a pmf, a ``scipy.stats.rv_discrete`` on its points (up to all but 1e-14 of the mass);
- otherwise a :class:`FrozenDensity`, with the methods of a frozen ``rv_continuous`` (pdf,
  logpdf, cdf, logcdf, sf, logsf, ppf, isf, rvs, moment, stats, entropy, expect, interval, mean,
  var, std, median, support). Its cdf is the closed-form CDF when the law has one, else a
  tabulated CDF (:mod:`covar.numeric.cdf_table`, about 1e-12 in u); ppf inverts the table
  (a Hermite guess and a Newton polish per point, vectorised);
  rvs pushes samples of X through g, exactly as the law arose.

Mixed laws (atoms, e.g. max(0, X)) are handled honestly: ``pdf`` is the density of the
continuous part only (it integrates to 1 minus the atoms' masses), ``cdf`` includes the jumps
at the atoms, ``ppf`` is the generalised inverse (the smallest y with cdf(y) >= q, so a whole
range of q maps onto an atom), moments include the atoms, and ``entropy`` is the continuous
part's -∫ f log f plus the atoms' -Σ m log m.
"""
from __future__ import annotations

from functools import cached_property
from numbers import Real
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np
import sympy as sp

from covar.errors import CovarError, InvalidDensity, UnsupportedTransform
from covar.text.values import check_parameter_values

if TYPE_CHECKING:  # pragma: no cover
    from covar.numeric.cdf_table import CdfTable

_QUAD = {"limit": 200, "epsabs": 1e-12, "epsrel": 1e-10}
_TWIN_RTOL = 1e-9
_DISCRETE_MASS = 1 - 1e-14
_MOST_POINTS = 1_000_000
_KEPT = 8  # frozen distributions kept per law, one per set of parameter values


def _value(expr: Any, values: Mapping[str, float]) -> float:
    from covar.numeric.verify import to_float

    expr = sp.sympify(expr) if not isinstance(expr, sp.Basic) else expr  # a sympy number, never text
    return to_float(expr, {s: values[s.name] for s in expr.free_symbols if s.name in values})


def checked_values(density: Any, values: Mapping[str, Any]) -> dict[str, float]:
    """The parameter values as floats, after checking that every parameter has one, that each
    respects its symbol's assumptions (sigma > 0) and that a named law stays in its domain.

    >>> import covar
    >>> checked_values(covar.parse_density("Normal(mu, sigma)"), {"mu": 0, "sigma": -1})
    Traceback (most recent call last):
    ...
    covar.errors.InvalidDensity: sigma must be > 0, got -1
    """
    from covar.laws.families import parameter_constraints

    check_parameter_values(values)
    names = {p.name: p for p in density.params}
    missing = sorted(set(names) - set(values))
    if missing:  # values of other names are ignored: one dict may serve several laws
        raise CovarError(f"to_scipy needs a value for each parameter ({', '.join(names)}): "
                         f"missing {', '.join(missing)} (e.g. {missing[0]}=1.0)")
    floats: dict[str, float] = {}
    constraints = parameter_constraints(density)
    for name, value in ((n, v) for n, v in values.items() if n in names):
        try:
            floats[name] = float(value)
        except (TypeError, ValueError):
            raise CovarError(f"the value of {name} must be a number, got {value!r}") from None
        if not np.isfinite(floats[name]):
            raise InvalidDensity(f"{name} must be a finite number, got {value!r}")
        constraint = constraints[name]
        if not constraint.admits(floats[name]):
            raise InvalidDensity(f"{name} must be {constraint.text}, got {value!r}")
    if density.family is not None and floats:
        exact = {name: sp.Integer(int(v)) if v.is_integer() else sp.Rational(v) for name, v in floats.items()}
        density.family.subs(exact)  # the family's domain: Uniform a < b, Binomial p <= 1
    return floats


class FrozenDensity:
    """A covar law with parameter values fixed, with the methods of a frozen scipy.stats
    ``rv_continuous`` (atoms included, see the module docstring).

    >>> import covar
    >>> rv = covar.transform("Normal(0, 1)", "Max(0, x)").to_scipy()
    >>> round(float(rv.cdf(0.0)), 6), round(float(rv.cdf(-1e-9)), 6)
    (0.5, 0.0)
    >>> float(rv.ppf(0.3)), round(float(rv.ppf(0.975)), 4)
    (0.0, 1.96)
    """

    def __init__(self, density: Any, values: Mapping[str, float]) -> None:
        from covar.univariate.pieces import support_intervals

        self.density = density
        self.values = dict(values)
        self._pdf = density.numpy()
        self.intervals = [(_value(iv.start, values), _value(iv.end, values))
                          for iv in support_intervals(density.support)]
        atoms = sorted((_value(k, values), _value(m, values)) for k, m in density.atoms.items())
        self.atom_points = np.array([p for p, _ in atoms], dtype=float)
        self.atom_masses = np.array([m for _, m in atoms], dtype=float)
        self._atoms_below = np.concatenate([[0.0], np.cumsum(self.atom_masses)])
        ends = [e for iv in self.intervals for e in iv] + list(self.atom_points)
        self.a: float = min(ends) if ends else -np.inf
        self.b: float = max(ends) if ends else np.inf

    # built on first use: pdf, rvs and a closed-form cdf need no table, pdf and ppf no closed CDF
    @cached_property
    def _table(self) -> CdfTable:
        from covar.numeric.cdf_table import tabulate

        return tabulate(self.pdf, self.intervals)

    @cached_property
    def _closed_cdf(self) -> Callable[..., np.ndarray] | None:
        return _closed_form_cdf(self.density)

    @cached_property
    def _atom_levels(self) -> tuple[np.ndarray, np.ndarray]:
        """The CDF just below and at each atom: where the ppf lands on an atom."""
        below = self._continuous_cdf(self.atom_points) + self._atoms_below[:-1]
        return below, below + self.atom_masses

    # -- densities -----------------------------------------------------------------------
    def pdf(self, y: Any) -> np.ndarray:
        """Density of the continuous part (atoms excluded)."""
        with np.errstate(all="ignore"):
            return np.asarray(self._pdf(np.asarray(y, dtype=float), **self.values), dtype=float)

    def logpdf(self, y: Any) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(self.density.logpdf_numpy()(np.asarray(y, dtype=float), **self.values),
                              dtype=float)

    # -- distribution functions ------------------------------------------------------------
    def _continuous_cdf(self, ys: np.ndarray) -> np.ndarray:
        """P(Y <= y) of the continuous part alone (from the table)."""
        return self._table.cdf(ys)

    def cdf(self, y: Any) -> np.ndarray:
        """P(Y <= y), jumps at the atoms included: the closed form when the law has one."""
        ys = np.asarray(y, dtype=float)
        if self._closed_cdf is not None:
            with np.errstate(all="ignore"):
                out = np.asarray(self._closed_cdf(ys, **self.values), dtype=float)
        else:
            out = self._continuous_cdf(ys) + self._atoms_below[
                np.searchsorted(self.atom_points, ys, side="right")]
        return np.where(np.isnan(ys), np.nan, np.clip(out, 0.0, 1.0))

    def logcdf(self, y: Any) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(self.cdf(y))

    def sf(self, y: Any) -> np.ndarray:
        return 1.0 - self.cdf(y)

    def logsf(self, y: Any) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(self.sf(y))

    def ppf(self, q: Any) -> np.ndarray:
        """The smallest y with cdf(y) >= q (an atom takes the whole jump of q it covers)."""
        qs = np.asarray(q, dtype=float)
        if len(self.atom_points):
            below, at = self._atom_levels
            k = np.searchsorted(at, qs, side="left")  # atoms wholly below the answer
            on_atom = (k < len(at)) & (qs > np.take(below, np.minimum(k, len(below) - 1)))
            continuous = self._table.ppf(qs - self._atoms_below[k])
            out = np.where(on_atom, np.take(self.atom_points, np.minimum(k, len(at) - 1)), continuous)
        else:
            out = self._table.ppf(qs)
        ends = ~((qs > 0) & (qs < 1))  # nan is an end
        if ends.any():
            out = np.where(qs == 0, self.a, np.where(qs == 1, self.b, out))
            out = np.where(np.isnan(qs) | (qs < 0) | (qs > 1), np.nan, out)
        return out

    def isf(self, q: Any) -> np.ndarray:
        return self.ppf(1.0 - np.asarray(q, dtype=float))

    def rvs(self, size: Any = 1, random_state: Any = None) -> np.ndarray:
        """Samples: X's own sampler pushed through g (Density.sample); ppf of uniforms for an
        input law without a sampler."""
        rng = random_state if isinstance(random_state, np.random.Generator) \
            else np.random.default_rng(random_state)
        shape = (size,) if np.isscalar(size) else tuple(size)
        n = int(np.prod(shape))
        if self.density.derivation is None and self.density.family is None:
            return self.ppf(rng.random(n)).reshape(shape)
        return self.density.sample(n, rng, **self.values).reshape(shape)

    # -- moments ---------------------------------------------------------------------------
    def expect(self, func: Callable[[float], float] | None = None) -> float:
        """E[func(Y)] by quadrature over the continuous part plus the atoms."""
        from scipy import integrate

        f = func or (lambda t: t)

        def integrand(t: float) -> float:
            v = float(self.pdf(np.array([t]))[0])
            return f(t) * v if np.isfinite(v) and v != 0 else 0.0

        total = sum(integrate.quad(integrand, a, b, **_QUAD)[0] for a, b in self.intervals)
        return float(total + sum(m * f(p) for p, m in zip(self.atom_points, self.atom_masses)))

    def moment(self, order: int) -> float:
        """E[Y^order]."""
        return self.expect(lambda t: t ** order)

    def mean(self) -> float:
        return self.expect()

    def var(self) -> float:
        m = self.mean()
        return self.expect(lambda t: (t - m) ** 2)

    def std(self) -> float:
        return float(np.sqrt(self.var()))

    def stats(self, moments: str = "mv") -> float | tuple[float, ...]:
        """Mean ('m'), variance ('v'), skewness ('s') and excess kurtosis ('k'), as scipy orders them."""
        m, v = self.mean(), self.var()
        out = {"m": m, "v": v}
        if "s" in moments or "k" in moments:
            out["s"] = self.expect(lambda t: (t - m) ** 3) / v ** 1.5
            out["k"] = self.expect(lambda t: (t - m) ** 4) / v ** 2 - 3.0
        chosen = tuple(out[c] for c in moments)
        return chosen[0] if len(chosen) == 1 else chosen

    def entropy(self) -> float:
        """-∫ f log f over the continuous part, minus Σ m log m over the atoms."""
        from scipy import integrate

        def integrand(t: float) -> float:
            v = float(self.pdf(np.array([t]))[0])
            return -v * np.log(v) if np.isfinite(v) and v > 0 else 0.0

        total = sum(integrate.quad(integrand, a, b, **_QUAD)[0] for a, b in self.intervals)
        return float(total - sum(m * np.log(m) for m in self.atom_masses if m > 0))

    def median(self) -> float:
        return float(self.ppf(0.5))

    def interval(self, confidence: float) -> tuple[float, float]:
        tail = (1.0 - confidence) / 2
        return float(self.ppf(tail)), float(self.ppf(1.0 - tail))

    def support(self) -> tuple[float, float]:
        return self.a, self.b

    def __repr__(self) -> str:
        given = ", ".join(f"{k}={v:g}" for k, v in self.values.items())
        return f"<FrozenDensity of {self.density.family or 'a covar Density'}{' (' + given + ')' if given else ''}>"


def _closed_form_cdf(density: Any) -> Callable[..., np.ndarray] | None:
    """The compiled closed-form CDF when the law has one (``Density.cdf``), else None."""
    try:
        closed = getattr(density, "cdf", None)
    except CovarError:  # deriving the CDF failed: the table serves
        return None
    if not isinstance(closed, sp.Expr):
        return None
    compiled = getattr(density, "cdf_numpy", None)
    return compiled() if callable(compiled) else None


def to_scipy(density: Any, **values: Any) -> Any:
    """A complete frozen scipy distribution of ``density`` at the given parameter values.

    >>> import covar
    >>> rv = to_scipy(covar.parse_density("Normal(mu, 1)"), mu=2.0)
    >>> round(float(rv.cdf(2.0)), 10), round(float(rv.mean()), 8)
    (0.5, 2.0)
    """
    floats = checked_values(density, values)
    twin = _scipy_twin(density, floats)
    if twin is not None:
        return twin
    if density.discrete:
        return _discrete(density, floats)
    return FrozenDensity(density, floats)


def to_scipy_once(density: Any, built: dict[tuple[tuple[str, float], ...], Any], values: Mapping[str, Any]) -> Any:
    """``to_scipy(density, **values)``, kept in ``built`` (the law's own cache) when every value
    is a plain real number: the same values again give the same object at once. The last
    few sets of values are kept (a frozen law may hold a CDF table of a few MB).

    >>> import covar
    >>> Y = covar.transform("Normal(0, 1)", "Max(0, x)")
    >>> built = {}
    >>> to_scipy_once(Y, built, {}) is to_scipy_once(Y, built, {})
    True
    """
    if not all(isinstance(v, Real) for v in values.values()):  # arrays, text: checked, not kept
        return to_scipy(density, **values)
    key = tuple(sorted((name, float(v)) for name, v in values.items()))
    if key not in built:
        frozen = to_scipy(density, **values)  # raises for values outside the law's domain
        if len(built) >= _KEPT:
            del built[next(iter(built))]
        built[key] = frozen
    return built[key]


def _scipy_twin(density: Any, values: Mapping[str, float]) -> Any:
    """scipy's own frozen distribution of a recognised law, if it agrees with covar's pdf."""
    from covar.numeric.verify import close_each

    law = density.family
    if law is None or density.atoms or density.pdf is None:
        return None
    args = [_value(a, values) for a in law.args]
    twin = law.entry.scipy(*args)
    qs = np.array([0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99])
    points = np.unique(twin.ppf(qs))
    with np.errstate(all="ignore"):
        mine = np.asarray(density.numpy()(points, **values), dtype=float)
        theirs = twin.pmf(points) if density.discrete else twin.pdf(points)
    return twin if close_each(mine, theirs, _TWIN_RTOL, 1e-300).all() else None


def _discrete(density: Any, values: Mapping[str, float]) -> Any:
    """A ``scipy.stats.rv_discrete`` on the points of a pmf (all but 1e-14 of its mass)."""
    from scipy import stats

    points = _support_points(density, values)
    with np.errstate(all="ignore"):
        probs = np.asarray(density.numpy()(points, **values), dtype=float)
    keep = np.isfinite(probs) & (probs > 0)
    points, probs = points[keep], probs[keep]
    if not len(points) or not abs(probs.sum() - 1) <= 1e-9:
        raise UnsupportedTransform(
            f"the pmf's first {len(points)} support points carry mass {probs.sum():.12g}, not 1; "
            "covar cannot list this support for scipy")
    return stats.rv_discrete(values=(points, probs / probs.sum()))


def _support_points(density: Any, values: Mapping[str, float]) -> np.ndarray:
    """Sorted distinct points of a pmf's support, enough to hold all but 1e-14 of its mass:
    the support itself when it lists them, else X's points pushed through the map."""
    support = density.support
    if support.free_symbols:
        support = support.xreplace({s: sp.Rational(values[s.name]) for s in support.free_symbols
                                    if s.name in values})
    listed = isinstance(support, (sp.FiniteSet, sp.Range))
    root, g = density, None
    d = density.derivation
    if not listed and d is not None and hasattr(d, "g"):
        root, g = d.input, d.g
        support = root.support.xreplace({s: sp.Rational(values[s.name]) for s in root.support.free_symbols
                                         if s.name in values})
    if not isinstance(support, (sp.FiniteSet, sp.Range)):
        raise UnsupportedTransform(f"to_scipy cannot list the points of the support {density.support}")
    pmf = root.numpy()
    root_values = {k: v for k, v in values.items() if k in {p.name for p in root.params}}
    points: list[float] = []
    for k, point in enumerate(support):
        points.append(float(point))
        if k % 512 == 511 and (pmf(np.array(points), **root_values).sum() > _DISCRETE_MASS
                               or k > _MOST_POINTS):
            break
    xs = np.array(points, dtype=float)
    if g is not None:
        params = sorted(g.free_symbols - {d.x}, key=lambda s: s.name)
        mapped = sp.lambdify((d.x, *params), g, modules=["numpy", "scipy"])
        with np.errstate(all="ignore"):
            xs = np.broadcast_to(np.asarray(mapped(xs, *[values[p.name] for p in params]), float), xs.shape)
    return np.unique(xs[np.isfinite(xs)])
