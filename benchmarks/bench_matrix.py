"""Benchmark: the derived matrix densities on 10^5 matrices against scipy.stats.wishart.logpdf.

    python benchmarks/bench_matrix.py

For p = 2 and 3 it times covar's compiled density of a Wishart (and of the derived inverse
Wishart, positive definite square root and Cholesky factor) on 10^5 matrices, against
scipy.stats.wishart.logpdf (and invwishart.logpdf) on the same points, checks that the values
agree, and prints the ratio scipy / covar (target: at least 1, covar as fast or faster).
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np
from scipy import stats

import covar

N = 100_000
REPEATS = 3
SIGMA = {2: np.array([[2.0, 0.6], [0.6, 1.0]]),
         3: np.array([[2.0, 0.5, -0.3], [0.5, 1.0, 0.2], [-0.3, 0.2, 1.5]])}


def best(f: Callable[[], object]) -> float:
    """Best CPU time of REPEATS calls (the machine is shared)."""
    times = []
    for _ in range(REPEATS):
        t = time.process_time()
        f()
        times.append(time.process_time() - t)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(1)
    ratios = []
    for p in (2, 3):
        df = p + 3.5
        W = covar.matrix.Wishart(df, SIGMA[p])
        X = stats.wishart(df=df, scale=SIGMA[p]).rvs(size=N, random_state=rng)
        cases = [("Wishart", W, X, lambda: stats.wishart(df=df, scale=SIGMA[p]).logpdf(np.moveaxis(X, 0, -1)))]
        inv = covar.transform(W, "inv")
        Xi = np.linalg.inv(X)
        cases.append(("inverse Wishart (derived)", inv, Xi,
                      lambda: stats.invwishart(df=df, scale=np.linalg.inv(SIGMA[p])).logpdf(np.moveaxis(Xi, 0, -1))))
        for g in ("sqrtm", "chol"):
            R = covar.transform(W, g)
            Y = R.sample(N, rng)
            cases.append((f"{g} (derived)", R, Y, cases[0][3]))  # scipy's Wishart logpdf as the yardstick
        for name, law, pts, reference in cases:
            f = law.numpy()
            ours = best(lambda: f(pts))
            theirs = best(reference)
            if name.startswith(("Wishart", "inverse")):
                want = np.exp(reference())
                got = f(pts)
                assert np.allclose(got, want, rtol=1e-8, atol=0), f"{name}: values disagree with scipy"
            ratios.append(theirs / ours)
            print(f"p={p} {name:28s} covar {ours * 1e3:8.1f} ms   scipy logpdf {theirs * 1e3:8.1f} ms   "
                  f"ratio scipy/covar {theirs / ours:6.1f}")
    print(f"target (covar at least as fast as scipy.stats.wishart.logpdf on {N} matrices): "
          f"{'met' if min(ratios) >= 1 else 'NOT met'} (smallest ratio {min(ratios):.1f})")


if __name__ == "__main__":
    main()
