"""An independent numeric reference for the problem tables: it shares no code with covar.

* ``symbolic_pdf_values`` evaluates the pdf the user reads (a sympy expression) with mpmath,
  never through covar's compiled ``numpy()``;
* ``reference_pdf`` computes f_Y(y) = sum over all real preimages x of g(x) = y of
  f_X(x) / |g'(x)|, the preimages found by a sign-change scan of a fine grid refined by brentq;
* ``symbolic_mass`` integrates the symbolic pdf with scipy quad split at the cell ends;
* ``reference_joint_pdf`` / ``symbolic_mass_2d`` do the same for joint densities (the preimages
  are the branch maps the test states, each checked to map to the same y).

Every comparison here treats nan, inf and complex values as a failure.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Sequence

import mpmath
import numpy as np
import sympy as sp
from scipy import integrate, optimize

DPS = 30
Vec = Callable[[np.ndarray], np.ndarray]


# ------------------------------------------------------------------------------------------
# binding parameters and evaluating symbolic expressions
# ------------------------------------------------------------------------------------------
def bind(expr: Any, values: Mapping[str, float]) -> sp.Expr:
    """expr with every parameter named in ``values`` replaced by that number (matched by name)."""
    expr = sp.sympify(expr)
    return expr.xreplace({s: sp.Float(repr(float(values[s.name])), DPS) if not float(values[s.name]).is_integer()
                          else sp.Integer(int(values[s.name]))
                          for s in expr.free_symbols if s.name in values})


def _variables(Y: Any) -> tuple[sp.Symbol, ...]:
    return tuple(Y.vars) if hasattr(Y, "vars") else (Y.var,)


def _to_float(v: Any, imag_tol: float = 1e-25) -> float:
    """A real float, or nan for None / complex / non-numbers (so no comparison can pass)."""
    if v is None:
        return float("nan")
    if isinstance(v, (np.ndarray, np.generic)):
        v = v.item()
    if isinstance(v, (mpmath.mpc, complex)):
        if v.imag != 0 and not (abs(v.imag) <= imag_tol * max(1.0, abs(v.real))):
            return float("nan")
        v = v.real
    elif isinstance(v, sp.Basic):
        if not v.is_number:
            return float("nan")
        re, im = v.as_real_imag()
        if im != 0 and not (abs(float(im)) <= imag_tol * max(1.0, abs(float(re)))):
            return float("nan")
        v = re
    if isinstance(v, (bool, np.bool_)):
        return float(v)
    return float(v)


def symbolic_pdf_values(Y: Any, ys: Any, params: Mapping[str, float] | None = None,
                        pdf: sp.Expr | None = None) -> np.ndarray:
    """The user-visible ``Y.pdf`` (or ``pdf``) evaluated at ``ys`` with mpmath (``DPS`` digits).

    ``ys`` is a 1-D array for a univariate law, an ``(n, d)`` array for a joint density.
    Any parameter left unbound raises: the pdf must contain only the variables and ``params``.
    """
    params = dict(params or {})
    vars_ = _variables(Y)
    expr = bind(Y.pdf if pdf is None else pdf, params)
    left = expr.free_symbols - set(vars_)
    assert not left, f"symbolic pdf has unbound symbols {left}"
    pts = np.asarray(ys, dtype=float).reshape(-1, len(vars_))
    f = sp.lambdify(vars_, expr, modules="mpmath")
    out = np.empty(len(pts))
    with mpmath.workdps(DPS):
        for i, row in enumerate(pts):
            args = [mpmath.mpf(float(v)) for v in row]
            try:
                val = f(*args)
            except (NameError, TypeError, AttributeError):  # a function mpmath's printer lacks
                val = sp.N(expr.xreplace(dict(zip(vars_, [sp.Float(float(v), DPS) for v in row]))), DPS)
            except (ZeroDivisionError, ValueError, OverflowError):
                val = None
            out[i] = _to_float(val)
    return out


def fast_symbolic(Y: Any, params: Mapping[str, float] | None = None, pdf: sp.Expr | None = None) -> Callable:
    """The symbolic pdf lambdified on its own in float precision (for quadrature).

    Where float arithmetic cannot say (a principal complex root of a negative number, an
    overflow giving inf/inf), the point is evaluated again with mpmath (not with complex floats:
    their signed zeros pick the wrong side of a branch cut).
    """
    vars_ = _variables(Y)
    expr = bind(Y.pdf if pdf is None else pdf, params or {})
    f = sp.lambdify(vars_, expr, modules=["numpy", "scipy"])
    slow = sp.lambdify(vars_, expr, modules="mpmath")

    def run(*xs: float) -> float:
        xs = tuple(np.float64(t) for t in xs)  # numpy scalars: 1/0 is inf, not an exception
        with np.errstate(all="ignore"):
            v = _to_float(f(*xs), 1e-9)
        if not np.isfinite(v):
            with mpmath.workdps(DPS):
                try:
                    v = _to_float(slow(*[mpmath.mpf(float(t)) for t in xs]))
                except (ZeroDivisionError, ValueError, OverflowError):
                    v = float("nan")
        return v

    return run


# ------------------------------------------------------------------------------------------
# total mass of a univariate symbolic pdf
# ------------------------------------------------------------------------------------------
def _finite_numbers(values: Iterable[Any]) -> list[float]:
    out = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if np.isfinite(f):
            out.append(f)
    return out


def cell_ends(Y: Any, params: Mapping[str, float]) -> list[float]:
    """Finite ends of the support pieces, the atoms, and real roots of the Piecewise conditions."""
    y = Y.var
    pts: list[Any] = []
    sup = bind(Y.support, params) if isinstance(Y.support, sp.Basic) else Y.support
    pieces = sup.args if isinstance(sup, sp.Union) else (sup,)
    for p in pieces:
        if isinstance(p, sp.Interval):
            pts += [p.start, p.end]
        elif isinstance(p, sp.FiniteSet):
            pts += list(p)
    pts += [bind(k, params) for k in Y.atoms]
    if Y.pdf is not None:
        for rel in Y.pdf.atoms(sp.core.relational.Relational):
            e = bind(rel.lhs - rel.rhs, params)
            if e.free_symbols == {y} and e.is_polynomial(y) and sp.degree(e, y) <= 4:
                for r in sp.Poly(e, y).nroots(n=20):
                    if r.is_real:
                        pts.append(r)
    return sorted(set(_finite_numbers(pts)))


def symbolic_mass(Y: Any, params: Mapping[str, float] | None = None,
                  extra_points: Sequence[float] = ()) -> tuple[float, float]:
    """(continuous mass of ``Y.pdf`` over the real line, total atom mass), by quad split at cell ends."""
    params = dict(params or {})
    f = fast_symbolic(Y, params)
    ends = sorted(set(cell_ends(Y, params)) | set(_finite_numbers(extra_points)) | {0.0})
    edges = [-np.inf, *ends, np.inf]
    total = 0.0
    for a, b in zip(edges[:-1], edges[1:]):
        if a == b:
            continue
        val, _ = integrate.quad(lambda t: f(t), a, b, limit=400, epsabs=1e-11, epsrel=1e-10)
        total += val
    atoms = sum(_to_float(sp.N(bind(m, params), DPS)) for m in Y.atoms.values())
    return total, atoms


def assert_mass_one(Y: Any, params: Mapping[str, float] | None = None, tol: float = 1e-4,
                    extra_points: Sequence[float] = ()) -> None:
    mass, atoms = symbolic_mass(Y, params, extra_points)
    assert abs(mass + atoms - 1) <= tol, f"symbolic pdf mass {mass} + atoms {atoms} != 1"


# ------------------------------------------------------------------------------------------
# the independent univariate reference: all preimages by grid scan + brentq
# ------------------------------------------------------------------------------------------
def _grid(x_range: tuple[float, float], n: int) -> np.ndarray:
    lo, hi = x_range
    assert np.isfinite(lo) and np.isfinite(hi) and lo < hi, x_range
    parts = [np.linspace(lo, hi, n)]
    width = hi - lo
    geo = np.geomspace(1e-12 * max(1.0, width), width / 4, 600)
    parts += [lo + geo, hi - geo]  # crowd the ends (poles, singular Jacobians)
    if lo < 0 < hi:
        parts += [geo[geo < hi], -geo[geo < -lo]]
    g = np.unique(np.concatenate(parts))
    return g[(g > lo) & (g < hi)]


def derivative(g: Vec, xs: np.ndarray, x_range: tuple[float, float]) -> np.ndarray:
    """g'(xs) by Richardson-extrapolated central differences, kept inside ``x_range``."""
    xs = np.asarray(xs, dtype=float)
    lo, hi = x_range
    h = np.minimum(1e-4 * np.maximum(1.0, np.abs(xs)), 0.4 * np.minimum(xs - lo, hi - xs))
    with np.errstate(all="ignore"):
        d1 = (g(xs + h) - g(xs - h)) / (2 * h)
        d2 = (g(xs + h / 2) - g(xs - h / 2)) / h
    return (4 * d2 - d1) / 3


def preimages(g: Vec, y: float, x_range: tuple[float, float], grid: np.ndarray, G: np.ndarray) -> list[float]:
    """Every x in ``x_range`` with g(x) = y: sign changes (and touching near-zeros) on the grid."""
    d = G - y
    roots: list[float] = []
    scalar = lambda t: float(g(np.array([t]))[0]) - y  # noqa: E731
    finite = np.isfinite(d)
    sgn = np.sign(np.where(finite, d, np.nan))
    roots += list(grid[(sgn == 0)])
    brackets = np.nonzero(sgn[:-1] * sgn[1:] < 0)[0]
    # near-zeros without a sign change (two roots inside one cell, or a tangency): refine locally
    ad = np.abs(d)
    interior = np.arange(1, len(d) - 1)
    dips = interior[(ad[interior] <= ad[interior - 1]) & (ad[interior] <= ad[interior + 1])
                    & (ad[interior] < 1e-3 * (1 + abs(y))) & (G[interior + 1] != G[interior - 1])
                    & ~(sgn[interior - 1] * sgn[interior] < 0) & ~(sgn[interior] * sgn[interior + 1] < 0)
                    & (sgn[interior] != 0)]
    extra: list[tuple[float, float]] = []
    for i in dips[:50]:
        fine = np.linspace(grid[i - 1], grid[i + 1], 2001)
        fd = g(fine) - y
        fs = np.sign(fd)
        for j in np.nonzero(fs[:-1] * fs[1:] < 0)[0]:
            extra.append((fine[j], fine[j + 1]))
    for a, b in [(grid[i], grid[i + 1]) for i in brackets] + extra:
        r = optimize.brentq(scalar, a, b, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=400)
        if abs(scalar(r)) <= 1e-7 * (1 + abs(y)):  # a jump or a pole is not a root
            roots.append(r)
    roots = sorted(roots)
    out: list[float] = []
    for r in roots:
        if not out or not (abs(r - out[-1]) <= 1e-10 * (1 + abs(r))):
            out.append(r)
    return out


def reference_pdf(fx: Vec, g: Vec, ys: Any, x_range: tuple[float, float], dg: Vec | None = None,
                  n_grid: int = 40001) -> np.ndarray:
    """f_Y(ys) = sum over every preimage x in ``x_range`` of f_X(x)/|g'(x)| (finite ``x_range``)."""
    ys = np.atleast_1d(np.asarray(ys, dtype=float))
    grid = _grid(x_range, n_grid)
    with np.errstate(all="ignore"):
        G = np.asarray(g(grid), dtype=float)
    out = np.zeros(len(ys))
    for k, y in enumerate(ys):
        xs = np.array(preimages(g, y, x_range, grid, G))
        if len(xs) == 0:
            continue
        slope = dg(xs) if dg is not None else derivative(g, xs, x_range)
        with np.errstate(all="ignore"):
            out[k] = float(np.sum(fx(xs) / np.abs(slope)))
    return out


def interval_law(pdf: sp.Expr, var: sp.Symbol, support: sp.Set, values: Mapping[str, float],
                 cut: float = 60.0) -> tuple[Vec, tuple[float, float]]:
    """(vectorised f_X, finite x-range) for an input pdf on an interval, lambdified on its own."""
    expr = bind(pdf, values)
    sup = bind(support, values)
    assert isinstance(sup, sp.Interval), f"input support {sup} is not an interval"
    lo, hi = float(sup.start), float(sup.end)
    f = sp.lambdify(var, expr, modules=["numpy", "scipy"])

    def fx(xs: np.ndarray) -> np.ndarray:
        xs = np.asarray(xs, dtype=float)
        with np.errstate(all="ignore"):
            v = np.broadcast_to(np.asarray(f(xs), dtype=float), xs.shape)
        return np.where((xs >= lo) & (xs <= hi), v, 0.0)

    return fx, (max(lo, -cut), min(hi, cut))


# ------------------------------------------------------------------------------------------
# choosing points and comparing
# ------------------------------------------------------------------------------------------
def probe_points(samples: np.ndarray, k: int = 9, avoid: Sequence[float] = ()) -> np.ndarray:
    """k points spread over the law of the samples (quantiles), off repeated values (atoms)."""
    s = np.asarray(samples, dtype=float)
    s = s[np.isfinite(s)]
    vals, counts = np.unique(s, return_counts=True)
    repeated = vals[counts > 1]
    s = s[~np.isin(s, repeated)]
    qs = np.quantile(s, np.linspace(0.04, 0.96, k)) if len(s) else np.array([])
    bad = np.concatenate([repeated, np.asarray(avoid, dtype=float)])
    keep = [q for q in qs if not np.any(np.abs(q - bad) <= 1e-6 * (1 + abs(q)))]
    return np.unique(np.array(keep, dtype=float))


def assert_close(got: np.ndarray, want: np.ndarray, where: np.ndarray, what: str,
                 rtol: float = 1e-6, atol: float = 1e-10) -> None:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    ok = np.abs(got - want) <= atol + rtol * np.abs(want)   # nan / inf never pass
    assert ok.all(), (f"{what}: mismatch at y = {np.asarray(where)[~ok][:4].tolist()}: "
                      f"got {got[~ok][:4].tolist()}, want {want[~ok][:4].tolist()}")


#: samples for the KS check of a numeric-only result that the reference checks point by point
NUMERIC_KS_SAMPLES = 20_000


def ks_samples(Y: Any, ys: np.ndarray, reference: Callable[[np.ndarray], np.ndarray] | None) -> np.ndarray:
    """The samples to compare Y's CDF with: all of ``ys``, except for a numeric-only result with
    an independent reference, whose evaluator root-finds at every point: there the first
    NUMERIC_KS_SAMPLES (KS still sees CDF errors above ~1.5 %) and check_univariate compares
    the density itself with the reference.

    >>> len(ks_samples(type("Numeric", (), {"pdf": None})(), np.zeros(50_000), np.exp))
    20000
    """
    if Y.pdf is None and reference is not None:
        return ys[:NUMERIC_KS_SAMPLES]
    return ys


def check_univariate(Y: Any, params: Mapping[str, float], ys: np.ndarray,
                     reference: Callable[[np.ndarray], np.ndarray] | None,
                     rtol: float = 1e-6, atol: float = 1e-10, mass_tol: float = 1e-4) -> None:
    """(1) mass of the symbolic pdf, (2) symbolic == reference, (3) symbolic == numpy() at ys."""
    params = dict(params)
    if Y.pdf is None:  # numeric-only: at least numpy() must match the reference
        if reference is not None:
            assert_close(np.asarray(Y.numpy()(ys, **params), float), reference(ys), ys, "numpy() vs reference",
                         rtol=1e-4, atol=1e-8)
        return
    assert_mass_one(Y, params, mass_tol, extra_points=ys)
    sym = symbolic_pdf_values(Y, ys, params)
    if reference is not None:
        assert_close(sym, reference(ys), ys, "symbolic pdf vs independent reference", rtol, atol)
    with np.errstate(all="ignore"):
        fast = np.asarray(Y.numpy()(ys, **params), dtype=float)
    assert_close(sym, fast, ys, "symbolic pdf vs numpy()", 1e-8, 1e-12)


# ------------------------------------------------------------------------------------------
# joint densities
# ------------------------------------------------------------------------------------------
def jacobian_fd(G: Callable[[np.ndarray], np.ndarray], X: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """(n, d, d) Jacobians of a batch map by Richardson-extrapolated central differences."""
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    out = np.empty((n, d, d))
    for j in range(d):
        step = h * np.maximum(1.0, np.abs(X[:, j]))
        e = np.zeros_like(X)
        e[:, j] = step
        d1 = (G(X + e) - G(X - e)) / (2 * step[:, None])
        d2 = (G(X + e / 2) - G(X - e / 2)) / step[:, None]
        out[:, :, j] = (4 * d2 - d1) / 3
    return out


def reference_joint_pdf(fx: Callable[[np.ndarray], np.ndarray], G: Callable[[np.ndarray], np.ndarray],
                        X: np.ndarray, branches: Sequence[Callable[[np.ndarray], np.ndarray]] = (lambda X: X,),
                        ) -> tuple[np.ndarray, np.ndarray]:
    """(Y = G(X), f_Y(Y)) with f_Y summed over the preimages ``b(X)`` for each branch map b.

    Each branch image is checked to map to the same y, and the branch images to be distinct,
    so a wrong branch list fails here instead of giving a wrong reference.
    """
    X = np.asarray(X, dtype=float)
    Y = G(X)
    total = np.zeros(len(X))
    images = []
    for b in branches:
        Xb = b(X)
        assert np.allclose(G(Xb), Y, rtol=1e-9, atol=1e-9), "branch map does not give a preimage"
        for other in images:
            assert not np.any(np.all(np.isclose(other, Xb), axis=1)), "two branch maps coincide"
        images.append(Xb)
        det = np.abs(np.linalg.det(jacobian_fd(G, Xb)))
        total += fx(Xb) / det
    return Y, total


def symbolic_mass_2d(Y: Any, box: tuple[tuple[float, float], tuple[float, float]],
                     params: Mapping[str, float] | None = None) -> float:
    """∫∫ of the symbolic joint pdf over a box (scipy dblquad of the pdf lambdified on its own)."""
    f = fast_symbolic(Y, params)
    (a, b), (c, d) = box
    return integrate.dblquad(lambda v, u: f(u, v), a, b, c, d, epsabs=1e-9, epsrel=1e-8)[0]


def check_joint(Y: Any, ys: np.ndarray, want: np.ndarray, params: Mapping[str, float] | None = None,
                rtol: float = 1e-6) -> None:
    """Symbolic joint pdf == independent reference and == numpy() at the rows of ys."""
    params = dict(params or {})
    sym = symbolic_pdf_values(Y, ys, params)
    assert_close(sym, want, ys, "symbolic joint pdf vs independent reference", rtol, 1e-12)
    fast = np.asarray(Y.numpy()(*np.asarray(ys).T, **params), dtype=float)
    assert_close(sym, fast, ys, "symbolic joint pdf vs numpy()", 1e-8, 1e-12)


# ------------------------------------------------------------------------------------------
# discrete laws
# ------------------------------------------------------------------------------------------
def _exact(v: float) -> sp.Expr:
    """An exact number equal to the float v (integers, rationals, simple surds)."""
    for cand in (sp.nsimplify(v), sp.nsimplify(v, [sp.sqrt(2), sp.sqrt(3)]), sp.nsimplify(v, rational=True)):
        if abs(float(cand) - v) <= 1e-13 * max(1.0, abs(v)):
            return cand
    return sp.Float(v, DPS)


def symbolic_pmf_values(Y: Any, ys: Any, params: Mapping[str, float] | None = None) -> np.ndarray:
    """``Y.pdf`` of a discrete law at ``ys``, each substituted as an exact number (sympy N)."""
    expr = bind(Y.pdf, params or {})
    left = expr.free_symbols - {Y.var}
    assert not left, f"symbolic pmf has unbound symbols {left}"
    out = []
    for v in np.asarray(ys, dtype=float):
        e = expr.subs(Y.var, _exact(float(v)))
        val = _to_float(sp.N(e, DPS))
        if not np.isfinite(val):  # a condition sympy leaves undecided until simplified
            val = _to_float(sp.N(sp.simplify(e), DPS))
        out.append(val)
    return np.array(out)


def reference_pmf(pmf: sp.Expr, var: sp.Symbol, support: sp.Set, g: Vec, ys: Any,
                  params: Mapping[str, float], n_terms: int = 400) -> np.ndarray:
    """P(g(X) = y): the input pmf summed over the support points x with g(x) = y."""
    sup = bind(support, params)
    if isinstance(sup, sp.FiniteSet):
        xs = np.array([float(v) for v in sup])
    else:
        assert isinstance(sup, sp.Range) and sup.step == 1, f"unsupported input support {sup}"
        start = float(sup.inf)
        stop = float(sup.sup) if sup.sup.is_finite else start + n_terms
        xs = np.arange(start, stop + 1)
    f = sp.lambdify(var, bind(pmf, params), modules="mpmath")
    px = np.array([_to_float(f(mpmath.mpf(v))) for v in xs])
    gx = g(xs)
    ys = np.asarray(ys, dtype=float)
    return np.array([px[np.isclose(gx, v, rtol=1e-12, atol=1e-12)].sum() for v in ys])
