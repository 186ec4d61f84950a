"""Property-based soundness runs: random 1-D compositions and random 2-D maps, each result
classified against an independent numeric density and samples; prints the outcome counts.

Usage: python benchmarks/soundness.py [N_1D=300] [N_2D=80] [SEED=1] [--verbose]
Exits 1 when any result is wrong (or raised something other than a CovarError).
"""
from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))

from soundness_1d_cases import FAMILIES, classify, counts, make_cases  # noqa: E402
from test_soundness_2d import run as run_2d  # noqa: E402


def one_dimensional(n: int, seed: int, verbose: bool) -> dict[str, int]:
    outcomes = []
    for case in make_cases(n, seed):
        o = classify(case, timeout=10.0, seed=seed)
        outcomes.append(o)
        if verbose or o.kind in ("wrong", "error"):
            print(f"{o.kind:8s} {o.seconds:5.1f}s {case}  {o.detail[:400]}", flush=True)
    return counts(outcomes)


def main(argv: list[str]) -> int:
    args = [int(a) for a in argv if not a.startswith("--")]
    n1, n2, seed = (args + [300, 80, 1][len(args):])[:3]
    verbose = "--verbose" in argv
    bad = 0
    for label, job in ((f"{n1} random 1-D compositions over {len(FAMILIES)} input families",
                        lambda: one_dimensional(n1, seed, verbose)),
                       (f"{n2} random 2-D maps (bijective and 2-to-1)", lambda: run_2d(n2, seed, verbose))):
        started = time.perf_counter()
        table = job()
        print(f"\n{label}, seed {seed}, {time.perf_counter() - started:.0f} s")
        for kind, k in table.items():
            print(f"  {kind:9s} {k:5d}")
        bad += table.get("wrong", 0) + table.get("error", 0)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
