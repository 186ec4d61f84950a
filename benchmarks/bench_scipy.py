"""Benchmark of Y.to_scipy(): cdf, ppf and rvs on 10^5 points, as ratios to scipy's own frozen
distribution of the same family (target: each ratio <= 10).

Two rows per law: ``to_scipy`` is what users get (scipy's own distribution when the family is
recognised), ``covar path`` is covar's FrozenDensity (tabulated CDF, ppf by inverting it, rvs
from X's sampler pushed through g) on the same law. Timings are interleaved, best of N.

Run: python benchmarks/bench_scipy.py [repeats]
"""
from __future__ import annotations

import sys
import time
from typing import Any, Callable

import numpy as np
from scipy import stats

import covar
from covar.render.interop import FrozenDensity

N = 100_000
CASES = [  # (input, map, parameter values, scipy's frozen distribution of the result)
    ("Normal(mu, sigma)", "exp(x)", {"mu": 0.5, "sigma": 0.4}, stats.lognorm(0.4, scale=np.exp(0.5))),
    ("ChiSquared(1)", "sqrt(x)", {}, stats.halfnorm()),
    ("Gamma(alpha, beta)", "log(x)", {"alpha": 2.5, "beta": 1.5}, stats.loggamma(2.5, loc=-np.log(1.5))),
    ("Exponential(1)", "x**(1/3)", {}, stats.weibull_min(3)),
    ("Normal(mu, sigma)", "2*x + 1", {"mu": -1.0, "sigma": 2.0}, stats.norm(-1.0, 4.0)),
]


def _best(calls: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Best time of each call, the calls interleaved so that load on the machine hits all alike."""
    best = {name: np.inf for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def main(repeats: int = 7) -> None:
    rng = np.random.default_rng(0)
    qs = rng.random(N)
    print(f"ratio of time to scipy's frozen distribution on {N:,} points (best of {repeats}, interleaved)")
    print(f"{'law':<34} {'path':<12} {'cdf':>6} {'ppf':>6} {'rvs':>6}   ppf max u-error")
    worst = 0.0
    for text, g, values, ref in CASES:
        Y = covar.transform(text, g)
        start = time.perf_counter()
        paths = {"to_scipy": Y.to_scipy(**values), "covar path": FrozenDensity(Y, values)}
        built = time.perf_counter() - start
        ys = ref.ppf(qs)
        for path, rv in paths.items():
            times = _best({
                "cdf": lambda: rv.cdf(ys), "ref cdf": lambda: ref.cdf(ys),
                "ppf": lambda: rv.ppf(qs), "ref ppf": lambda: ref.ppf(qs),
                "rvs": lambda: rv.rvs(N, random_state=1), "ref rvs": lambda: ref.rvs(N, random_state=1),
            }, repeats)
            ratios = [times[k] / times[f"ref {k}"] for k in ("cdf", "ppf", "rvs")]
            worst = max(worst, *ratios)
            error = float(np.max(np.abs(ref.cdf(rv.ppf(qs)) - qs)))
            law = f"{Y.family or 'g(X)'} = {g} of {text}"
            print(f"{law[:34]:<34} {path:<12} {ratios[0]:6.2f} {ratios[1]:6.2f} {ratios[2]:6.2f}   {error:.1e}")
        print(f"{'':<34} (to_scipy and covar path built in {built:.2f} s)")
    print(f"worst ratio {worst:.2f} (target <= 10)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
