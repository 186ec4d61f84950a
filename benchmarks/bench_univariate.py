"""Benchmark of the univariate engine (issue: median derivation <= 0.5 s, none over 10 s;
Y.numpy() at least 2x faster than scipy.stats' pdf on 1e6 points).

Run: python benchmarks/bench_univariate.py
"""
from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import numpy as np
import sympy as sp
from scipy import stats

import covar
from covar.text.expressions import parse_expr
from covar.text.sets import parse_set

CASES = Path(__file__).resolve().parent.parent / "tests" / "data" / "public_cases.json"
UNIVARIATE = {"affine", "monotone", "many-to-one", "mixed-atom"}


def derivation_times() -> list[tuple[str, float]]:
    rows = []
    for case in json.loads(CASES.read_text()):
        if case["category"] not in UNIVARIATE:
            continue
        syms = {n: sp.Symbol(n, **{k: True}) for n, k in case["params"].items()}
        syms["x"] = sp.Symbol("x", real=True)
        X = covar.Density(parse_expr(case["x_pdf"], syms), syms["x"], parse_set(case["x_support"], syms))
        start = time.perf_counter()
        covar.transform(X, parse_expr(case["g"], syms))
        rows.append((case["id"], time.perf_counter() - start))
    return rows


def best_of(fn, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def pdf_speed() -> list[tuple[str, float, float]]:
    rng = np.random.default_rng(0)
    comparisons = [
        ("exp of Normal(0.5, 0.4) vs lognorm", "Normal(0.5, 0.4)", "exp(x)",
         stats.lognorm(s=0.4, scale=np.exp(0.5)), rng.lognormal(0.5, 0.4, 10**6)),
        ("sqrt of ChiSquared(1) vs halfnorm", "ChiSquared(1)", "sqrt(x)",
         stats.halfnorm(), np.abs(rng.standard_normal(10**6))),
        ("log of Gamma(2, 1.5) vs loggamma", "Gamma(2, 3/2)", "log(x)",
         stats.loggamma(c=2, loc=-np.log(1.5)), np.log(rng.gamma(2, 1 / 1.5, 10**6))),
    ]
    rows = []
    for label, density, g, frozen, points in comparisons:
        f = covar.transform(covar.parse_density(density), g).numpy()
        np.testing.assert_allclose(f(points), frozen.pdf(points), rtol=1e-8)
        rows.append((label, best_of(lambda: f(points)), best_of(lambda: frozen.pdf(points))))
    return rows


def main() -> None:
    rows = derivation_times()
    print("derivation time per public univariate case (first call in a fresh process)")
    for name, seconds in rows:
        print(f"  {name:<22} {seconds:8.3f} s")
    times = [s for _, s in rows]
    print(f"  median {statistics.median(times):.3f} s, max {max(times):.3f} s"
          "   (targets: median <= 0.5 s, max <= 10 s)")
    print("\nY.numpy() vs scipy.stats pdf on 1e6 points (best of 7)")
    for label, ours, theirs in pdf_speed():
        print(f"  {label:<38} covar {ours * 1e3:7.2f} ms   scipy {theirs * 1e3:7.2f} ms   "
              f"speed-up {theirs / ours:5.1f}x   (target >= 2x)")


if __name__ == "__main__":
    main()
