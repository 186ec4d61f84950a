"""A law against samples of g(X): the statistical checks and their report.

The continuous part must integrate to 1 minus the atoms' masses, its normalised CDF must pass
a Kolmogorov–Smirnov test against the samples that are not at atoms, and each atom's frequency
must match its mass; a pmf must pass a chi-square test. Used by the gate
(covar.numeric.verify), the tests and ``covar check``; ``finite_difference_jacobian`` is the
independent reference for Jacobians and log-determinants.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import math

import numpy as np

from covar.numeric.quadrature import continuous_mass, grid_mass, segment_masses
from covar.numeric.verify import MASS_TOL, to_float


@dataclass(frozen=True)
class CheckReport:
    """Figures of one numerical check and the verdict (``passed``)."""

    mass: float
    expected_mass: float
    ks_statistic: float | None
    ks_pvalue: float | None
    atom_frequencies: dict = field(default_factory=dict)
    atom_masses: dict = field(default_factory=dict)
    samples: int = 0
    failures: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.failures


def _intervals(density, values: dict) -> list[tuple[float, float]]:
    """The support's intervals as floats (atoms are points: they carry no continuous mass)."""
    from covar.univariate.pieces import support_intervals

    return [(to_float(iv.start, values), to_float(iv.end, values)) for iv in support_intervals(density.support)]


def check_against_samples(density, ys: np.ndarray | None, values: dict | None = None, alpha: float = 1e-3,
                          progress: Callable[[str], None] | None = None,
                          evaluator: Callable[..., np.ndarray] | None = None,
                          vectorised_mass: bool | None = None,
                          intervals: list[tuple[float, float]] | None = None) -> CheckReport:
    """Compare ``density`` (continuous or mixed) with samples ``ys`` of g(X) (None: mass only).

    The KS statistic is taken at every sample, with the CDF integrated between consecutive
    samples; ``evaluator`` is ``density.numpy(backend="numpy")`` when the caller has already compiled it.
    ``vectorised_mass`` integrates in one vectorised pass (cheap evaluators without a closed
    form) instead of adaptive scalar quadrature (default: only for numeric-only results);
    ``intervals`` are the (lo, hi) pieces to integrate over (default: the support's intervals;
    the gate passes the cells, so that no quadrature segment crosses a jump).
    """
    values = dict(values or {})
    say = progress or (lambda _msg: None)
    ys = np.asarray([] if ys is None else ys, dtype=float)
    ys = ys[np.isfinite(ys)]
    f = evaluator if evaluator is not None else density.numpy(backend="numpy")

    def pdf(t: float) -> float:
        # quad probes points next to integrable singularities, where round-off gives inf/nan
        with np.errstate(all="ignore"):
            v = float(np.real(f(np.array([t]), **values)[0]))
        return v if np.isfinite(v) else 0.0

    atoms = {to_float(k, values): to_float(m, values) for k, m in density.atoms.items()}
    expected = 1.0 - sum(atoms.values())
    say("integrating the density")
    if intervals is None:
        intervals = _intervals(density, values)
    if vectorised_mass is None:
        vectorised_mass = density.pdf is None
    if vectorised_mass:  # root-finding evaluator: one vectorised call, not scalar quadrature
        def vector_pdf(t):
            return f(t, **values)
        integrate = lambda _scalar, parts: grid_mass(vector_pdf, parts)  # noqa: E731
    else:
        integrate = continuous_mass
    mass = integrate(pdf, intervals) if intervals else 0.0
    failures = []
    # Mass packed against a finite end closer than round-off (tanh(1/X) packs P(X < 0.05)
    # within 1e-17 of 1) cannot be integrated in floating point, and samples of g(X) land
    # exactly on that end: where the two shortfalls agree, they are one and the same mass.
    at_end = np.zeros(ys.shape, dtype=bool)
    for end in {e for iv in intervals for e in iv if np.isfinite(e)}:
        if any(np.isclose(end, point, rtol=1e-9, atol=1e-12) for point in atoms):
            continue  # samples there are the atom's (its frequency is checked below)
        at_end |= np.abs(ys - end) <= 1e-13 * max(1.0, abs(end))
    end_share = float(at_end.mean()) if len(ys) else 0.0
    end_se = np.sqrt(max(end_share * (1 - end_share), 1e-12) / max(len(ys), 1))
    if end_share > 0 and not abs(mass - expected) <= MASS_TOL \
            and abs(mass + end_share - expected) <= 6 * end_se + MASS_TOL:
        say(f"{end_share:.4f} of the mass lies within round-off of a support end, as the samples show")
        expected = mass
    else:
        at_end[:] = False
    if not abs(mass - expected) <= MASS_TOL:
        failures.append(f"the continuous part integrates to {mass:.6f}, expected {expected:.6f}")
    at_atom = np.zeros(ys.shape, dtype=bool)
    freqs = {}
    for point, m in atoms.items():
        if not len(ys):
            break
        hit = np.isclose(ys, point, rtol=1e-9, atol=1e-12)
        at_atom |= hit
        freqs[point] = hit.mean()
        se = np.sqrt(max(m * (1 - m), 1e-12) / len(ys))
        if not abs(freqs[point] - m) <= 6 * se + 1e-9:
            failures.append(f"atom at {point}: frequency {freqs[point]:.5f}, mass {m:.5f}")
    rest = np.sort(ys[~at_atom & ~at_end])
    ks_stat = ks_p = None
    if expected > 1e-12 and len(rest) > 20 and mass > 0:
        say(f"KS test on {len(rest)} samples")
        ks_stat, ks_p = _ks(pdf, lambda t: f(t, **values), rest, intervals, mass, integrate)
        if not ks_p >= alpha:
            failures.append(f"KS test rejects (D = {ks_stat:.5f}, p = {ks_p:.2e})")
    return CheckReport(mass, expected, ks_stat, ks_p, freqs, atoms, len(ys), tuple(failures))


def _ks(pdf, vector_pdf, rest: np.ndarray, intervals, mass: float, integrate=continuous_mass) -> tuple[float, float]:
    """KS statistic over the whole sample. The CDF between consecutive samples comes from vectorised
    Gauss–Legendre; the end pieces (possibly infinite or singular) from adaptive quadrature."""
    n = len(rest)
    idx = np.arange(n)
    knots = rest
    # split every knot-to-knot segment at the support's gaps so no quadrature crosses one
    between = np.zeros(len(knots))
    for a, b in intervals:
        left = np.clip(knots[:-1], a, b)
        right = np.clip(knots[1:], a, b)
        ok = right > left
        if ok.any():
            between[1:][ok] += segment_masses(vector_pdf, left[ok], right[ok])
    first = integrate(pdf, [(a, min(b, knots[0])) for a, b in intervals if a < knots[0]])
    cdf = (first + np.cumsum(between)) / mass
    emp_hi = (idx + 1) / n
    emp_lo = idx / n
    d = float(max(np.max(np.abs(emp_hi - cdf)), np.max(np.abs(emp_lo - cdf))))
    return d, _ks_p_value(d, n)


def _ks_p_value(d: float, n: int) -> float:
    """P(D_n >= d) for the two-sided KS statistic: Kolmogorov's limit law at Stephens' corrected
    argument (√n + 0.12 + 0.11/√n)·d, accurate to a few per cent of p for n ≥ 30, which is ample
    for a test at level 1e-3.

    >>> round(_ks_p_value(0.01, 10_000), 2)
    0.27
    """
    root = math.sqrt(n)
    return _kolmogorov_survival((root + 0.12 + 0.11 / root) * d)


def _kolmogorov_survival(t: float) -> float:
    """P(K > t) for Kolmogorov's limit law, by whichever of its two series converges at once
    (scipy.special is not imported for this: it costs a cold derive a quarter of its time).

    >>> round(_kolmogorov_survival(1.0), 12), round(_kolmogorov_survival(0.5), 12)
    (0.269999671677, 0.963945243665)
    """
    if not t > 0:
        return 1.0
    if t >= 1.0:  # 2 sum (-1)^(k-1) exp(-2 k^2 t^2)
        return 2.0 * sum((-1) ** (k - 1) * math.exp(-2.0 * k * k * t * t) for k in range(1, 20))
    # 1 - sqrt(2 pi)/t sum exp(-(2k-1)^2 pi^2 / (8 t^2)), Jacobi's form of the CDF
    return 1.0 - math.sqrt(2 * math.pi) / t * sum(math.exp(-(2 * k - 1) ** 2 * math.pi ** 2 / (8 * t * t))
                                                   for k in range(1, 20))


def finite_difference_jacobian(f: Callable[[np.ndarray], np.ndarray], points: np.ndarray,
                               h: float = 1e-6) -> np.ndarray:
    """Central-difference Jacobians of a batch map f: (N, d) -> (N, d), as an (N, d, d) array.

    The independent check of structured log-determinants (flows) and of multivariate Jacobians.

    >>> J = finite_difference_jacobian(lambda z: 2 * z, np.zeros((1, 3)))
    >>> np.allclose(J[0], 2 * np.eye(3))
    True
    """
    n, d = points.shape
    out = np.empty((n, d, d))
    for j in range(d):
        step = np.zeros(d)
        step[j] = h
        out[:, :, j] = (f(points + step) - f(points - step)) / (2 * h)
    return out


def check_discrete(density, ks: np.ndarray, values: dict | None = None, alpha: float = 1e-3) -> CheckReport:
    """Chi-square test of a pmf against integer-valued samples."""
    values = dict(values or {})
    f = density.numpy(backend="numpy")
    points, counts = np.unique(ks, return_counts=True)
    probs = np.asarray(f(points, **values), dtype=float)
    if not np.all(np.isfinite(probs)) or np.any(probs < 0):
        return CheckReport(float("nan"), 1.0, None, None, samples=int(counts.sum()),
                           failures=("the pmf is negative or not finite at sampled points",))
    failures = []
    total = float(probs.sum())
    if not total <= 1 + 1e-6:
        failures.append(f"pmf sums to {total:.6f} > 1 on the observed points")
    if np.any(probs == 0):
        failures.append(f"samples fall where the pmf is 0: {points[probs == 0][:5]}")
    n = counts.sum()
    big = probs * n >= 5
    obs = np.append(counts[big], counts[~big].sum() + 0.0)
    exp = np.append(probs[big] * n, n - probs[big].sum() * n)
    keep = exp > 0
    if keep.sum() < 2:  # one category (a law with one point): P(every draw lands there) = total**n
        stat, p = 0.0, float(min(total, 1.0) ** n)
    else:
        expected = exp[keep] * obs[keep].sum() / exp[keep].sum()
        stat = float(np.sum((obs[keep] - expected) ** 2 / expected))
        from scipy import special  # pmfs only: a continuous law's derive does not import scipy.special

        p = float(special.chdtrc(int(keep.sum()) - 1, stat))
    if not p >= alpha:
        failures.append(f"chi-square test rejects (p = {p:.2e})")
    return CheckReport(total, 1.0, float(stat), float(p), samples=int(n), failures=tuple(failures))


def check(density, samples: int = 100_000, seed: int = 0, progress: Callable[[str], None] | None = None,
          **values: float) -> CheckReport:
    """Draw g(X) with X's own sampler and check ``density`` against it.

    >>> import covar
    >>> check(covar.transform(covar.parse_density("Normal(0, 1)"), "exp(x)"), 20000).passed
    True
    """
    rng = np.random.default_rng(seed)
    say = progress or (lambda _msg: None)
    say(f"drawing {samples} samples of g(X)")
    ys = density.sample(samples, rng, **values)
    if density.discrete:
        return check_discrete(density, ys, values)
    return check_against_samples(density, ys, values, progress=progress)
