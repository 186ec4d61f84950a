"""Random 1-D compositions of elementary maps, and a classifier that checks covar's answer for
each against an independent numeric density (root finding, summed over all preimages) and samples.

Shared by tests/test_soundness_1d.py (a fixed-seed CI subset) and benchmarks/soundness.py.
Nothing here uses covar's own numeric machinery: f_X and samples come from scipy.stats, g and g'
from sympy's lambdify of the map, the symbolic pdf is evaluated with mpmath.
"""
from __future__ import annotations

import functools
import math
import random
import time
from dataclasses import dataclass, field
from typing import Callable

import mpmath
import numpy as np
import scipy.stats as st
from scipy import integrate, optimize
import sympy as sp

import covar

X = sp.Symbol("x", real=True)


@dataclass(frozen=True)
class Family:
    """An input law: covar's text, scipy's frozen distribution, support ends, and what is known."""

    text: str
    dist: object
    lo: float
    hi: float

    @property
    def positive(self) -> bool:
        return self.lo >= 0

    @property
    def bounded(self) -> bool:
        return math.isfinite(self.lo) and math.isfinite(self.hi)


INF = math.inf
FAMILIES: tuple[Family, ...] = (
    Family("Normal(0, 1)", st.norm(), -INF, INF),
    Family("Normal(1, 2)", st.norm(1, 2), -INF, INF),
    Family("Exponential(1)", st.expon(), 0, INF),
    Family("Exponential(2)", st.expon(scale=0.5), 0, INF),
    Family("Uniform(-1, 2)", st.uniform(-1, 3), -1, 2),
    Family("Uniform(0, 1)", st.uniform(0, 1), 0, 1),
    Family("Gamma(3, 2)", st.gamma(3, scale=0.5), 0, INF),
    Family("Beta(2, 3)", st.beta(2, 3), 0, 1),
    Family("LogNormal(0, 1)", st.lognorm(1.0), 0, INF),
    Family("Laplace(0, 1)", st.laplace(), -INF, INF),
    Family("Cauchy(0, 1)", st.cauchy(), -INF, INF),
    Family("StudentT(3)", st.t(3), -INF, INF),
    Family("ChiSquared(3)", st.chi2(3), 0, INF),
    Family("Logistic(0, 1)", st.logistic(), -INF, INF),
    Family("Weibull(1, 2)", st.weibull_min(2.0), 0, INF),
    Family("Pareto(1, 3)", st.pareto(3.0), 1, INF),
    Family("Rayleigh(1)", st.rayleigh(), 0, INF),
    Family("Gumbel(0, 1)", st.gumbel_r(), -INF, INF),
)


@dataclass(frozen=True)
class Case:
    """One random composition g of elementary maps applied to one input family."""

    index: int
    family: Family
    g: sp.Expr
    steps: tuple[str, ...]

    @property
    def map_text(self) -> str:
        return sp.sstr(self.g)

    def __str__(self) -> str:
        return f"#{self.index} {self.family.text} | {self.map_text}"


@dataclass(frozen=True)
class _Range:
    """What is known of the current inner expression's values: sign and boundedness."""

    positive: bool  # values >= 0
    bounded: bool


_AFFINE_A = [sp.Integer(v) for v in (-3, -2, -1, 2, 3)] + [sp.Rational(v, 2) for v in (-3, -1, 1, 3)]
_AFFINE_B = [sp.Integer(v) for v in (-2, -1, 0, 0, 1, 2)] + [sp.Rational(3, 2), sp.Rational(-1, 2)]


def _step(rng: random.Random, u: sp.Expr, known: _Range, values: np.ndarray
          ) -> tuple[sp.Expr, _Range, str] | None:
    """One elementary map applied to u (None when the drawn map does not fit u's range)."""
    name = rng.choice(["affine", "affine", "pow2", "pow3", "powhalf", "inv", "exp", "log", "sqrt",
                       "abs", "max", "min", "tanh", "atan", "sigmoid", "xinv", "sin", "cos"])
    finite = values[np.isfinite(values)]
    if name == "affine":
        a, b = rng.choice(_AFFINE_A), rng.choice(_AFFINE_B)
        return a * u + b, _Range(known.positive and a > 0 and b >= 0, known.bounded), name
    if name == "pow2":
        return u ** 2, _Range(True, known.bounded), name
    if name == "pow3":
        return u ** 3, _Range(known.positive, known.bounded), name
    if name in ("powhalf", "sqrt"):
        return (sp.sqrt(u) if name == "sqrt" else u ** sp.Rational(1, 2), known, name) \
            if known.positive else None
    if name == "inv":
        return 1 / u, _Range(known.positive, False), name
    if name == "xinv":
        return u + 1 / u, _Range(known.positive, False), name
    if name == "exp":
        if finite.size == 0 or np.max(finite) > 30:  # exp would overflow the reference
            return None
        return sp.exp(u), _Range(True, known.bounded), name
    if name == "log":
        return (sp.log(u), _Range(False, False), name) if known.positive else None
    if name == "abs":
        return sp.Abs(u), _Range(True, known.bounded), name
    if name in ("max", "min"):
        if finite.size == 0:
            return None
        q = float(np.quantile(finite, rng.choice([0.2, 0.35, 0.5, 0.65, 0.8])))
        c = sp.Rational(round(q * 4), 4)
        if name == "max":
            return sp.Max(u, c), _Range(known.positive or c >= 0, known.bounded), name
        return sp.Min(u, c), _Range(known.positive and c >= 0, known.bounded), name
    if name == "tanh":
        return sp.tanh(u), _Range(known.positive, True), name
    if name == "atan":
        return sp.atan(u), _Range(known.positive, True), name
    if name == "sigmoid":
        return 1 / (1 + sp.exp(-u)), _Range(True, True), name
    if name in ("sin", "cos"):
        if not known.bounded:
            return None
        return (sp.sin(u) if name == "sin" else sp.cos(u)), _Range(False, True), name
    raise AssertionError(name)


@functools.lru_cache(maxsize=256)
def _exact_set(node: sp.Expr, inner: sp.Expr, const: sp.Expr) -> sp.Set | None:
    """The x where Max(c, u) (or Min) sits on c, solved exactly by sympy; None when it cannot."""
    rel = inner <= const if isinstance(node, sp.Max) else inner >= const
    try:
        found = sp.solve_univariate_inequality(rel, X, relational=False)
    except (NotImplementedError, ValueError, TypeError):
        return None
    return found if isinstance(found, (sp.Interval, sp.Union, sp.FiniteSet)) or found is sp.EmptySet else None


def _numpy(expr: sp.Expr) -> Callable[[np.ndarray], np.ndarray]:
    f = sp.lambdify(X, expr, "numpy")

    def call(xs: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(np.broadcast_to(f(xs), np.shape(xs)), dtype=float)

    return call


def make_cases(n: int, seed: int) -> list[Case]:
    """n random compositions (depth 1 to 3), cycling over every input family."""
    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    cases: list[Case] = []
    seen: set[tuple[str, str]] = set()
    while len(cases) < n:
        fam = FAMILIES[len(cases) % len(FAMILIES)]
        xs = np.asarray(fam.dist.rvs(size=400, random_state=nprng), dtype=float)
        depth = rng.choice([1, 2, 2, 3, 3])
        u, known, steps = X, _Range(fam.positive, fam.bounded), []
        while len(steps) < depth:
            got = _step(rng, u, known, _numpy(u)(xs))
            if got is None:
                continue
            u, known, name = got
            steps.append(name)
        if not u.has(X) or (fam.text, sp.sstr(u)) in seen:
            continue
        seen.add((fam.text, sp.sstr(u)))
        cases.append(Case(len(cases), fam, u, tuple(steps)))
    return cases


# ------------------------------------------------------------------------------------------
# the independent reference
@dataclass
class Reference:
    """f_Y by root finding on a grid of x, summed over every preimage; atoms from flat runs."""

    case: Case
    grid_size: int = 8000
    g: Callable = field(init=False)
    dg: Callable = field(init=False)
    grid: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.g = _numpy(self.case.g)
        self.dg = _numpy(sp.diff(self.case.g, X))
        self.grid = self._grid(self.grid_size)

    def _grid(self, n: int) -> np.ndarray:
        fam = self.case.family
        qs = np.concatenate([np.geomspace(1e-13, 1e-3, n // 10), np.linspace(1e-3, 1 - 1e-3, n),
                             1 - np.geomspace(1e-3, 1e-13, n // 10)])
        pts = [fam.dist.ppf(qs)]
        lo, hi = fam.dist.ppf(1e-11), fam.dist.ppf(1 - 1e-11)
        pts.append(np.linspace(lo, hi, n))
        wide = max(abs(lo), abs(hi), 1.0)
        # denser around 0, where 1/x, x + 1/x and log turn quickly
        pts.append(np.concatenate([-np.geomspace(1e-9, wide, n // 4), np.geomspace(1e-9, wide, n // 4)]))
        grid = np.unique(np.concatenate(pts))
        inside = (grid > fam.lo) & (grid < fam.hi) & np.isfinite(grid)
        return grid[inside]

    def density(self, y: float, finer: bool = False) -> float:
        """sum over roots r of g(r) = y of f_X(r)/|g'(r)| (nan when a root is degenerate)."""
        grid = self._grid(self.grid_size * 8) if finer else self.grid
        vals = self.g(grid) - y
        ok = np.isfinite(vals)
        sgn = np.sign(vals)
        total = 0.0
        roots = list(grid[ok & (vals == 0)])
        change = np.nonzero(ok[:-1] & ok[1:] & (sgn[:-1] * sgn[1:] < 0))[0]
        for k in change:
            a, b = grid[k], grid[k + 1]
            r = optimize.brentq(lambda t: float(self.g(np.array([t]))[0]) - y, a, b, xtol=1e-15, rtol=1e-15, maxiter=500)
            roots.append(r)
        for r in roots:
            gr = float(self.g(np.array([r]))[0])
            if not abs(gr - y) <= 1e-7 * max(1.0, abs(y)):
                continue  # a pole between the grid points, not a root
            d = abs(float(self.dg(np.array([r]))[0]))
            if not (d > 0 and math.isfinite(d)):
                return math.nan
            total += float(self.case.family.dist.pdf(r)) / d
        return total

    def _flat(self, xs: np.ndarray) -> np.ndarray:
        """Where a Max/Min of the chain sits on its constant: g is flat there."""
        out = np.zeros(np.shape(xs), dtype=bool)
        for node in self.case.g.atoms(sp.Max, sp.Min):
            consts = [a for a in node.args if not a.has(X)]
            inner = [a for a in node.args if a.has(X)]
            if len(consts) != 1 or len(inner) != 1:
                raise AssertionError(f"unexpected {node}")
            u = _numpy(inner[0])(xs)
            c = float(consts[0])
            flat = (u <= c) if isinstance(node, sp.Max) else (u >= c)
            tied = np.flatnonzero(flat & (u == c))
            if tied.size:  # u == c in floats may be rounding (tanh(x) = -1.0 for x < -19)
                where = _exact_set(node, inner[0], consts[0])
                if where is not None:
                    flat.flat[tied] = [bool(where.contains(sp.Float(float(xs.flat[i])))) for i in tied]
            out |= flat
        return out

    def atoms(self) -> dict[float, float]:
        """P(X in a run of x where a Max/Min of the chain is constant), per value of g there."""
        grid = self.grid
        flat = self._flat(grid)
        fam = self.case.family
        out: dict[float, float] = {}
        k, n = 0, len(grid)
        while k < n:
            if not flat[k]:
                k += 1
                continue
            j = k
            while j + 1 < n and flat[j + 1]:
                j += 1
            left = self._edge(grid[k - 1], grid[k]) if k > 0 else fam.lo
            right = self._edge(grid[j + 1], grid[j]) if j + 1 < n else fam.hi
            mass = float(fam.dist.cdf(right) - fam.dist.cdf(left))
            v = float(self.g(np.array([grid[(k + j) // 2]]))[0])
            if mass > 1e-12:
                key = next((w for w in out if abs(w - v) <= 1e-9 * max(1.0, abs(v))), v)
                out[key] = out.get(key, 0.0) + mass
            k = j + 1
        return out

    def _edge(self, off: float, on: float) -> float:
        """The end of a flat run between a point off it and a point on it (bisection)."""
        for _ in range(200):
            mid = 0.5 * (off + on)
            if mid in (off, on):
                break
            if self._flat(np.array([mid]))[0]:
                on = mid
            else:
                off = mid
        return on

    def critical_values(self) -> list[float]:
        """g at the zeros of g' and at the ends of flat runs: where f_Y may be singular."""
        grid = self.grid
        d = self.dg(grid)
        sgn = np.sign(d)
        vals = []
        for k in np.nonzero(np.isfinite(d[:-1]) & np.isfinite(d[1:]) & (sgn[:-1] * sgn[1:] < 0))[0]:
            try:
                r = optimize.brentq(lambda t: float(self.dg(np.array([t]))[0]), grid[k], grid[k + 1])
            except ValueError:
                continue
            vals.append(float(self.g(np.array([r]))[0]))
        vals += list(self.atoms())
        return [v for v in vals if math.isfinite(v)]


# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """The classification of one case."""

    case: Case
    kind: str  # correct | numeric | declined | wrong | error
    detail: str = ""
    seconds: float = 0.0


_SAMPLES = 4000


def _symbolic_evaluator(Y) -> Callable[[float], complex]:
    f = sp.lambdify(Y.var, Y.pdf, "mpmath")

    def call(v: float) -> complex:
        with mpmath.workdps(30):
            try:
                return complex(f(mpmath.mpf(v)))
            except (TypeError, ValueError, ZeroDivisionError):
                return complex(sp.N(Y.pdf.subs(Y.var, sp.Float(v, 30)), 30))

    return call


def _agree(got: complex, ref: float, rtol: float) -> bool:
    return abs(got.imag) <= 1e-9 * max(1.0, abs(ref)) and abs(got.real - ref) <= rtol * max(abs(ref), 1e-3)


def classify(case: Case, timeout: float = 10.0, seed: int = 0) -> Outcome:
    """Run covar on the case and check what it returns; never raises for covar's refusals."""
    started = time.perf_counter()
    try:
        Y = covar.transform(case.family.text, case.map_text, timeout=timeout)
    except covar.CovarError as exc:
        return Outcome(case, "declined", f"{type(exc).__name__}: {exc}"[:300], time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 -- recorded as a failure of covar, not hidden
        return Outcome(case, "error", f"{type(exc).__name__}: {exc}"[:300], time.perf_counter() - started)
    try:
        problems = _check(case, Y, seed)
    except covar.CovarError as exc:  # numpy() of a numeric-only law may refuse late
        return Outcome(case, "declined", f"late {type(exc).__name__}: {exc}"[:300], time.perf_counter() - started)
    kind = "wrong" if problems else ("correct" if Y.closed_form else "numeric")
    return Outcome(case, kind, "; ".join(problems)[:1500], time.perf_counter() - started)


def _check(case: Case, Y, seed: int) -> list[str]:
    ref = Reference(case)
    rng = np.random.default_rng(seed + 7919 * case.index)
    xs = np.asarray(case.family.dist.rvs(size=_SAMPLES, random_state=rng), dtype=float)
    ys = ref.g(xs)
    ys = ys[np.isfinite(ys)]
    problems: list[str] = []

    # atoms
    ref_atoms = ref.atoms()
    got_atoms = {float(sp.N(k)): float(sp.N(v)) for k, v in Y.atoms.items()}
    for loc, mass in ref_atoms.items():
        match = [m for k, m in got_atoms.items() if abs(k - loc) <= 1e-7 * max(1.0, abs(loc))]
        if not match or not abs(sum(match) - mass) <= 1e-6:
            problems.append(f"atom at {loc:.6g}: got {match}, truth {mass:.6g}")
    for loc, mass in got_atoms.items():
        if not any(abs(k - loc) <= 1e-7 * max(1.0, abs(loc)) for k in ref_atoms):
            problems.append(f"spurious atom at {loc:.6g} (mass {mass:.6g})")
    is_atom = np.zeros(ys.shape, dtype=bool)
    for loc in ref_atoms:
        is_atom |= ys == loc
    cont = np.sort(ys[~is_atom])
    if cont.size < 50:
        return problems
    values, repeats = np.unique(cont, return_counts=True)
    # many samples on one value that is no atom: g saturates in double precision (tanh of a
    # large number is exactly 1.0), so sampled values and quadrature of f_Y near that value
    # mean nothing; only the pointwise comparison is run
    saturated = bool(np.any(repeats > max(3, cont.size // 1000)))

    # pointwise: symbolic pdf and numpy() against the reference
    qs = np.linspace(0.03, 0.97, 11)
    points = np.unique(np.quantile(cont, qs))
    points = points[~np.isin(points, values[repeats > 1])]  # not on a saturated value
    fnum = Y.numpy()
    with np.errstate(all="ignore"):
        got_num = np.asarray(fnum(points), dtype=float)
    sym = _symbolic_evaluator(Y) if Y.closed_form else None
    for k, yv in enumerate(points):
        truth = ref.density(float(yv))
        if not math.isfinite(truth) or truth * max(1.0, abs(yv)) > 1e7:
            # a density this large means y itself is ill-conditioned in double precision
            # (tanh(x) within 1e-16 of 1): neither side can be compared there
            continue
        checks = [("numpy", complex(got_num[k]), 1e-4 if not Y.closed_form else 1e-5)]
        if sym is not None:
            checks.append(("symbolic", sym(float(yv)), 1e-6))
        for what, got, rtol in checks:
            if _agree(got, truth, rtol):
                continue
            truth = ref.density(float(yv), finer=True)  # a root pair the grid may have missed
            if math.isfinite(truth) and not _agree(got, truth, rtol):
                problems.append(f"{what} pdf at y={yv:.9g}: got {got:.9g}, truth {truth:.9g}")

    if saturated:
        return problems
    # KS of the continuous part against samples, and its mass
    edges = np.quantile(cont, np.linspace(0, 1, 101))
    special = [v for v in ref.critical_values() if cont[0] < v < cont[-1]]
    edges = np.unique(np.concatenate([edges, special]))
    f = lambda t: float(np.asarray(fnum(np.array([t])), dtype=float)[0])  # noqa: E731
    cdf, mass = _cdf(f, edges)
    atom_mass = sum(got_atoms.values())
    found = []
    if not abs(mass + atom_mass - 1) <= 2e-3:
        found.append(f"total mass {mass + atom_mass:.6g} (continuous {mass:.6g})")
    if mass > 0.01:
        model = np.interp(cont, edges, cdf) / mass
        emp = np.arange(1, cont.size + 1) / cont.size
        d = float(np.max(np.maximum(np.abs(model - emp), np.abs(model - (emp - 1 / cont.size)))))
        if not d <= 1.95 / math.sqrt(cont.size) + 0.01:  # alpha ~ 1e-3, plus interpolation slack
            found.append(f"KS distance {d:.4f} against {cont.size} samples")
    if found:
        # a density quadrature cannot integrate (1/((e - y) log(e - y)**2)) fails the sample
        # test however right it is: it passes only if the independent reference, integrated
        # the same way, gives the same cdf
        def truth(t: float) -> float:
            v = ref.density(t)
            return v if math.isfinite(v) else 0.0

        ref_cdf, ref_mass = _cdf(truth, edges)
        if not (np.max(np.abs(ref_cdf - cdf)) <= 2e-3 and abs(ref_mass - mass) <= 2e-3):
            problems += found + [f"reference cdf differs by {np.max(np.abs(ref_cdf - cdf)):.3g}, "
                                 f"reference mass {ref_mass:.6g}"]
    return problems


def _cdf(f: Callable[[float], float], edges: np.ndarray) -> tuple[np.ndarray, float]:
    """P(Y <= e) of the continuous part at each edge, and its total mass, by quadrature."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        pieces = [integrate.quad(f, a, b, limit=100)[0] for a, b in zip(edges, edges[1:])]
        below = integrate.quad(f, -np.inf, float(edges[0]), limit=200)[0]
        above = integrate.quad(f, float(edges[-1]), np.inf, limit=200)[0]
    cdf = below + np.concatenate([[0.0], np.cumsum(pieces)])
    return cdf, float(cdf[-1] + above)


def counts(outcomes: list[Outcome]) -> dict[str, int]:
    table = {k: 0 for k in ("correct", "numeric", "declined", "wrong", "error")}
    for o in outcomes:
        table[o.kind] += 1
    return table
