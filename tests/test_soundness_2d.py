"""Soundness of 2-D maps: the symbolic pdf against root finding and samples, for random maps.

Every result of ``covar.transform(J, g, (y1, y2))`` is classified:

* correct  -- the symbolic ``K.pdf`` (lambdified itself, never ``K.numpy()``) agrees with an
  independent reference density at points in and around the image, and with a binned
  chi-square on samples of g(X) drawn directly with numpy;
* declined -- covar raised a ``CovarError``;
* wrong    -- anything else (a disagreement, a nan, a non-covar exception).

The reference is independent of covar's inverse: for each point y, all preimages x with
g(x) = y are found by damped Newton steps on the forward map from many starting points
(samples of X and their sign flips), deduplicated, and summed as f_X(x) / |det Dg(x)| with
f_X from scipy.stats and Dg the forward Jacobian.

``run(n_maps, seed)`` runs a larger set (for a script in benchmarks/, e.g. ``run(300, 1)``);
the CI test runs a fixed-seed subset split into chunks so that ``-n 2`` shares the work.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest
import sympy as sp
import sympy.stats as st
from scipy import integrate, stats

from covar.render.text import phrase
import covar
from covar.errors import CovarError

x1, x2 = sp.symbols("x1 x2", real=True)
y1, y2 = sp.symbols("y1 y2", real=True)
XS, YS = (x1, x2), (y1, y2)


# ------------------------------------------------------------------------------------------
# input laws: sympy.stats for covar, scipy.stats for the reference and the samples


@dataclass(frozen=True)
class Law:
    """One component's law, given twice: to covar (sympy.stats) and to the reference (scipy)."""

    name: str
    stats_rv: Callable[[str], object]
    scipy_rv: object
    positive: bool  # support inside (0, oo)

    def __str__(self) -> str:
        return self.name


def _law(rng: np.random.Generator) -> Law:
    kind = rng.choice(["normal", "exponential", "uniform", "gamma"])
    if kind == "normal":
        mu, s = int(rng.integers(-1, 2)), sp.Rational(int(rng.choice([1, 2, 4])), 2)
        return Law(f"Normal({mu}, {s})", lambda n: st.Normal(n, mu, s),
                   stats.norm(mu, float(s)), False)
    if kind == "exponential":
        lam = sp.Rational(int(rng.choice([1, 2, 4])), 2)
        return Law(f"Exponential({lam})", lambda n: st.Exponential(n, lam),
                   stats.expon(scale=1 / float(lam)), True)
    if kind == "uniform":
        a, w = int(rng.integers(-1, 2)), int(rng.integers(1, 3))
        return Law(f"Uniform({a}, {a + w})", lambda n: st.Uniform(n, a, a + w),
                   stats.uniform(a, w), a >= 0)
    k, theta = sp.Rational(int(rng.choice([3, 4, 6])), 2), sp.Rational(int(rng.choice([1, 2])), 2)
    return Law(f"Gamma({k}, {theta})", lambda n: st.Gamma(n, k, theta),
               stats.gamma(float(k), scale=float(theta)), True)


# ------------------------------------------------------------------------------------------
# random maps


def _affine(rng: np.random.Generator) -> tuple[sp.Expr, sp.Expr]:
    while True:
        A = rng.integers(-3, 4, (2, 2))
        if round(np.linalg.det(A)) != 0:
            break
    b = rng.integers(-2, 3, 2)
    return tuple(int(A[i, 0]) * x1 + int(A[i, 1]) * x2 + int(b[i]) for i in range(2))


def _triangular(rng: np.random.Generator, laws) -> tuple[sp.Expr, sp.Expr]:
    hs = [lambda v: v**2, lambda v: v**3, sp.sin, lambda v: sp.exp(v) / 2, lambda v: -2 * v,
          lambda v: v * sp.Abs(v)]
    h = hs[int(rng.integers(len(hs)))]
    c = int(rng.choice([-2, -1, 1, 3]))
    if rng.random() < 0.5:
        return (x1, c * x2 + h(x1))
    return (x1 + h(x2), c * x2)


def _exp_log(rng: np.random.Generator, laws) -> tuple[sp.Expr, sp.Expr]:
    out = []
    for v, law in zip(XS, laws):
        options = [v, sp.exp(v), sp.exp(-v / 2) + 1, v**3]
        if law.positive:
            options += [sp.log(v), sp.sqrt(v), 1 / v]
        out.append(options[int(rng.integers(len(options)))])
    if out[0] == x1 and out[1] == x2:
        out[0] = sp.exp(x1)
    return tuple(out)


def _polar(rng: np.random.Generator, laws) -> tuple[sp.Expr, sp.Expr]:
    c = int(rng.choice([1, 2]))
    forms = [(sp.sqrt(x1**2 + x2**2), sp.atan2(x2, x1)),
             (x1**2 + x2**2, sp.atan2(x2, x1)),
             (c * sp.sqrt(x1**2 + x2**2), sp.atan2(x2, x1))]
    return forms[int(rng.integers(len(forms)))]


def _fold(rng: np.random.Generator, laws) -> tuple[sp.Expr, sp.Expr]:
    """2-to-1 and 4-to-1 maps: squares and absolute values of one or both components."""
    c = int(rng.choice([-1, 1, 2]))
    forms = [(x1**2, x2), (x2, x1**2), (sp.Abs(x1), x2), (x1**2, x2**2), (x1**2 + x2**2, x2),
             ((x1 - c)**2, x2), (sp.Abs(x1 + c), x2), (x1**2, x1 + x2), (x1, x2**2 + x1),
             (sp.Abs(x1), sp.Abs(x2)), ((x1 + x2)**2, x2), (x1**2, c * x2 + 1)]
    return forms[int(rng.integers(len(forms)))]


def _sum_ratio(rng: np.random.Generator, laws) -> tuple[sp.Expr, sp.Expr]:
    forms = [(x1 + x2, x2), (x1 + x2, x1 - x2), (x1 * x2, x2), (x1 / x2, x2), (x1, x1 * x2),
             (x1 - x2, x1)]
    if laws[0].positive and laws[1].positive:
        forms += [(x1 + x2, x1 / (x1 + x2)), (x1 / x2, x1 + x2), (x1 * x2, x1 / x2)]
    return forms[int(rng.integers(len(forms)))]


def _outer_of_affine(rng: np.random.Generator, laws) -> tuple[sp.Expr, sp.Expr]:
    """An elementary function of each component of an affine map (bijective or folding)."""
    lin = _affine(rng)
    outers = [lambda e: e, sp.exp, lambda e: e**3, lambda e: e**2, sp.Abs]
    out = tuple(outers[int(rng.integers(len(outers)))](e) for e in lin)
    return out


KINDS = {"affine": lambda r, laws: _affine(r), "triangular": _triangular, "exp/log": _exp_log,
         "polar": _polar, "fold": _fold, "sum/ratio": _sum_ratio, "outer(affine)": _outer_of_affine}


@dataclass(frozen=True)
class Case:
    kind: str
    laws: tuple[Law, Law]
    g: tuple[sp.Expr, sp.Expr]

    def __str__(self) -> str:
        return f"{self.kind}: g = {self.g} on {self.laws[0]} x {self.laws[1]}"


def random_cases(n: int, seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    kinds = list(KINDS)
    out = []
    for i in range(n):
        kind = kinds[i % len(kinds)] if i < 2 * len(kinds) else kinds[int(rng.integers(len(kinds)))]
        laws = (_law(rng), _law(rng))
        out.append(Case(kind, laws, tuple(sp.sympify(e) for e in KINDS[kind](rng, laws))))
    return out


# ------------------------------------------------------------------------------------------
# the independent reference


@dataclass
class Reference:
    """f_Y by summing f_X(x)/|det Dg(x)| over all preimages found by root finding."""

    laws: tuple[Law, Law]
    g: tuple[sp.Expr, sp.Expr]
    G: Callable = field(init=False)
    DG: Callable = field(init=False)

    def __post_init__(self) -> None:
        G = sp.lambdify(XS, list(self.g), "numpy")
        DG = sp.lambdify(XS, sp.Matrix(self.g).jacobian(XS).tolist(), "numpy")

        def vec(x: np.ndarray) -> np.ndarray:
            return np.stack(np.broadcast_arrays(*G(x[:, 0], x[:, 1])), axis=-1).astype(float)

        def jac(x: np.ndarray) -> np.ndarray:
            rows = DG(x[:, 0], x[:, 1])
            return np.stack([np.stack(np.broadcast_arrays(*[np.broadcast_to(e, x[:, 0].shape) for e in row]),
                                      axis=-1) for row in rows], axis=-2).astype(float)

        self.G, self.DG = vec, jac

    def fx(self, x: np.ndarray) -> np.ndarray:
        return self.laws[0].scipy_rv.pdf(x[..., 0]) * self.laws[1].scipy_rv.pdf(x[..., 1])

    def sample_x(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.stack([law.scipy_rv.rvs(n, random_state=rng) for law in self.laws], axis=-1)

    def preimages(self, y: np.ndarray, starts: np.ndarray) -> list[np.ndarray]:
        """All x in X's support with g(x) = y_i, for each row y_i (damped Newton from every start)."""
        m, k = len(y), len(starts)
        X = np.tile(starts, (m, 1))
        Y = np.repeat(y, k, axis=0)
        steps = 0.5 ** np.arange(8)
        with np.errstate(all="ignore"):
            F = self.G(X) - Y
            res = np.linalg.norm(F, axis=1)
            for _ in range(60):
                Jm = self.DG(X)
                det = Jm[:, 0, 0] * Jm[:, 1, 1] - Jm[:, 0, 1] * Jm[:, 1, 0]
                ok = np.isfinite(det) & (np.abs(det) > 1e-300)
                dx = np.zeros_like(X)
                dx[ok, 0] = (Jm[ok, 1, 1] * F[ok, 0] - Jm[ok, 0, 1] * F[ok, 1]) / det[ok]
                dx[ok, 1] = (-Jm[ok, 1, 0] * F[ok, 0] + Jm[ok, 0, 0] * F[ok, 1]) / det[ok]
                best_x, best_res = X, res
                for t in steps:  # the largest step that lowers the residual
                    cand = X - t * dx
                    r = np.linalg.norm(self.G(cand) - Y, axis=1)
                    better = np.isfinite(r) & (r < best_res) & ~(best_res < res)
                    best_x = np.where(better[:, None], cand, best_x)
                    best_res = np.where(better, r, best_res)
                X, res = best_x, best_res
                F = self.G(X) - Y
            good = (res <= 1e-10 * (1 + np.linalg.norm(Y, axis=1))) & (self.fx(X) > 0)
        out = []
        for i in range(m):
            roots = X[i * k:(i + 1) * k][good[i * k:(i + 1) * k]]
            distinct: list[np.ndarray] = []
            for r in roots:
                if not any(np.linalg.norm(r - d) <= 1e-5 * (1 + np.linalg.norm(d)) for d in distinct):
                    distinct.append(r)
            out.append(np.array(distinct).reshape(-1, 2))
        return out

    def density(self, y: np.ndarray, rng: np.random.Generator, n_starts: int = 40):
        """(f_Y at each row of y, mask of rows where the reference is trustworthy)."""
        base = self.sample_x(n_starts // 2, rng)
        starts = np.concatenate([base, base * np.array([-1, 1]), base * np.array([1, -1]),
                                 -base, rng.normal(0, 3, (n_starts // 2, 2))])
        roots = self.preimages(y, starts)
        value, trusted = np.zeros(len(y)), np.ones(len(y), dtype=bool)
        with np.errstate(all="ignore"):
            for i, xs in enumerate(roots):
                if len(xs) == 0:
                    continue
                Jm = self.DG(xs)
                det = np.abs(np.linalg.det(Jm))
                if not np.all(det > 1e-4):
                    trusted[i] = False  # a preimage where g is (nearly) singular: roots are ill-conditioned
                    continue
                value[i] = float(np.sum(self.fx(xs) / det))
        return value, trusted


# ------------------------------------------------------------------------------------------
# checks of the symbolic pdf


def symbolic_pdf(K) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """K.pdf itself, lambdified (not K.numpy(), which sums K.terms)."""
    f = sp.lambdify(K.vars, K.pdf, "numpy")

    def run(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(f(a, b), dtype=complex), np.broadcast(a, b).shape)

    return run


def pointwise_failures(K, ref: Reference, rng: np.random.Generator, n: int = 60) -> list[str]:
    x = ref.sample_x(n, rng)
    y = ref.G(x)
    y = np.concatenate([y, y + rng.normal(0, 0.25, y.shape) * (1 + np.abs(y)), rng.normal(0, 2, (n // 3, 2))])
    y = y[np.all(np.isfinite(y), axis=1)]
    want, trusted = ref.density(y, rng)
    got = symbolic_pdf(K)(y[:, 0], y[:, 1])
    bad = trusted & ~(np.abs(got - want) <= 1e-6 * np.abs(want) + 1e-9)
    out = [f"pdf at y = {y[i]} is {got[i]}, the sum over preimages gives {want[i]}" for i in np.flatnonzero(bad)[:3]]
    # a few points through mpmath too, so the numpy lambdify is not the only evaluator
    pdf = K.pdf
    for i in np.flatnonzero(trusted)[:4]:
        v = complex(sp.N(pdf.subs({K.vars[0]: float(y[i, 0]), K.vars[1]: float(y[i, 1])}), 20))
        if not (abs(v - want[i]) <= 1e-6 * abs(want[i]) + 1e-9):
            out.append(f"pdf evaluated by sympy at y = {y[i]} is {v}, the reference gives {want[i]}")
    return out


def chi_square_pvalue(f: Callable, samples: np.ndarray, bins: int = 5) -> float:
    """Binned chi-square of samples against the pdf f on a quantile grid (5%..95% per axis).

    Cell probabilities by tensor Gauss-Legendre on a 4x4 split of each cell; a cell where this
    differs from one 48-node rule on the whole cell by more than a fifth of its sampling error
    (a kink, a jump inside), or where the pdf peaks above 20 times its cell average (an
    integrable singularity such as |y|^(-2/3), on which both rules are wrong), joins the
    remainder instead. Dropping cells only weakens the test; it never makes a wrong pdf pass.
    """
    n = len(samples)
    qs = np.linspace(0.05, 0.95, bins + 1)
    ex, ey = np.quantile(samples[:, 0], qs), np.quantile(samples[:, 1], qs)
    rules = {k: np.polynomial.legendre.leggauss(k) for k in (32, 48)}

    peak = [0.0]

    def gauss(a, b, c, d, k):
        nodes, w = rules[k]
        U, V = np.meshgrid((b - a) / 2 * nodes + (b + a) / 2, (d - c) / 2 * nodes + (d + c) / 2, indexing="ij")
        vals = f(U.ravel(), V.ravel()).reshape(U.shape)
        peak[0] = max(peak[0], float(np.nanmax(np.abs(vals))))
        return complex(np.sum(np.outer(w, w) * vals) * (b - a) * (d - c) / 4)

    def split(a, b, c, d, m=4):
        peak[0] = 0.0
        xs, ys = np.linspace(a, b, m + 1), np.linspace(c, d, m + 1)
        return sum(gauss(xs[i], xs[i + 1], ys[j], ys[j + 1], 32) for i in range(m) for j in range(m))

    probs, counts = [], []
    for i in range(bins):
        for j in range(bins):
            p_lo = gauss(ex[i], ex[i + 1], ey[j], ey[j + 1], 48)
            p_hi = split(ex[i], ex[i + 1], ey[j], ey[j + 1])
            if not (abs(p_hi.imag) <= 1e-12 and np.isfinite(p_hi.real)):
                return 0.0  # a complex or non-finite pdf inside the image
            if not (abs(p_hi - p_lo) * n <= 0.2 * np.sqrt(max(p_hi.real, 1e-12) * n)):
                continue
            if not (peak[0] * (ex[i + 1] - ex[i]) * (ey[j + 1] - ey[j]) <= 20 * p_hi.real):
                continue  # a steep peak or an integrable singularity: quadrature is not to be trusted
            inside = ((samples[:, 0] >= ex[i]) & (samples[:, 0] < ex[i + 1])
                      & (samples[:, 1] >= ey[j]) & (samples[:, 1] < ey[j + 1]))
            probs.append(p_hi.real)
            counts.append(int(inside.sum()))
    if len(probs) < 5:
        return float("nan")  # too few usable cells: the sample check cannot decide
    rest = 1 - sum(probs)
    if not rest > -1e-6:
        return 0.0  # the usable cells alone carry more than mass 1
    probs.append(max(rest, 1e-12))
    counts.append(n - sum(counts))
    expected = np.array(probs) * n
    return float(stats.chisquare(np.array(counts), expected).pvalue)


# ------------------------------------------------------------------------------------------
# the classifier


@dataclass(frozen=True)
class Outcome:
    case: Case
    verdict: str  # "correct", "declined", "wrong"
    detail: str = ""
    seconds: float = 0.0


def classify(case: Case, seed: int = 0, timeout: float = 20.0, n_samples: int = 20_000) -> Outcome:
    rng = np.random.default_rng(seed)
    J = covar.independent(case.laws[0].stats_rv("X1"), case.laws[1].stats_rv("X2"))
    started = time.perf_counter()
    try:
        K = covar.transform(J, case.g, YS, timeout=timeout)
    except CovarError as exc:
        return Outcome(case, "declined", f"{type(exc).__name__}: {exc}"[:300], time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 -- any other exception is a covar bug: report it
        return Outcome(case, "wrong", f"raised {type(exc).__name__}: {exc}"[:300], time.perf_counter() - started)
    seconds = time.perf_counter() - started
    if not getattr(K, "closed_form", True) or K.pdf is None:
        return Outcome(case, "declined", "numeric-only result", seconds)
    if K.pdf.free_symbols - set(K.vars):
        return Outcome(case, "wrong", f"stray symbols {K.pdf.free_symbols - set(K.vars)} in the pdf", seconds)
    ref = Reference(case.laws, case.g)
    problems = pointwise_failures(K, ref, rng)
    if problems:
        return Outcome(case, "wrong", "; ".join(problems)[:600], seconds)
    with np.errstate(all="ignore"):
        samples = ref.G(ref.sample_x(n_samples, rng))
    samples = samples[np.all(np.isfinite(samples), axis=1)]
    p = chi_square_pvalue(symbolic_pdf(K), samples)
    if not (p >= 1e-4) and not np.isnan(p):
        return Outcome(case, "wrong", f"binned chi-square against samples of g(X): p = {p:.2e}", seconds)
    return Outcome(case, "correct", "" if not np.isnan(p) else "(too few smooth cells for chi-square)", seconds)


def run_cases(cases: list[Case], seed: int = 0) -> list[Outcome]:
    return [classify(c, seed + i) for i, c in enumerate(cases)]


def summarize(outcomes: list[Outcome]) -> dict[str, int]:
    counts = {"correct": 0, "declined": 0, "wrong": 0}
    for o in outcomes:
        counts[o.verdict] += 1
    return counts


def run(n_maps: int, seed: int = 0, verbose: bool = False) -> dict[str, int]:
    """Classify ``n_maps`` random 2-D maps; the counts of correct / declined / wrong results."""
    outcomes = run_cases(random_cases(n_maps, seed), seed)
    if verbose:
        for o in outcomes:
            print(f"{o.verdict:8s} {o.seconds:5.1f}s  {o.case}  {o.detail}")
    return summarize(outcomes)


# ------------------------------------------------------------------------------------------
# CI: 40 random maps in eight chunks (so -n 2 shares them)


N_CI, SEED_CI, CHUNKS = 40, 20240601, 8


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_random_2d_maps_are_correct_or_declined(chunk):
    cases = random_cases(N_CI, SEED_CI)[chunk::CHUNKS]
    outcomes = run_cases(cases, SEED_CI + chunk)
    counts = summarize(outcomes)
    print(f"\nchunk {chunk}: {counts}")
    for o in outcomes:
        print(f"  {o.verdict:8s} {o.seconds:5.1f}s  {o.case}  {o.detail[:160]}")
    wrong = [o for o in outcomes if o.verdict == "wrong"]
    assert not wrong, "\n".join(f"{o.case}: {o.detail}" for o in wrong)
    assert counts["correct"] >= len(cases) // 2, counts  # the test must exercise real results


# ------------------------------------------------------------------------------------------
# the examples: 2-to-1 and 4-to-1 maps of two standard normals, checked on K.pdf itself


u, v = sp.symbols("u v", real=True)
STD = (Law("Normal(0, 1)", lambda n: st.Normal(n, 0, 1), stats.norm(), False),) * 2
NORMAL2 = covar.JointDensity(sp.exp(-(x1**2 + x2**2) / 2) / (2 * sp.pi), (x1, x2), True)
FOLDS = {  # map, integration limits for the mass (u range, v range as functions of u), multiplicity
    "x1**2": ((x1**2, x2), (0, 80), lambda a: (-12, 12), 2),
    "Abs(x1)": ((sp.Abs(x1), x2), (0, 12), lambda a: (-12, 12), 2),
    "x1**2+x2**2": ((x1**2 + x2**2, x2), (0, 80), lambda a: (-np.sqrt(a), np.sqrt(a)), 2),
    "(x1**2, x2**2)": ((x1**2, x2**2), (0, 80), lambda a: (0, 80), 4),
    "(Abs(x1), Abs(x2))": ((sp.Abs(x1), sp.Abs(x2)), (0, 12), lambda a: (0, 12), 4),
    "(x1**2, x1+x2)": ((x1**2, x1 + x2), (0, 80), lambda a: (-14, 14), 2),
}


@pytest.mark.parametrize("name", list(FOLDS))
def test_folding_maps_symbolic_pdf(name):
    g, (a, b), vlim, branches = FOLDS[name]
    K = covar.transform(NORMAL2, g, (u, v))
    assert len(K.derivation.pieces) == branches and K.derivation.pdf == K.pdf
    f = sp.lambdify((u, v), K.pdf, "numpy")
    # total mass of the symbolic pdf by adaptive cubature (integrable singularities at the edges)
    mass = integrate.dblquad(lambda y, x: float(f(x, y)), a, b, lambda x: vlim(x)[0], lambda x: vlim(x)[1],
                             epsabs=1e-9, epsrel=1e-8)[0]
    assert abs(mass - 1) <= 1e-5, mass
    # pointwise against the sum over numerically found preimages, and against samples
    rng = np.random.default_rng(11)
    ref = Reference(STD, g)
    assert not pointwise_failures(K, ref, rng, n=80)
    samples = ref.G(ref.sample_x(40_000, rng))
    p = chi_square_pvalue(symbolic_pdf(K), samples)
    # u = x1**2 + x2**2 has its 1/sqrt(u - v**2) edge across every cell: no cell is usable there
    assert p >= 1e-3 or (name == "x1**2+x2**2" and np.isnan(p)), p
    # K.pdf, K.numpy() and the sum of K.terms are one function
    pts = rng.normal(0, 2, (200, 2)) + np.array([2.0, 0.0])
    by_terms = sum(np.where(np.broadcast_to(sp.lambdify((u, v), c, "numpy")(*pts.T), len(pts)),
                            sp.lambdify((u, v), e, "numpy")(*pts.T), 0.0) for e, c in K.terms)
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(f(*pts.T), by_terms, rtol=1e-12, atol=0)
        np.testing.assert_allclose(K.numpy()(*pts.T), by_terms, rtol=1e-12, atol=0)


def test_square_of_a_normal_reads_as_the_true_sum():
    K = covar.transform(NORMAL2, (x1**2, x2), (u, v))
    expected = sp.Piecewise((sp.exp(-u / 2 - v**2 / 2) / (2 * sp.pi * sp.sqrt(u)), u > 0), (0, True))
    assert K.pdf == expected
    assert any("counted 2 times" in phrase(n) for n in K.derivation.notes)
    M = K.marginal(u)  # the chi-square(1) law, from the branch terms
    grid = np.array([0.1, 0.7, 2.0, 5.0])
    np.testing.assert_allclose(M.numpy()(grid), stats.chi2(1).pdf(grid), rtol=1e-8)


def test_branches_with_different_conditions_are_not_merged_into_one_count():
    # angle branches one turn apart (Box-Muller): equal contributions on disjoint conditions
    U = covar.independent(st.Uniform("U1", 0, 1), st.Uniform("U2", 0, 1))
    a, b = U.vars
    R = sp.sqrt(-2 * sp.log(a))
    K = covar.transform(U, (R * sp.cos(2 * sp.pi * b), R * sp.sin(2 * sp.pi * b)), YS)
    f = sp.lambdify(YS, K.pdf, "numpy")
    pts = np.random.default_rng(5).normal(0, 2, (100, 2))
    np.testing.assert_allclose(f(*pts.T), np.exp(-(pts**2).sum(1) / 2) / (2 * np.pi), rtol=1e-12)
