"""The verification gate: no result leaves covar before it is checked numerically.

Every result — univariate, discrete, mixed, multivariate, marginal, ``subs``, ``from_json``,
a flow's output density — goes through :func:`verify` once, just before it is returned:

1. the **symbolic** pdf (the formula the user reads, evaluated with mpmath, independently of the
   compiled evaluator) agrees with ``numpy()`` at points spread over every cell of the support,
   for up to two random parameter draws that respect the declared assumptions;
2. the total mass equals 1 minus the atoms' masses (adaptive quadrature split at the cell ends;
   in n-D the mass inside a box of sample quantiles is compared cell by cell with samples);
3. where X has a sampler, the law matches samples of g(X) (1-D: a KS test over the whole sample
   and atom frequencies; pmfs: a chi-square test; n-D: a binned chi-square);
4. every comparison counts nan, inf and complex values as failures.

A closed form that fails is downgraded to an honest numeric-only result when the numeric
evaluator alone passes; otherwise :class:`VerificationFailed` names the failed check.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
import sympy as sp

from covar.errors import VerificationFailed
from covar.record import Derivation, note_words

#: samples of g(X) drawn per parameter draw (1-D) and for the n-D binned test
SAMPLES_1D = 4000
SAMPLES_ND = 20000
#: samples for the n-D binned test in face coordinates (mass piled against a bounded support's faces)
SAMPLES_FACES = 100_000
#: a check fails when its p-value is below this (fixed seeds keep the gate reproducible)
P_FAIL = 1e-6
#: a law's continuous part must integrate to 1 minus its atoms within this
MASS_TOL = 2e-4
POINT_RTOL = 1e-6
_SEED = 20261130


# -- the one agreement check ---------------------------------------------------------------------

def close(a: Any, b: Any, rtol: float = POINT_RTOL, atol: float = 0.0) -> bool:
    """True only when a and b are finite reals within tolerance: nan, inf and complex fail.

    >>> close(1.0, 1.0 + 1e-9), close(float("nan"), 1.0), close(1j, 0.0)
    (True, False, False)
    """
    try:
        fa, fb = complex(a), complex(b)
    except (TypeError, ValueError):
        return False
    return bool(close_each(fa, fb, rtol, atol))


def close_each(a: Any, b: Any, rtol: float = POINT_RTOL, atol: float = 0.0) -> np.ndarray:
    """:func:`close` elementwise over numpy arrays (broadcast): True only where both are finite
    reals within ``atol + rtol * max(|a|, |b|)``.

    >>> close_each(np.array([1.0, np.nan, 2.0, 1j]), np.array([1.0, 1.0, np.inf, 0.0])).tolist()
    [True, False, False, False]
    """
    x, y = np.asarray(a, dtype=complex), np.asarray(b, dtype=complex)
    with np.errstate(invalid="ignore", over="ignore"):
        real = ((x.imag == 0) | (np.abs(x.imag) <= 1e-12 * np.maximum(1.0, np.abs(x.real)))) \
            & ((y.imag == 0) | (np.abs(y.imag) <= 1e-12 * np.maximum(1.0, np.abs(y.real))))
        u, v = x.real, y.real
        finite = np.isfinite(u) & np.isfinite(v)
        return real & finite & (np.abs(u - v) <= atol + rtol * np.maximum(np.abs(u), np.abs(v)))


def _real(z: complex, shown: Any) -> float:
    """The real part of ``z`` when its imaginary part is round-off and it is not nan."""
    if not abs(z.imag) <= 1e-12 * max(1.0, abs(z.real)) or math.isnan(z.real):
        raise ValueError(f"{shown} is not a real number")
    return z.real


def to_float(value: Any, values: Mapping | None = None, *, otherwise: float | None = None) -> float:
    """A real float (±inf allowed) for a number or a sympy expression, with ``values`` (keyed by
    symbol or by name) substituted first. A value that is complex beyond round-off, undefined or
    still symbolic raises ValueError -- or gives ``otherwise`` when that is given (``math.nan``
    for callers that count a non-real value as a failure later).

    >>> a = sp.Symbol("a", positive=True)
    >>> to_float(sp.sqrt(a), {"a": 4}), to_float(-sp.oo), to_float(1j, otherwise=math.nan)
    (2.0, -inf, nan)
    """
    try:
        if not isinstance(value, sp.Basic):
            try:  # a plain number (float, numpy or mpmath scalar): no sympy on this path
                return _real(complex(value), value)
            except TypeError:
                value = sp.sympify(value, strict=True)
        e = value
        if values:
            given = {s: values[s] if s in values else values[s.name]
                     for s in e.free_symbols if s in values or s.name in values}
            e = e.xreplace({s: sp.sympify(v, strict=True) for s, v in given.items()})
        if e == sp.oo:
            return math.inf
        if e == -sp.oo:
            return -math.inf
        if e.free_symbols:
            raise ValueError(f"{e} still has symbols {sorted(map(str, e.free_symbols))}")
        return _real(complex(sp.N(e, 30)), e)
    except (ValueError, TypeError, sp.SympifyError):
        if otherwise is None:
            raise
        return otherwise


# -- one way to draw parameters and probe points -------------------------------------------------

def parameter_draws(symbols: Sequence[sp.Symbol], n: int = 3, seed: int = 20261126) -> list[dict]:
    """n assignments of values to ``symbols`` consistent with their assumptions (a parameter
    declared negative is drawn negative, an integer one is drawn integer)."""
    import random

    rng = random.Random(seed)
    draws = []
    for k in range(n):
        values = {}
        # every other draw puts positive parameters in (0, 1), where probabilities live
        pos_lo, pos_hi = (0.35, 2.9) if k % 2 == 0 else (0.05, 0.95)
        for s in symbols:
            if s.is_integer:
                lo = 1 if s.is_positive else (0 if s.is_nonnegative else -3)
                hi = -1 if s.is_negative else 5
                values[s] = sp.Integer(rng.randint(min(lo, hi), max(lo, hi)))
            elif s.is_positive or s.is_nonnegative:
                values[s] = sp.Float(rng.uniform(pos_lo, pos_hi), 30)
            elif s.is_negative or s.is_nonpositive:
                values[s] = sp.Float(-rng.uniform(pos_lo, pos_hi), 30)
            else:
                values[s] = sp.Float(rng.uniform(-2.2, 2.2), 30)
        draws.append(values)
    return draws


def cell_draws(params: Sequence[sp.Symbol], lo: Any, hi: Any, n: int) -> Iterator[tuple[dict, float, float]]:
    """(values, a, b) for each of ``n`` parameter draws (one when there are no parameters) under
    which the interval (lo, hi) is non-empty, with its ends a < b as floats."""
    from covar.univariate.cases import guarded_draws  # a cell of one case: draws inside that case

    for values in guarded_draws(params, (lo, hi), n) or parameter_draws(params, n=n if params else 1):
        a, b = to_float(lo, values, otherwise=math.nan), to_float(hi, values, otherwise=math.nan)
        if a < b:
            yield values, a, b


def interior_samples(lo: float, hi: float, n: int = 3) -> list[float]:
    """n well-spread floats strictly inside (lo, hi), which may be infinite.

    >>> interior_samples(0.0, 1.0, 2)
    [0.1854, 0.8391]
    """
    # off-centre fractions: a symmetric midpoint (y = 0) is where inverse formulas are often 0/0
    fr = [0.1854 + 0.6537 * k / max(n - 1, 1) for k in range(n)]
    if lo == float("-inf") and hi == float("inf"):
        return [(-1.7 + 3.1 * f) for f in fr]
    if lo == float("-inf"):
        return [hi - 0.31 - 2.3 * f for f in fr]
    if hi == float("inf"):
        return [lo + 0.31 + 2.3 * f for f in fr]
    return [lo + (hi - lo) * f for f in fr]


# -- evaluating the symbolic pdf independently --------------------------------------------------

def symbolic_values(expr: sp.Expr, var: sp.Symbol, points: Iterable[float], values: dict) -> list[complex]:
    """``expr`` at each point, in 30-digit arithmetic (mpmath), never through numpy.
    A point where evaluation fails gives nan (which every check counts as a failure)."""
    import mpmath

    e = expr.xreplace(values)
    out: list[complex] = []
    try:
        f = sp.lambdify(var, e, modules="mpmath")
    except (TypeError, NameError, SyntaxError, KeyError):  # printer cannot express it: slow path
        f = None
    with mpmath.workdps(30):
        for t in points:
            v: Any = None
            if f is not None:
                try:
                    v = f(mpmath.mpf(t))
                except (TypeError, ValueError, ZeroDivisionError, NameError, AttributeError, OverflowError):
                    v = None
            if v is None:
                try:
                    r = sp.N(e.xreplace({var: sp.Float(t, 30)}), 20)
                except TypeError:  # a condition compares a non-real value ("x < y**x" at y < 0)
                    r = sp.nan
                v = complex(r) if r.is_number and r.is_finite is not False and r != sp.nan else complex("nan")
            try:
                out.append(complex(v))
            except (TypeError, ValueError):
                out.append(complex("nan"))
    return out


def _probe_points(lo: float, hi: float) -> list[float]:
    """Points spread over the open cell (lo, hi), into the tails of infinite ends."""
    if math.isinf(lo) and math.isinf(hi):
        return [-31.7, -4.3, -1.13, -0.21, 0.37, 1.9, 6.1, 27.3]
    if math.isinf(hi):
        return [lo + d for d in (1e-3, 0.07, 0.55, 1.7, 4.9, 23.0)]
    if math.isinf(lo):
        return [hi - d for d in (1e-3, 0.07, 0.55, 1.7, 4.9, 23.0)]
    fr = (1e-3, 0.0731, 0.29, 0.5137, 0.77, 0.937, 0.999)
    return [lo + (hi - lo) * f for f in fr if lo < lo + (hi - lo) * f < hi]


@dataclass(frozen=True)
class Outcome:
    """The figures of one gate run; ``failure`` is None when every check passed."""

    checked: tuple[str, ...]
    failure: str | None = None


def _cell_bounds(density: Any) -> list[tuple[sp.Expr, sp.Expr]]:
    """The intervals to integrate over without crossing a jump: the derivation's cells, else the
    support cut at every piece's image end (a numeric-only result has pieces but no cells)."""
    d = density.derivation
    if isinstance(d, Derivation) and d.cells and d.pdf is density.pdf:
        return [(c.interval.start, c.interval.end) for c in d.cells]
    from covar.univariate.pieces import support_intervals

    sup = density.support
    if isinstance(sup, sp.Union):
        sup = sp.Union(*[a for a in sup.args if not isinstance(a, sp.FiniteSet)])
    spans = [(iv.start, iv.end) for iv in support_intervals(sup)]
    if not (isinstance(d, Derivation) and d.pdf is None):
        return spans
    cuts = {e for p in d.pieces if p.image is not None for e in (p.image.start, p.image.end)}
    out = []
    for lo, hi in spans:
        inside = sorted((c for c in cuts if c.is_number and (lo < c) == sp.true and (c < hi) == sp.true),
                        key=lambda c: float(c))
        ends = [lo, *inside, hi]
        out += list(zip(ends, ends[1:]))
    return out


def _all_params(density: Any) -> list[sp.Symbol]:
    """Parameters of the result and of every input upstream (samples need them)."""
    syms = set(density.params)
    joint = density.numeric.joint if density.numeric is not None else None
    if joint is not None:  # a marginal: the joint's parameters
        syms |= set(joint.params)
    d = density.derivation
    while isinstance(d, Derivation):  # a chain of univariate maps, back to the first input
        syms |= set(d.input.params) | (d.g.free_symbols - {d.x})
        d = d.input.derivation
    return sorted(syms, key=lambda s: s.name)


def _root_input(density: Any) -> Any:
    """The input the whole chain of derivations started from."""
    while isinstance(density.derivation, Derivation):
        density = density.derivation.input
    return density


def _valid_input(root: Any, values: dict) -> bool:
    """Is the input law itself valid at these parameter values (its own sampler accepts them,
    its support is not empty)? Constraints such as a < b or p < 1 are not sympy assumptions."""
    named = {s.name: float(v) for s, v in values.items()}
    joint = root.numeric.joint if root.numeric is not None else None
    if joint is not None and not _joint_valid(joint, values):
        return False
    if not root.discrete and root.pdf is not None:
        try:
            bounds = [(to_float(lo, values), to_float(hi, values)) for lo, hi in _cell_bounds(root)]
        except ValueError:
            return False
        if not any(a < b for a, b in bounds):
            return False
    if (root.family is None and joint is None) or not _independent_sampler(root):
        return True
    try:
        with np.errstate(all="ignore"):
            xs = np.asarray(root.sample(16, np.random.default_rng(0), **named), dtype=float)
    except (ValueError, TypeError, OverflowError, ZeroDivisionError):
        # numpy's samplers refuse parameters outside their domain (ValueError); sympy refuses
        # to make a float of a complex argument (TypeError)
        return False
    return bool(np.all(np.isfinite(xs)))


def _joint_valid(joint: Any, values: dict) -> bool:
    """Is the joint pdf real, finite and nonnegative on a grid of points (a correlation drawn
    beyond ±1 makes it complex: such a draw says nothing)?"""
    axes = np.meshgrid(*[np.array([-1.3, -0.4, 0.35, 1.1, 2.2])] * joint.dim, indexing="ij")
    f = sp.lambdify(joint.vars, joint.pdf.xreplace(values), modules=["numpy", "scipy"])
    with np.errstate(all="ignore"):
        v = np.asarray(f(*[a.astype(complex) for a in axes]), dtype=complex)
    v = v[np.isfinite(v)]
    return bool(np.all(np.abs(v.imag) <= 1e-9 * np.maximum(1.0, np.abs(v.real))) and np.all(v.real >= -1e-12))


def _usable_draws(density: Any, wanted: int) -> list[dict]:
    params = _all_params(density)
    if not params:
        return [{}]
    usable = []
    root = _root_input(density)
    from covar.univariate.cases import draws_by_case  # a case split: ``wanted`` draws in every case

    cases = draws_by_case(density.derivation, params, 16, _SEED)
    per = 1 if cases and len(cases) > 1 else wanted  # one draw in each of several cases
    for pool in cases or [parameter_draws(params, n=16, seed=_SEED)]:
        found = [v for v in pool if _valid_input(root, v) and _some_cell(density, v, bool(cases))][:per]
        if cases and not found:
            return []  # a case without a usable draw is a case unchecked: the gate refuses
        usable += found
    if density.discrete and usable and not cases:
        usable += [v for v in map(_on_the_lattice(density), usable[:1]) if v is not None and _valid_input(root, v)]
    return usable


def _on_the_lattice(density: Any) -> Callable[[dict], dict | None]:
    """A draw with the map's real constants moved to integers, where they meet a pmf's lattice
    (Min(x, c) of a Poisson joins its atom at c to the point x = c only for an integer c); None
    when the map has no such constant."""
    d = density.derivation
    constants = set()
    while isinstance(d, Derivation):
        constants |= {s for s in d.g.free_symbols - {d.x} - set(d.input.params) if s.is_integer is None}
        d = d.input.derivation

    def moved(values: dict) -> dict | None:
        if not constants:
            return None
        out = dict(values)
        for s in constants & set(values):
            k = round(float(values[s]))
            out[s] = sp.Integer(max(k, 1) if s.is_positive else min(k, -1) if s.is_negative else k)
        return out

    return moved


def _some_cell(density: Any, values: dict, atoms_count: bool) -> bool:
    """Does the law put mass somewhere at these values (a non-empty cell; or, in a case split,
    an atom: a case may be all atoms)?"""
    if density.discrete or (atoms_count and density.atoms):
        return True
    cells = _cell_bounds(density)
    if not cells:  # all the mass in atoms (sign(x) of a Normal(mu, 1))
        return bool(density.atoms)
    bounds = [(to_float(lo, values, otherwise=math.nan), to_float(hi, values, otherwise=math.nan))
              for lo, hi in cells]
    return any(a < b for a, b in bounds)


def _pointwise(density: Any, values: dict, f: Callable) -> tuple[str | None, int]:
    """Check 1: the symbolic pdf against the compiled evaluator inside every cell."""
    named = {s.name: float(v) for s, v in values.items()}
    count = 0
    for lo, hi in _cell_bounds(density):
        a, b = to_float(lo, values), to_float(hi, values)
        if not a < b:
            continue
        pts = _probe_points(a, b)
        with np.errstate(all="ignore"):
            got = np.asarray(f(np.array(pts), **named), dtype=float)
        ref = symbolic_values(density.pdf, density.var, pts, values)
        for t, g_, r in zip(pts, got, ref):
            count += 1
            if not close(g_, r, POINT_RTOL, 1e-300):
                return (f"the symbolic pdf is {complex(r).real:.10g} at {density.var} = {t:.6g} but the "
                        f"compiled evaluator gives {g_:.10g} (parameters {named or 'none'})"), count
    return None, count


def _continuous_checks(density: Any, values: dict, f: Callable, rng: np.random.Generator,
                       with_samples: bool) -> tuple[str | None, list[str]]:
    """Checks 2 and 3 for a continuous or mixed law at one parameter draw."""
    from covar.numeric.checks import check_against_samples

    named = {s.name: float(v) for s, v in values.items()}
    # a numeric-only marginal evaluates by quadrature, a cell numpy cannot evaluate by mpmath
    # (~1 ms a point): a smaller sample, scalar
    # adaptive mass; decided by the kind of evaluator, never by timing (results are reproducible)
    from covar.numeric.evaluate import NumericPdf

    slow = (density.pdf is None and not isinstance(density.numeric, NumericPdf)) \
        or getattr(f, "pointwise", False)
    n = 200 if slow else SAMPLES_1D
    ys = density.sample(n, rng, **named) if with_samples and _independent_sampler(density) else None
    cells = [(a, b) for a, b in ((to_float(lo, values), to_float(hi, values))
                                 for lo, hi in _cell_bounds(density)) if a < b]
    report = check_against_samples(density, ys, named, alpha=P_FAIL, evaluator=f,
                                   vectorised_mass=not slow, intervals=cells)
    atoms = sum(report.atom_masses.values())
    done = [f"mass {report.mass + atoms:.6f}"]
    unresolved = 1.0 - atoms - report.expected_mass
    if unresolved > 1e-9:
        done[0] += (f" + {unresolved:.4f} within round-off of a support end (the share of the samples "
                    "that land there)")
    if report.ks_pvalue is not None:
        done.append(f"KS p = {report.ks_pvalue:.3g} on {report.samples} samples")
    if density.atoms and ys is not None:
        masses = "the atom's mass" if len(density.atoms) == 1 else f"{len(density.atoms)} atom masses"
        done.append(f"{masses} against the frequencies in {len(ys)} samples")
    return (report.failures[0] if report.failures else None), done


def _independent_sampler(density: Any) -> bool:
    """Can g(X) be sampled without the derived pdf itself (X's own sampler pushed through g, or
    the joint's sampler for a marginal)?"""
    d = density.derivation
    if isinstance(d, Derivation):
        return True
    joint = density.numeric.joint if density.numeric is not None else None
    if joint is not None:
        return joint.sampler is not None
    return d is None  # an input law: its family or its own pdf define it


def _discrete_checks(density: Any, values: dict, rng: np.random.Generator) -> tuple[str | None, list[str]]:
    from covar.numeric.checks import check_discrete

    named = {s.name: float(v) for s, v in values.items()}
    ks = density.sample(SAMPLES_1D, rng, **named)
    report = check_discrete(density, ks, named, alpha=P_FAIL)
    return (report.failures[0] if report.failures else None), [f"chi-square p = {report.ks_pvalue:.3g}"]


def _discrete_pointwise(density: Any, values: dict) -> str | None:
    sup = density.support.xreplace(values) if density.support.free_symbols else density.support
    if not isinstance(sup, (sp.Range, sp.FiniteSet)) or density.pdf is None:
        return None
    named = {s.name: float(v) for s, v in values.items()}
    if isinstance(sup, sp.Range) and sup.start.is_infinite:  # a Range iterates from a finite start
        if sup.stop.is_finite:
            sup = sup.reversed
        else:  # all the integers: the twelve around the median of a small sample of g(X)
            middle = int(np.median(density.sample(101, np.random.default_rng(_SEED), **named)))
            sup = sp.Range(middle - 6, middle + 6)
    pts = []
    for k, p in enumerate(sup):
        if k >= 12:
            break
        pts.append(float(p))
    if not pts:
        return None
    got = density.numpy(backend="numpy")(np.array(pts), **named)
    ref = symbolic_values(density.pdf, density.var, pts, values)
    for t, g_, r in zip(pts, got, ref):
        if not close(g_, r, POINT_RTOL, 1e-300):
            return f"the symbolic pmf is {complex(r).real:.10g} at {density.var} = {t:g} but the evaluator gives {g_:.10g}"
    return None


def _check_univariate(density: Any, with_samples: bool = True) -> Outcome:
    draws = _usable_draws(density, 2)
    if not draws:
        return Outcome((), "no parameter values consistent with the assumptions give a non-empty "
                           "support; state the parameters' ranges (e.g. assume='a<b') or give numbers")
    checked: list[str] = []
    rng = np.random.default_rng(_SEED)
    for values in draws:
        if density.discrete:
            why = _discrete_pointwise(density, values)
            if why is None and with_samples:
                why, done = _discrete_checks(density, values, rng)
                checked += done
        else:
            why = None
            f = density.numpy(backend="numpy")  # compiled once per Density
            if density.pdf is not None:
                why, n = _pointwise(density, values, f)
                if n:
                    checked.append(f"symbolic pdf = numpy() at {n} points")
            if why is None:
                why, done = _continuous_checks(density, values, f, rng, with_samples)
                checked += done
        if why is not None:
            return Outcome(tuple(checked), why)
    where = (" for 1 parameter draw" if len(draws) == 1 else f" for {len(draws)} parameter draws") if draws[0] else ""
    return Outcome((f"verified numerically{where}: " + "; ".join(dict.fromkeys(checked)),))


# -- the n-D binned check -------------------------------------------------------------------------

_GL3 = np.polynomial.legendre.leggauss(3)


def _box_probabilities(f: Callable, edges: list[np.ndarray], named: dict,
                       cuts: Sequence[Sequence[float]] = (), parts: int = 4) -> np.ndarray:
    """∫ f over each box of the grid ``edges`` (one array of edges per axis): each box split into
    ``parts`` sub-boxes per axis, and again at the axis' ``cuts`` (where the pdf jumps), with
    3-point Gauss–Legendre in each."""
    d = len(edges)
    nodes_per_axis, weights_per_axis, starts_per_axis = [], [], []
    for k, e in enumerate(edges):
        nodes: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        starts: list[int] = []
        for a, b in zip(e[:-1], e[1:]):
            inner = [c for c in (cuts[k] if cuts else ()) if a < c < b]
            fine = np.unique(np.concatenate([np.linspace(a, b, parts + 1), inner]))
            mid, half = 0.5 * (fine[:-1] + fine[1:]), 0.5 * (fine[1:] - fine[:-1])
            starts.append(sum(len(n) for n in nodes))
            nodes.append((mid[:, None] + half[:, None] * _GL3[0]).ravel())
            weights.append((half[:, None] * _GL3[1]).ravel())
        nodes_per_axis.append(np.concatenate(nodes))
        weights_per_axis.append(np.concatenate(weights))
        starts_per_axis.append(np.array(starts))
    grids = np.meshgrid(*nodes_per_axis, indexing="ij")
    w = weights_per_axis[0]
    for extra in weights_per_axis[1:]:
        w = np.multiply.outer(w, extra)
    with np.errstate(all="ignore"):
        vals = np.asarray(f(*grids, **named), dtype=float)
    vals = np.broadcast_to(vals, grids[0].shape)
    if not np.all(np.isfinite(vals)):
        vals = np.where(np.isfinite(vals), vals, np.nan)
    contrib = vals * w
    for k in range(d):
        contrib = np.add.reduceat(contrib, starts_per_axis[k], axis=k)
    return contrib


#: fractions of a segment where the graded mesh is cut, dense toward both ends (1/√ singularities)
_GRADED = np.unique(np.concatenate([[0.0, 1.0], np.geomspace(1e-7, 0.5, 14), 1 - np.geomspace(1e-7, 0.5, 14)]))


def _graded_rule(cuts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of 3-point Gauss–Legendre on each segment between consecutive ``cuts``
    (shape (m, c): m rows of sorted cut points), each segment graded toward both of its ends."""
    a, b = cuts[:, :-1, None], cuts[:, 1:, None]
    fine = a + (b - a) * _GRADED  # (m, segments, len(_GRADED))
    lo, hi = fine[..., :-1], fine[..., 1:]
    mid, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
    nodes = mid[..., None] + half[..., None] * _GL3[0]
    weights = np.broadcast_to(half[..., None] * _GL3[1], nodes.shape)
    m = cuts.shape[0]
    return nodes.reshape(m, -1), weights.reshape(m, -1)


def _curved_box_probabilities(f: Callable, edges: list[np.ndarray], named: dict,
                              curves: Sequence[Callable[[np.ndarray], Any]],
                              cuts: Sequence[Sequence[float]]) -> np.ndarray:
    """∫ f over each box of a 2-D grid when the pdf jumps or is singular along curves
    y1 = r(y2) (the support's curved edges, where a 1/√ singularity of the Jacobian sits): y1
    is integrated at each y2 node on segments cut at every curve (and at the axis ``cuts``) and
    graded toward their ends, y2 by Gauss–Legendre on 8 sub-segments of each box, cut again at
    the y2 axis cuts."""
    e1, e2 = edges
    y2_parts, w2_parts, owner_parts = [], [], []
    for j, (a, b) in enumerate(zip(e2[:-1], e2[1:])):
        fine = np.unique(np.concatenate([np.linspace(a, b, 9), [c for c in cuts[1] if a < c < b]]))
        mid, half = 0.5 * (fine[:-1] + fine[1:]), 0.5 * (fine[1:] - fine[:-1])
        y2_parts.append((mid[:, None] + half[:, None] * _GL3[0]).ravel())
        w2_parts.append((half[:, None] * _GL3[1]).ravel())
        owner_parts.append(np.full(y2_parts[-1].shape, j))
    y2, w2, owner2 = np.concatenate(y2_parts), np.concatenate(w2_parts), np.concatenate(owner_parts)
    roots = [np.full(y2.shape, float(c)) for c in cuts[0]]
    with np.errstate(all="ignore"):
        for r in curves:
            try:
                v = np.broadcast_to(np.asarray(r(y2), dtype=complex), y2.shape)
            except (ValueError, TypeError, ZeroDivisionError, OverflowError):
                continue  # a root numpy cannot evaluate: that curve is simply not cut at
            roots.append(np.where(np.abs(v.imag) <= 1e-12 * (1 + np.abs(v.real)), v.real, np.nan))
    out = np.zeros((len(e1) - 1, len(e2) - 1))
    for i, (a, b) in enumerate(zip(e1[:-1], e1[1:])):
        inside = [np.where((c > a) & (c < b), c, np.nan) for c in roots]
        ends = np.column_stack([np.full_like(y2, a), *inside, np.full_like(y2, b)])
        ends = np.sort(np.where(np.isnan(ends), b, ends), axis=1)  # unused cuts sit on b: empty segments
        nodes, weights = _graded_rule(ends)
        with np.errstate(all="ignore"):
            vals = np.broadcast_to(np.asarray(f(nodes, np.broadcast_to(y2[:, None], nodes.shape).copy(), **named),
                                              dtype=float), nodes.shape)
        vals = np.where(np.isfinite(vals), vals, np.nan)
        inner = np.sum(vals * weights, axis=1)
        out[i] = np.bincount(owner2, weights=inner * w2, minlength=len(e2) - 1)
    return out


def _curves(J: Any, values: dict) -> list[Callable[[np.ndarray], Any]]:
    """2-D: each edge e(y1, y2) = 0 of the pdf's conditions that involves both variables and is a
    polynomial of degree ≤ 2 in y1, solved for y1 as functions of y2 (numpy callables)."""
    if J.dim != 2:
        return []
    y1, y2 = J.vars
    rels = set(J.pdf.atoms(sp.core.relational.Relational))
    for _, c in J.terms:
        rels |= c.atoms(sp.core.relational.Relational)
    out = []
    for rel in rels:
        e = (rel.lhs - rel.rhs).xreplace(values)
        if e.free_symbols != {y1, y2}:
            continue
        try:
            poly = sp.Poly(e, y1)
        except sp.PolynomialError:
            continue
        if not 1 <= poly.degree() <= 2 or poly.free_symbols - {y1, y2}:
            continue
        for root in sp.roots(poly, y1):
            if root.has(y2) and not root.has(sp.Piecewise):
                out.append(sp.lambdify(y2, root, modules="numpy"))
    return out


def _axis_cuts(J: Any, values: dict) -> list[list[float]]:
    """For each variable, the points c where a condition y_k < c of the pdf or its terms can make
    the pdf jump (conditions on that variable alone, linear in it)."""
    cuts: list[list[float]] = [[] for _ in J.vars]
    rels = set(J.pdf.atoms(sp.core.relational.Relational))
    for _, c in J.terms:
        rels |= c.atoms(sp.core.relational.Relational)
    for rel in rels:
        e = (rel.lhs - rel.rhs).xreplace(values)
        if len(e.free_symbols) == 1 and (v := next(iter(e.free_symbols))) in J.vars:
            slope = e.diff(v)
            if slope.is_number and slope != 0:
                cuts[J.vars.index(v)].append(to_float(-e.xreplace({v: 0}) / slope, otherwise=math.nan))
    return [[c for c in axis if math.isfinite(c)] for axis in cuts]


def _positive_points(J: Any, f: Callable, values: dict, rng: np.random.Generator) -> np.ndarray:
    """Up to 24 points where the symbolic pdf or the branch sum is positive, found among broad
    proposals (for joint densities without a sampler)."""
    d = J.dim
    props = np.concatenate([rng.normal(0, 1, (3000, d)), rng.normal(0, 5, (3000, d)),
                            rng.uniform(0, 1, (2000, d)), rng.exponential(1, (2000, d))])
    named = {s.name: float(v) for s, v in values.items()}
    sym = sp.lambdify(J.vars, J.pdf.xreplace(values), modules=["numpy", "scipy"])
    with np.errstate(all="ignore"):
        a = np.broadcast_to(np.asarray(f(*props.T, **named), dtype=float), (len(props),))
        b = np.broadcast_to(np.real(np.asarray(sym(*props.T), dtype=complex)), (len(props),))
    keep = props[(a > 0) | (b > 0)]
    return keep[:24]


def _face_intervals(J: Any, values: dict, pts: np.ndarray, edges: list[np.ndarray]
                    ) -> list[tuple[float, float] | None]:
    """For each variable, the support's numeric interval (lo, hi) when the sample quantiles
    crowd against one of its faces (within 1e-3 of its width: a saturating tanh layer; of the
    samples' spread on a half-line: a Gamma shape below 1), else None. Such an axis is
    integrated in the coordinate of :func:`_face_coordinate`, where the pile of mass at the face
    is a smooth tail that the cubature resolves."""
    from covar.multivariate.conditions import flatten_and

    lows: dict[sp.Symbol, float] = {}
    highs: dict[sp.Symbol, float] = {}
    for rel in flatten_and(J.support):
        if not isinstance(rel, sp.core.relational.Relational) or isinstance(rel, (sp.Eq, sp.Ne)):
            continue
        small, big = (rel.lhs, rel.rhs) if isinstance(rel, (sp.StrictLessThan, sp.LessThan)) else (rel.rhs, rel.lhs)
        if big in J.vars and small.xreplace(values).is_number:
            lows[big] = to_float(small.xreplace(values), otherwise=math.nan)
        elif small in J.vars and big.xreplace(values).is_number:
            highs[small] = to_float(big.xreplace(values), otherwise=math.nan)
    out: list[tuple[float, float] | None] = []
    for k, v in enumerate(J.vars):
        lo, hi = lows.get(v, -math.inf), highs.get(v, math.inf)
        if math.isfinite(lo) and math.isfinite(hi):
            near = 1e-3 * (hi - lo)
            crowded = edges[k][0] - lo <= near or hi - edges[k][-1] <= near
        elif math.isfinite(lo) or math.isfinite(hi):  # a half-line: crowded against its one face
            spread = edges[k][-1] - edges[k][0]
            crowded = (edges[k][0] - lo if math.isfinite(lo) else hi - edges[k][-1]) <= 1e-3 * spread
        else:
            crowded = False
        inside = np.all((pts[:, k] >= lo) & (pts[:, k] <= hi))
        out.append((lo, hi) if lo < hi and crowded and inside else None)
    return out


def _to_face_coordinates(f: Callable, faces: list[tuple[float, float] | None]) -> Callable:
    """The density of U on the axes with a face interval (see :func:`_face_coordinate`):
    f(y(u)) times dy_k/du_k — (hi - lo)/2 sech(u_k)**2 between two faces (y from u by expit,
    exact near both), e^u or e^-u on a half-line."""
    from scipy.special import expit

    def density(*us: np.ndarray, **named: float) -> np.ndarray:
        ys, factor = [], 1.0
        for u, face in zip(us, faces):
            if face is None:
                ys.append(u)
                continue
            lo, hi = face
            if math.isinf(hi):
                ys.append(lo + np.exp(u))
                factor = factor * np.exp(u)
            elif math.isinf(lo):
                ys.append(hi - np.exp(-u))
                factor = factor * np.exp(-u)
            else:
                ys.append(lo + (hi - lo) * expit(2 * u))
                factor = factor * ((hi - lo) / 2 / np.cosh(u) ** 2)
        return np.asarray(f(*ys, **named), dtype=float) * factor

    return density


def _interior_range(column: np.ndarray, face: tuple[float, float]) -> tuple[float, float]:
    """The smallest and largest samples strictly inside the face interval (finite coordinates)."""
    inner = column[np.isfinite(_face_coordinate(column, face))]
    return (float(inner.min()), float(inner.max())) if len(inner) else face


def _face_coordinate(y: Any, face: tuple[float, float] | None) -> np.ndarray:
    """u = atanh(2 (y - lo)/(hi - lo) - 1) between two faces, log(y - lo) or -log(hi - y) on a
    half-line: the pile of mass at a face becomes a smooth tail in u."""
    z = np.asarray(y, dtype=float)
    if face is None:
        return z
    lo, hi = face
    with np.errstate(all="ignore"):
        if math.isinf(hi):
            return np.log(z - lo)
        if math.isinf(lo):
            return -np.log(hi - z)
        return np.arctanh(2 * (z - lo) / (hi - lo) - 1)


def _check_joint(J: Any) -> Outcome:
    from scipy import stats

    if J.pdf.atoms(sp.core.function.AppliedUndef):
        return Outcome(("not verified numerically: the density contains undefined functions "
                        f"{sorted(map(str, J.pdf.atoms(sp.core.function.AppliedUndef)))}",))
    params = sorted(J.params, key=lambda s: s.name)
    n_samples = SAMPLES_ND if J.dim <= 3 else 256
    draws = parameter_draws(params, n=2, seed=_SEED) if params else [{}]
    checked: list[str] = []
    rng = np.random.default_rng(_SEED)
    f = J.numpy()
    for values in draws:
        named = {s.name: float(v) for s, v in values.items()}
        if J.sampler is None:  # no samples of g(X): probe where either form is positive
            pts = _positive_points(J, f, values, rng)
            if not len(pts):
                return Outcome(tuple(checked), "no point where the joint pdf is positive was found")
        else:
            pts = np.asarray(J.sample(n_samples, rng, **named), dtype=float)
            pts = pts[np.all(np.isfinite(pts), axis=1)]
            if len(pts) < n_samples // 2:
                return Outcome(tuple(checked), "most samples of g(X) are not finite")
        # 1: the symbolic pdf against the evaluator at sample points
        sym = sp.lambdify(J.vars, J.pdf.xreplace(values), modules="mpmath")
        probe = pts[:: max(1, len(pts) // 24)][:24]
        with np.errstate(all="ignore"):
            got = f(*probe.T, **named)
        for p, g_ in zip(probe, got):
            try:
                r = complex(sym(*[float(c) for c in p]))
            except (TypeError, ValueError, ZeroDivisionError, OverflowError):
                r = complex("nan")
            if not close(g_, r, POINT_RTOL, 1e-300):
                return Outcome(tuple(checked), (
                    f"the symbolic joint pdf is {r.real:.10g} at {tuple(np.round(p, 6))} but the sum "
                    f"over the inverse branches gives {g_:.10g}"))
        checked.append(f"symbolic pdf = branch sum at {len(probe)} points")
        # 2 + 3: binned chi-square with the mass inside a box of sample quantiles
        if J.sampler is None:
            checked.append("mass and samples not checked: this joint density has no sampler")
            continue
        if J.dim > 3:
            continue
        bins = {1: 12, 2: 6, 3: 3}[J.dim]
        qs = np.linspace(0.02, 0.98, bins + 1)
        edges = [np.quantile(pts[:, k], qs) for k in range(J.dim)]
        if any(np.any(np.diff(e) <= 0) for e in edges):
            continue  # atoms or a degenerate coordinate: the binned test does not apply
        # the cubature splits each box again at finer sample quantiles, so its nodes crowd where
        # the mass does (a tanh layer piles it against the faces of (-1, 1)^d)
        finer = np.linspace(qs[0], qs[-1], 4 * bins + 1)
        cuts = [[*c, *np.quantile(pts[:, k], finer)] for k, c in enumerate(_axis_cuts(J, values))]
        curves = _curves(J, values)
        faces: list[tuple[float, float] | None] = [None] * J.dim
        if not curves:
            faces = _face_intervals(J, values, pts, edges)
        # the boxes are the same sets in the face coordinates; samples on a face in float (tanh
        # rounded to 1.0) are left outside every box, as is the mass beyond the outer edges
        clipped = [np.clip(e, *_interior_range(pts[:, k], face)) if face else e
                   for k, (e, face) in enumerate(zip(edges, faces))]
        cubature_error: np.ndarray | None = None  # per box, when measured
        if any(faces) and not any(np.any(np.diff(e) <= 0) for e in clipped):
            edges = clipped
            face_edges = [_face_coordinate(e, face) for e, face in zip(edges, faces)]
            face_cuts = [[float(c) for c in _face_coordinate(axis, face) if np.isfinite(c)]
                         for axis, face in zip(cuts, faces)]
            warped = _to_face_coordinates(f, faces)
            # the integrand is smooth in these coordinates: its cubature error is measured (the
            # rule with half as many sub-boxes), not guessed
            probs = _box_probabilities(warped, face_edges, named, face_cuts, parts=16)
            cubature_error = np.abs(probs - _box_probabilities(warped, face_edges, named, face_cuts, parts=8))
            # with the error measured, more samples make the test sharp (a 5 % tilt is seen)
            more = np.asarray(J.sample(SAMPLES_FACES - len(pts), rng, **named), dtype=float)
            pts = np.concatenate([pts, more[np.all(np.isfinite(more), axis=1)]])
        elif curves:
            probs = _curved_box_probabilities(f, edges, named, curves, cuts)
        else:
            probs = _box_probabilities(f, edges, named, cuts)
        counts = np.histogramdd(pts, bins=edges)[0]
        inside = np.all([(pts[:, k] >= edges[k][0]) & (pts[:, k] <= edges[k][-1]) for k in range(J.dim)], axis=0)
        n = len(pts)
        if not np.all(np.isfinite(probs)):
            return Outcome(tuple(checked), "the joint pdf is not finite inside the support")
        expected = probs.ravel() * n
        observed = counts.ravel()
        box_mass, box_freq = float(probs.sum()), inside.mean()
        se = math.sqrt(max(box_freq * (1 - box_freq), 1e-6) / n)
        if not abs(box_mass - box_freq) <= 6 * se + 0.01:
            return Outcome(tuple(checked), (
                f"the joint pdf puts mass {box_mass:.4f} in a box that holds a fraction {box_freq:.4f} "
                "of the samples of g(X)"))
        # cubature error next to integrable singularities is ~1%, and a box that a discontinuity
        # (the edge y1 = y2 of order statistics) clips at a corner can get 0 for ~1 expected
        # count: allow both in the variance
        spread = 0.02 * expected if cubature_error is None else cubature_error.ravel() * n + 0.002 * expected
        var = expected + spread**2 + 1.0
        stat = float(np.sum((observed - expected) ** 2 / np.maximum(var, 1e-9)))
        p = float(stats.chi2.sf(stat, max(len(expected) - 1, 1)))
        if not p >= P_FAIL:
            return Outcome(tuple(checked), f"binned chi-square against samples of g(X) rejects (p = {p:.2e})")
        checked.append(f"binned chi-square p = {p:.3g}")
    return Outcome(("verified numerically: " + "; ".join(dict.fromkeys(checked)),))


# -- the gate -------------------------------------------------------------------------------------

def numeric_only(density: Any, why: str) -> Any:
    """The honest numeric-only version of a univariate result: root-finding on its pieces."""
    from covar.laws.density import Density
    from covar.numeric.evaluate import numeric_pdf
    from covar.univariate.pieces import RawPiece

    d = density.derivation
    if not isinstance(d, Derivation) or not d.pieces or d.input.pdf is None:
        return None
    monotone = [RawPiece(p.interval.start, p.interval.end, p.g, d.input.pdf, p.kind)
                for p in d.pieces if p.kind != "constant"]
    params = sorted(set().union(*[p.g.free_symbols for p in monotone], d.input.pdf.free_symbols) - {d.x},
                    key=lambda s: s.name)
    evaluator = numeric_pdf(d.x, monotone, params)
    note = (f"The closed form failed verification ({why}); the result is numeric-only: the density "
            f"is evaluated by solving g({d.x}) = {d.y} on each monotone piece.",)
    record = replace(d, pdf=None, cells=(), closed_form=False, family=None, notes=(*d.notes, note))
    return Density(None, density.var, density.support, density.atoms, density.discrete, None, record,
                   evaluator, validate=False)


_VERIFIED = ("verified numerically", "not verified")


def _with_note(result: Any, note: str) -> Any:
    """The result with its record's verification note replaced by ``note`` (a sentence)."""
    from covar.laws.density import Density

    d = result.derivation
    if d is None:
        return result
    kept = tuple(n for n in d.notes if not note_words(n).startswith(_VERIFIED))
    record = d.with_notes((*kept, (note,)))
    if not isinstance(result, Density):  # a JointDensity
        return replace(result, derivation=record)
    out = replace(result, derivation=record, validate=False)
    compiled = result.__dict__.get("_compiled_pdf")  # same pdf and cells: keep the gate's compile
    if compiled is not None:
        object.__setattr__(out, "_compiled_pdf", compiled)
    return out


def verify(result: Any, what: str = "result") -> Any:
    """Return ``result`` once it has passed the gate (its record notes what was verified);
    a closed form that fails is downgraded to numeric-only, or VerificationFailed is raised."""
    from covar.laws.density import Density
    from covar.matrix.variates import MatrixDensity

    if isinstance(result, MatrixDensity):  # random matrices have their own gate
        from covar.matrix.checks import verify_matrix

        return verify_matrix(result, what)
    if isinstance(result, Density):
        outcome = _check_univariate(result)
        if outcome.failure is None:
            return _with_note(result, outcome.checked[-1] + ".") if outcome.checked else result
        if result.closed_form and not result.discrete:
            fallback = numeric_only(result, outcome.failure)
            if fallback is not None:
                second = _check_univariate(fallback)
                if second.failure is None:
                    return _with_note(fallback, second.checked[-1] + ".")
        raise VerificationFailed(
            f"the {what} failed verification, so covar does not return it: {outcome.failure}. "
            "This is a covar bug worth reporting; meanwhile try a simpler equivalent map")
    outcome = _check_joint(result)
    if outcome.failure is not None:
        raise VerificationFailed(
            f"the {what} failed verification, so covar does not return it: {outcome.failure}. "
            "This is a covar bug worth reporting; meanwhile pass inverse= explicitly")
    return _with_note(result, outcome.checked[-1] + ".") if outcome.checked else result
