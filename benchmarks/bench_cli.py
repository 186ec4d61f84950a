"""Start-up and end-to-end timings of the `covar` program (a benchmark script, not a test).

    python benchmarks/bench_cli.py [--repeat N]

Cold start: `covar --help` as a fresh process, repeated, median (target <= 0.25 s).
End to end: `covar derive` on the seed's examples (target <= 2 s each).
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time

SEED_EXAMPLES = [
    ("shift of a Gaussian", ["Normal(mu, sigma)", "x + c"]),
    ("scale of a Gaussian", ["Normal(mu, sigma)", "c*x", "--assume", "c>0"]),
    ("log of a Gamma", ["Gamma(alpha, beta)", "log(x)"]),
    ("sqrt of a chi-squared(1)", ["ChiSquared(1)", "sqrt(x)"]),
]


def median_seconds(cmd: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    covar = shutil.which("covar")
    if covar is None:
        sys.exit("the covar program is not installed: pip install -e .")
    rows = [("covar --help (cold start)", median_seconds([covar, "--help"], args.repeat), 0.25),
            ("covar --version", median_seconds([covar, "--version"], args.repeat), 0.25)]
    for label, example in SEED_EXAMPLES:
        rows.append((f"covar derive: {label}", median_seconds([covar, "derive", *example], max(1, args.repeat // 2)), 2.0))
    print(f"{'command':<44} {'median s':>9} {'target s':>9}  ok")
    for label, seconds, target in rows:
        print(f"{label:<44} {seconds:>9.3f} {target:>9.2f}  {'yes' if seconds <= target else 'NO'}")


if __name__ == "__main__":
    main()
