"""Benchmark: covar's compiled numpy evaluators against hand-written numpy for the same formula.

    python benchmarks/bench_numpy.py [--points N] [--repeat R]

For each law (masked, multi-cell, mixed, discrete and unmasked ones) it times ``Y.numpy()`` and
``Y.logpdf_numpy()`` on N points (default 10^6), with covar's numpy backend and its compiled one
(``backend="numba"``: a numba kernel generated from covar's formula, shown when it is faithful),
against contenders for the same formula: a careful hand-written numpy expression, a numexpr
string and a numba-compiled scalar kernel (``pip install covar[bench]``; a contender that is not
installed is skipped, numexpr has no lgamma for the Poisson), interleaved and best of R, and
prints the ratios covar / hand and covar (its best backend) / fastest contender (target <= 1.5),
which backend ``backend="auto"`` (the default) picked, and the best backend's peak extra memory
in output arrays (tracemalloc; target <= 1.5). Then: the cost of a second ``Y.numpy()`` (target < 1 ms), of
``to_scipy()``, and the overhead of one call at a single point against hand numpy at a single
point (target <= 2x).
"""
from __future__ import annotations

import argparse
import math
import time
import tracemalloc
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from scipy.special import gammaln

import covar

try:
    import numexpr
except ImportError:  # an optional contender
    numexpr = None
try:
    import numba
except ImportError:  # an optional contender
    numba = None

Array = np.ndarray
LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)
SQRT_2PI = math.sqrt(2 * math.pi)
# names numexpr strings may use besides y
NUMEXPR_NAMES = {"pi": math.pi, "ninf": -math.inf, "c_ln": 2.5 / SQRT_2PI, "l_ln": math.log(2.5) - LOG_SQRT_2PI,
                 "l_hn": 0.5 * math.log(2 / math.pi), "c_hn": math.sqrt(2 / math.pi), "l2pi": LOG_SQRT_2PI,
                 "c_8pi": 1 / math.sqrt(8 * math.pi), "l_8pi": 0.5 * math.log(8 * math.pi), "ln3": math.log(3),
                 "ln6": math.log(6), "ln4": math.log(4), "lnpi": math.log(math.pi), "ln225": math.log(2.25)}


def _where(inside: Array, value: Callable[[], Array], fill: float) -> Array:
    with np.errstate(all="ignore"):
        return np.where(inside, value(), fill)


@dataclass(frozen=True)
class Case:
    label: str
    density: str
    g: str
    pdf: Callable[[Array], Array]  # hand-written numpy of the same law
    logpdf: Callable[[Array], Array]
    points: Callable[[np.random.Generator, int], Array]
    numexpr_pdf: str | None  # the same formula for numexpr (None: numexpr lacks a function)
    numexpr_logpdf: str | None
    kernel_pdf: Callable[[float], float]  # the same formula on one float, for numba
    kernel_logpdf: Callable[[float], float]


def _lognormal_log(y: Array) -> Array:
    with np.errstate(all="ignore"):
        t = np.log(y) - 0.5
        return np.where(y > 0, np.log(2.5) - LOG_SQRT_2PI - 3.125 * t * t - np.log(y), -np.inf)


def _poisson_log(y: Array) -> Array:
    k = y - 2
    ok = (k >= 0) & (k == np.round(k))
    with np.errstate(all="ignore"):
        return np.where(ok, k * np.log(3.0) - 3.0 - gammaln(k + 1), -np.inf)


def _two_cells(y: Array, log: bool) -> Array:
    with np.errstate(all="ignore"):
        half = -0.5 * np.log(y) if log else 1 / np.sqrt(y)
        if log:
            return np.where((y > 0) & (y < 1), half - np.log(3), np.where((y > 1) & (y < 4), half - np.log(6), -np.inf))
        return np.where((y > 0) & (y < 1), half / 3, np.where((y > 1) & (y < 4), half / 6, 0.0))


# the same formulas on one float (numba compiles them into ufuncs: one fused pass)
def _k_lognormal_log(y: float) -> float:
    if y > 0:
        t = math.log(y) - 0.5
        return LOG_2P5 - 3.125 * t * t - math.log(y)
    return -math.inf


def _k_lognormal(y: float) -> float:
    if y > 0:
        t = math.log(y) - 0.5
        return math.exp(LOG_2P5 - 3.125 * t * t - math.log(y))
    return 0.0


def _k_poisson(y: float) -> float:
    k = y - 2
    if k >= 0 and k == round(k):
        return math.exp(k * LN3 - 3.0 - math.lgamma(k + 1))
    return 0.0


def _k_poisson_log(y: float) -> float:
    k = y - 2
    if k >= 0 and k == round(k):
        return k * LN3 - 3.0 - math.lgamma(k + 1)
    return -math.inf


def _k_two_cells(y: float) -> float:
    if 0 < y < 1:
        return 1 / (3 * math.sqrt(y))
    if 1 < y < 4:
        return 1 / (6 * math.sqrt(y))
    return 0.0


def _k_two_cells_log(y: float) -> float:
    if 0 < y < 1:
        return -0.5 * math.log(y) - LN3
    if 1 < y < 4:
        return -0.5 * math.log(y) - LN6
    return -math.inf


LOG_2P5 = math.log(2.5) - 0.5 * math.log(2 * math.pi)
LN3, LN6 = math.log(3), math.log(6)
C_HN, L_HN = math.sqrt(2 / math.pi), 0.5 * math.log(2 / math.pi)

CASES = (
    Case("exp of Normal(1/2, 2/5): lognormal", "Normal(1/2, 2/5)", "exp(x)",
         lambda y: np.exp(_lognormal_log(y)), _lognormal_log,
         lambda r, n: r.lognormal(0.5, 0.4, n) * r.choice([-1, 1], n, p=[0.1, 0.9]),
         "where(y > 0, c_ln * exp(-3.125 * (log(y) - 0.5)**2) / y, 0)",
         "where(y > 0, l_ln - 3.125 * (log(y) - 0.5)**2 - log(y), ninf)",
         _k_lognormal, _k_lognormal_log),
    Case("sqrt of ChiSquared(1): half-normal", "ChiSquared(1)", "sqrt(x)",
         lambda y: _where(y > 0, lambda: np.sqrt(2 / np.pi) * np.exp(-0.5 * y * y), 0.0),
         lambda y: _where(y > 0, lambda: 0.5 * np.log(2 / np.pi) - 0.5 * y * y, -np.inf),
         lambda r, n: r.normal(size=n),
         "where(y > 0, c_hn * exp(-0.5 * y * y), 0)", "where(y > 0, l_hn - 0.5 * y * y, ninf)",
         lambda y: C_HN * math.exp(-0.5 * y * y) if y > 0 else 0.0,
         lambda y: L_HN - 0.5 * y * y if y > 0 else -math.inf),
    Case("x**2 of Normal(0, 1): chi2(1)", "Normal(0, 1)", "x**2",
         lambda y: _where(y > 0, lambda: np.exp(-0.5 * y) / np.sqrt(2 * np.pi * y), 0.0),
         lambda y: _where(y > 0, lambda: -LOG_SQRT_2PI - 0.5 * y - 0.5 * np.log(y), -np.inf),
         lambda r, n: r.chisquare(1, n) - 0.1,
         "where(y > 0, exp(-0.5 * y) / sqrt(2 * pi * y), 0)", "where(y > 0, -l2pi - 0.5 * y - 0.5 * log(y), ninf)",
         lambda y: math.exp(-0.5 * y) / math.sqrt(2 * math.pi * y) if y > 0 else 0.0,
         lambda y: -0.5 * math.log(2 * math.pi) - 0.5 * y - 0.5 * math.log(y) if y > 0 else -math.inf),
    Case("log of Gamma(2, 3/2)", "Gamma(2, 3/2)", "log(x)",
         lambda y: 2.25 * np.exp(2 * y - 1.5 * np.exp(y)),
         lambda y: np.log(2.25) + 2 * y - 1.5 * np.exp(y),
         lambda r, n: np.log(r.gamma(2, 1 / 1.5, n)),
         "2.25 * exp(2 * y - 1.5 * exp(y))", "ln225 + 2 * y - 1.5 * exp(y)",
         lambda y: 2.25 * math.exp(2 * y - 1.5 * math.exp(y)),
         lambda y: math.log(2.25) + 2 * y - 1.5 * math.exp(y)),
    Case("1/x of Gamma(3, 2): inverse gamma", "Gamma(3, 2)", "1/x",
         lambda y: _where(y > 0, lambda: 4 * np.exp(-2 / y) / (y * y * y * y), 0.0),
         lambda y: _where(y > 0, lambda: np.log(4) - 2 / y - 4 * np.log(y), -np.inf),
         lambda r, n: 1 / r.gamma(3, 0.5, n) - 0.05,
         "where(y > 0, 4 * exp(-2 / y) / (y * y * y * y), 0)", "where(y > 0, ln4 - 2 / y - 4 * log(y), ninf)",
         lambda y: 4 * math.exp(-2 / y) / (y * y * y * y) if y > 0 else 0.0,
         lambda y: math.log(4) - 2 / y - 4 * math.log(y) if y > 0 else -math.inf),
    Case("Max(0, x) of Normal(0, 1): ReLU (continuous part)", "Normal(0, 1)", "Max(0, x)",
         lambda y: _where(y > 0, lambda: np.exp(-0.5 * y * y) / np.sqrt(2 * np.pi), 0.0),
         lambda y: _where(y > 0, lambda: -0.5 * y * y - LOG_SQRT_2PI, -np.inf),
         lambda r, n: r.normal(size=n),
         "where(y > 0, exp(-0.5 * y * y) / sqrt(2 * pi), 0)", "where(y > 0, -0.5 * y * y - l2pi, ninf)",
         lambda y: math.exp(-0.5 * y * y) / SQRT_2PI if y > 0 else 0.0,
         lambda y: -0.5 * y * y - 0.5 * math.log(2 * math.pi) if y > 0 else -math.inf),
    Case("x**2 of Uniform(-1, 2): two cells", "Uniform(-1, 2)", "x**2",
         lambda y: _two_cells(y, False), lambda y: _two_cells(y, True),
         lambda r, n: r.uniform(-1, 2, n) ** 2,
         "where((y > 0) & (y < 1), 1 / (3 * sqrt(y)), where((y > 1) & (y < 4), 1 / (6 * sqrt(y)), 0))",
         "where((y > 0) & (y < 1), -0.5 * log(y) - ln3, where((y > 1) & (y < 4), -0.5 * log(y) - ln6, ninf))",
         _k_two_cells, _k_two_cells_log),
    Case("2*x + 1 of Normal(0, 1)", "Normal(0, 1)", "2*x + 1",
         lambda y: np.exp(-0.125 * (y - 1) ** 2) / np.sqrt(8 * np.pi),
         lambda y: -0.125 * (y - 1) ** 2 - 0.5 * np.log(8 * np.pi),
         lambda r, n: r.normal(1, 2, n),
         "c_8pi * exp(-0.125 * (y - 1)**2)", "-0.125 * (y - 1)**2 - l_8pi",
         lambda y: math.exp(-0.125 * (y - 1) * (y - 1)) / math.sqrt(8 * math.pi),
         lambda y: -0.125 * (y - 1) * (y - 1) - 0.5 * math.log(8 * math.pi)),
    Case("x + 2 of Poisson(3): discrete", "Poisson(3)", "x + 2",
         lambda y: np.exp(_poisson_log(y)), _poisson_log,
         lambda r, n: r.poisson(3, n) + 2.0,
         None, None, _k_poisson, _k_poisson_log),
    Case("x**(1/4) of Exponential(1): Weibull(1, 4)", "Exponential(1)", "x**(1/4)",
         lambda y: _where(y > 0, lambda: 4 * y * y * y * np.exp(-(y * y) * (y * y)), 0.0),
         lambda y: _where(y > 0, lambda: np.log(4) + 3 * np.log(y) - (y * y) * (y * y), -np.inf),
         lambda r, n: r.weibull(4, n) - 0.05,
         "where(y > 0, 4 * y * y * y * exp(-(y * y) * (y * y)), 0)",
         "where(y > 0, ln4 + 3 * log(y) - (y * y) * (y * y), ninf)",
         lambda y: 4 * y * y * y * math.exp(-(y * y) * (y * y)) if y > 0 else 0.0,
         lambda y: math.log(4) + 3 * math.log(y) - (y * y) * (y * y) if y > 0 else -math.inf),
    Case("1/x of Cauchy(0, 1)", "Cauchy(0, 1)", "1/x",
         lambda y: 1 / (np.pi * (y * y + 1)),
         lambda y: -np.log(np.pi) - np.log1p(y * y),
         lambda r, n: r.standard_cauchy(n),
         "1 / (pi * (y * y + 1))", "-lnpi - log1p(y * y)",
         lambda y: 1 / (math.pi * (y * y + 1)), lambda y: -math.log(math.pi) - math.log1p(y * y)),
    Case("exp of Logistic(0, 1)", "Logistic(0, 1)", "exp(x)",
         lambda y: _where(y > 0, lambda: 1 / ((y + 1) * (y + 1)), 0.0),
         lambda y: _where(y > 0, lambda: -2 * np.log1p(y), -np.inf),
         lambda r, n: np.exp(r.logistic(size=n)),
         "where(y > 0, 1 / ((y + 1) * (y + 1)), 0)", "where(y > 0, -2 * log1p(y), ninf)",
         lambda y: 1 / ((y + 1) * (y + 1)) if y > 0 else 0.0, lambda y: -2 * math.log1p(y) if y > 0 else -math.inf),
)


def contenders(case: Case, log: bool) -> dict[str, Callable[[Array], Array]]:
    """The hand-written numpy function and, where installed, numexpr and numba for one formula."""
    found: dict[str, Callable[[Array], Array]] = {"hand": case.logpdf if log else case.pdf}
    text = case.numexpr_logpdf if log else case.numexpr_pdf
    if numexpr is not None and text is not None:
        found["numexpr"] = lambda ys: numexpr.evaluate(text, local_dict={"y": ys, **NUMEXPR_NAMES})
    if numba is not None:
        kernel = numba.vectorize(["float64(float64)"])(case.kernel_logpdf if log else case.kernel_pdf)
        found["numba"] = kernel
    return found


def interleaved(fns: list[Callable[[], object]], repeat: int, number: int = 1) -> list[float]:
    """Best CPU seconds per call of each function, the functions run in turn (load hits all
    alike). CPU time, not wall time: on a shared machine a call of tens of milliseconds is
    descheduled now and then, which says nothing about its own cost (numpy runs on one core)."""
    best = [np.inf] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            start = time.process_time()
            for _ in range(number):
                fn()
            best[i] = min(best[i], (time.process_time() - start) / number)
    return best


def peak_arrays(fn: Callable[[], Array], n: int) -> float:
    """Peak memory allocated during one call beyond its inputs, in output arrays (n floats),
    the output itself not counted."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    out = fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - out.nbytes) / (8 * n)


@dataclass(frozen=True)
class Row:
    label: str
    kind: str
    backends: dict[str, float]  # covar's backend -> CPU seconds per call
    auto: str  # the backend backend="auto" picked
    others: dict[str, float]  # contender -> CPU seconds per call
    memory: float  # peak extra memory of covar's best backend, in output arrays
    hand_memory: float

    @property
    def covar(self) -> float:
        """covar's time with its best backend."""
        return min(self.backends.values())

    @property
    def fastest(self) -> str:
        return min(self.others, key=self.others.__getitem__)


def _same(a: Array, b: Array) -> Array:
    with np.errstate(all="ignore"):
        return (a == b) | (np.abs(a - b) <= 1e-12 + 1e-9 * np.maximum(np.abs(a), np.abs(b)))


def evaluation_rows(n: int, repeat: int) -> list[Row]:
    rng = np.random.default_rng(0)
    rows = []
    for case in CASES:
        Y = covar.transform(covar.parse_density(case.density), case.g)
        ys = case.points(rng, n)
        for kind, front in (("pdf", Y.numpy), ("logpdf", Y.logpdf_numpy)):
            auto = front()
            auto(ys)  # decides its backend on this first large call
            ours = {"numpy": front(backend="numpy")}
            if numba is not None:
                compiled = front(backend="numba")
                compiled(ys)
                if getattr(compiled, "backend", "") == "numba":  # a faithful kernel (else it runs the numpy path)
                    ours["numba"] = compiled
            others = contenders(case, kind == "logpdf")
            for backend, mine in ours.items():
                a = mine(ys)
                for name, other in others.items():  # every contender computes the same thing
                    b = other(ys)
                    same = _same(a, b)
                    if not same.all():
                        i = int(np.flatnonzero(~same)[0])
                        raise SystemExit(f"{case.label} {kind}: covar ({backend}) {a[i]!r} != {name} {b[i]!r} "
                                         f"at {ys[i]!r}")
            fns = [*ours.values(), *others.values()]
            times = interleaved([(lambda f=f: f(ys)) for f in fns], repeat)
            backends = dict(zip(ours, times))
            best = ours[min(backends, key=backends.__getitem__)]
            rows.append(Row(case.label, kind, backends, getattr(auto, "backend", "numpy"), dict(zip(others, times[len(ours):])),
                            peak_arrays(lambda: best(ys), n), peak_arrays(lambda: others["hand"](ys), n)))
    return rows


def reuse_rows(repeat: int) -> list[tuple[str, float, float]]:
    """(what, covar seconds, contender seconds)."""
    Y = covar.transform(covar.parse_density("ChiSquared(1)"), "sqrt(x)")
    f = Y.numpy()
    Y.logpdf_numpy()
    one = np.array([0.7])
    c = np.sqrt(2 / np.pi)

    def hand_one() -> Array:
        return np.where(one > 0, c * np.exp(-0.5 * one * one), 0.0)

    second, again_log = interleaved([Y.numpy, Y.logpdf_numpy], repeat, number=100)
    scipy_start = time.process_time()
    Y.to_scipy()  # the first call builds the frozen law and checks it against covar's pdf
    first_scipy = time.process_time() - scipy_start
    print(f"first Y.to_scipy() (built and checked once per law and values): {first_scipy * 1e3:.0f} ms")
    (to_scipy,) = interleaved([Y.to_scipy], repeat, number=100)
    t_one, t_hand_one = interleaved([lambda: f(one), hand_one], repeat, number=2000)
    return [("second Y.numpy() (target < 1 ms)", second, 1e-3),
            ("second Y.logpdf_numpy() (target < 1 ms)", again_log, 1e-3),
            ("second Y.to_scipy() (target < 1 ms)", to_scipy, 1e-3),
            ("one call at 1 point vs hand numpy (target <= 2x)", t_one, t_hand_one)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10**6)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    if numexpr is not None:
        numexpr.set_num_threads(1)  # CPU time counts every thread: one thread is numexpr's best
    missing = [name for name, module in (("numexpr", numexpr), ("numba", numba)) if module is None]
    print(f"{args.points} points, interleaved best of {args.repeat} (CPU time); memory: peak extra allocation "
          "in output arrays (tracemalloc), the output itself not counted"
          + (f"; not installed, skipped: {', '.join(missing)}" if missing else ""))
    print("covar: its numpy backend and its compiled one (numba kernel, '-' when none is faithful); "
          "/hand, /best: covar's best backend over hand numpy and over the fastest contender; "
          "auto: the backend numpy() picks by default")
    print(f"{'law':<50} {'':>6} {'covar np':>8} {'covar nb':>8} {'hand ms':>8} {'numexpr':>8} {'numba':>8} "
          f"{'/hand':>6} {'/best':>6} {'best':>8} {'auto':>6} {'mem':>5} {'hand mem':>8}")
    rows = evaluation_rows(args.points, args.repeat)
    for r in rows:
        mine = " ".join(f"{1e3 * r.backends[name]:>8.2f}" if name in r.backends else f"{'-':>8}"
                        for name in ("numpy", "numba"))
        cells = " ".join(f"{1e3 * r.others[name]:>8.2f}" if name in r.others else f"{'-':>8}"
                         for name in ("numexpr", "numba"))
        best = r.others[r.fastest]
        print(f"{r.label:<50} {r.kind:>6} {mine} {1e3 * r.others['hand']:>8.2f} {cells} "
              f"{r.covar / r.others['hand']:>6.2f} {r.covar / best:>6.2f} {r.fastest:>8} {r.auto:>6} "
              f"{r.memory:>5.2f} {r.hand_memory:>8.2f}")
    worst_hand = max(r.covar / r.others["hand"] for r in rows)
    worst = max(r.covar / r.others[r.fastest] for r in rows)
    worst_mem = max(r.memory for r in rows)
    losing = [f"{r.label.split(':')[-1].strip()} {r.kind} {r.covar / r.others[r.fastest]:.2f}x ({r.fastest})"
              for r in rows if r.covar / r.others[r.fastest] > 1.5]
    print()
    reuse = reuse_rows(args.repeat)
    for label, ours, other in reuse:
        print(f"{label:<52} covar {1e6 * ours:9.1f} us   {'limit' if other == 1e-3 else 'hand'} {1e6 * other:9.1f} us"
              f"   ratio {ours / other:5.2f}")
    verdict = (lambda ok: "MET" if ok else "NOT MET")
    overhead = reuse[-1][1] / reuse[-1][2]
    print(f"\ntargets: pdf/logpdf <= 1.5x the fastest contender: {verdict(worst <= 1.5)} (worst {worst:.2f}x; "
          f"against hand numpy alone: {verdict(worst_hand <= 1.5)}, worst {worst_hand:.2f}x); "
          f"peak extra memory <= 1.5 outputs: {verdict(worst_mem <= 1.5)} (worst {worst_mem:.2f}); "
          f"second numpy() < 1 ms: {verdict(reuse[0][1] < 1e-3)}; "
          f"1-point overhead <= 2x: {verdict(overhead <= 2)} ({overhead:.2f}x)")
    if losing:
        print("over 1.5x the fastest contender: " + "; ".join(losing))


if __name__ == "__main__":
    main()
