"""covar results in other libraries: a scipy.stats-style frozen distribution (sympy.stats: covar.laws.sympy_stats).

:func:`to_scipy` returns a :class:`FrozenDensity`, which has the methods of a frozen
``scipy.stats`` distribution (pdf, logpdf, cdf, sf, ppf, isf, rvs, mean, var, std, median,
interval, support). The pdf and logpdf are covar's compiled closed forms; the cdf is the
integral of the pdf by adaptive quadrature; ppf inverts the cdf by bracketing root-finding;
rvs pushes samples of X through g, exactly as the law arose.

Mixed laws (atoms, e.g. max(0, X)) are handled honestly: ``pdf`` is the density of the
continuous part only (it integrates to 1 minus the atoms' masses), ``cdf`` includes the jumps
at the atoms, ``ppf`` is the generalised inverse (the smallest y with cdf(y) >= q, so a whole
range of q maps onto an atom), and mean/var include the atoms. A finite discrete law becomes a
``scipy.stats.rv_discrete``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from covar.errors import UnsupportedTransform
from covar.text.values import as_expression, check_parameter_values

_QUAD = {"limit": 200, "epsabs": 1e-12, "epsrel": 1e-10}


def _value(expr: sp.Expr, values: dict[str, float]) -> float:
    if expr in (sp.oo, -sp.oo):
        return float(np.inf if expr == sp.oo else -np.inf)
    expr = as_expression(expr)
    return float(sp.N(expr.xreplace({s: values[s.name] for s in expr.free_symbols if s.name in values})))


class FrozenDensity:
    """A covar Density with parameter values fixed, behaving like a frozen scipy.stats distribution.

    >>> import covar
    >>> Y = covar.transform(covar.parse_density("Normal(0, 1)"), "Max(0, x)")
    >>> rv = Y.to_scipy()
    >>> round(float(rv.cdf(0.0)), 6), round(float(rv.cdf(-1e-9)), 6)
    (0.5, 0.0)
    >>> float(rv.ppf(0.3)), round(float(rv.ppf(0.975)), 4)
    (0.0, 1.96)
    """

    def __init__(self, density: Any, values: dict[str, float]) -> None:
        from covar.univariate.pieces import support_intervals

        self.density = density
        self.values = dict(values)
        self._pdf = density.numpy()
        self._logpdf = density.logpdf_numpy()
        # probe once so a missing parameter is reported now, not at the first pdf call
        self._pdf(np.array([0.0]), **self.values)
        self.intervals = [(_value(iv.start, values), _value(iv.end, values))
                          for iv in support_intervals(density.support)]
        atoms = sorted((_value(k, values), _value(m, values)) for k, m in density.atoms.items())
        self.atom_points = np.array([p for p, _ in atoms])
        self.atom_masses = np.array([m for _, m in atoms])
        ends = [e for iv in self.intervals for e in iv] + [float(p) for p in self.atom_points]
        self.a: float = min(ends) if ends else -np.inf
        self.b: float = max(ends) if ends else np.inf

    # -- densities -----------------------------------------------------------------------
    def pdf(self, y: Any) -> np.ndarray:
        """Density of the continuous part (atoms excluded)."""
        with np.errstate(all="ignore"):
            return self._pdf(np.asarray(y, dtype=float), **self.values)

    def logpdf(self, y: Any) -> np.ndarray:
        with np.errstate(all="ignore"):
            return self._logpdf(np.asarray(y, dtype=float), **self.values)

    def _scalar_pdf(self, t: float) -> float:
        v = float(self.pdf(np.array([t]))[0])
        return v if np.isfinite(v) else 0.0  # quadrature probes next to integrable poles

    def _mass_between(self, lo: float, hi: float) -> float:
        """∫ pdf over [lo, hi] restricted to the support intervals."""
        from scipy import integrate

        total = 0.0
        for a, b in self.intervals:
            left, right = max(a, lo), min(b, hi)
            if right > left:
                total += integrate.quad(self._scalar_pdf, left, right, **_QUAD)[0]
        return total

    # -- distribution functions ------------------------------------------------------------
    def cdf(self, y: Any) -> np.ndarray:
        """P(Y <= y): quadrature of the pdf (accumulated over sorted points) plus atoms <= y."""
        ys = np.asarray(y, dtype=float)
        flat = ys.ravel()
        order = np.argsort(flat)
        out = np.empty(flat.shape)
        acc, prev = 0.0, -np.inf
        for i in order:
            t = flat[i]
            if np.isnan(t):
                out[i] = np.nan
                continue
            acc += self._mass_between(prev, t)
            prev = t
            out[i] = acc + self.atom_masses[self.atom_points <= t].sum()
        return np.clip(out, 0.0, 1.0).reshape(ys.shape)

    def sf(self, y: Any) -> np.ndarray:
        return 1.0 - self.cdf(y)

    def _bracket(self, q: float) -> tuple[float, float]:
        lo = self.a if np.isfinite(self.a) else -1.0
        hi = self.b if np.isfinite(self.b) else 1.0
        while not np.isfinite(self.a) and self.cdf(lo) > q:
            lo = 2 * lo - 1.0
        while not np.isfinite(self.b) and self.cdf(hi) < q:
            hi = 2 * hi + 1.0
        return lo, hi

    def _ppf_one(self, q: float) -> float:
        from scipy import optimize

        if np.isnan(q) or q < 0 or q > 1:
            return np.nan
        if q == 0:
            return self.a
        if q == 1:
            return self.b
        # an atom whose jump covers q is the answer (the cdf is flat-jumping there)
        for p in self.atom_points:
            below = float(self.cdf(np.nextafter(p, -np.inf)))
            if below < q <= float(self.cdf(p)):
                return float(p)
        lo, hi = self._bracket(q)
        return optimize.brentq(lambda t: float(self.cdf(t)) - q, lo, hi, xtol=1e-12, rtol=1e-12)

    def ppf(self, q: Any) -> np.ndarray:
        """Smallest y with cdf(y) >= q (root-finding on the numerical cdf)."""
        qs = np.asarray(q, dtype=float)
        return np.vectorize(self._ppf_one, otypes=[float])(qs)

    def isf(self, q: Any) -> np.ndarray:
        return self.ppf(1.0 - np.asarray(q, dtype=float))

    def rvs(self, size: Any = 1, random_state: Any = None) -> np.ndarray:
        """Samples: X's own sampler pushed through g (Density.sample)."""
        rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
        shape = (size,) if np.isscalar(size) else tuple(size)
        n = int(np.prod(shape))
        return self.density.sample(n, rng, **self.values).reshape(shape)

    # -- moments ---------------------------------------------------------------------------
    def expect(self, func: Any = None) -> float:
        """E[func(Y)] by quadrature over the continuous part plus the atoms."""
        from scipy import integrate

        f = func or (lambda t: t)
        total = sum(integrate.quad(lambda t: f(t) * self._scalar_pdf(t), a, b, **_QUAD)[0]
                    for a, b in self.intervals)
        return float(total + sum(m * f(p) for p, m in zip(self.atom_points, self.atom_masses)))

    def mean(self) -> float:
        return self.expect()

    def var(self) -> float:
        m = self.mean()
        return self.expect(lambda t: (t - m) ** 2)

    def std(self) -> float:
        return float(np.sqrt(self.var()))

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


def to_scipy(density: Any, **values: float) -> Any:
    """A frozen scipy.stats-style distribution of ``density`` (parameters given by name).

    >>> import covar
    >>> rv = to_scipy(covar.parse_density("Normal(mu, 1)"), mu=2.0)
    >>> round(float(rv.cdf(2.0)), 10), round(rv.mean(), 8)
    (0.5, 2.0)
    """
    check_parameter_values(values)
    if density.discrete:
        return _finite_discrete(density, values)
    return FrozenDensity(density, values)


def _finite_discrete(density: Any, values: dict[str, float]) -> Any:
    from scipy import stats

    support = density.support
    if isinstance(support, sp.Range) and support.size.is_finite:
        support = sp.FiniteSet(*support)
    if not isinstance(support, sp.FiniteSet):
        raise UnsupportedTransform(
            f"to_scipy supports discrete laws on a finite set only; this one lives on {support}")
    points = np.array([_value(k, values) for k in support], dtype=float)
    probs = np.asarray(density.numpy()(points, **values), dtype=float)
    return stats.rv_discrete(values=(points, probs / probs.sum()))
