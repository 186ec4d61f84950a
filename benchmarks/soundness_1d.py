"""Property-based soundness run over random 1-D compositions: prints the outcome counts.

Usage: python benchmarks/soundness_1d.py [N=1000] [SEED=1] [--verbose]
"""
from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))

from soundness_1d_cases import FAMILIES, classify, counts, make_cases  # noqa: E402


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    n = int(args[0]) if args else 1000
    seed = int(args[1]) if len(args) > 1 else 1
    verbose = "--verbose" in argv
    cases = make_cases(n, seed)
    started = time.perf_counter()
    outcomes = []
    for case in cases:
        o = classify(case, timeout=10.0, seed=seed)
        outcomes.append(o)
        if verbose or o.kind in ("wrong", "error"):
            print(f"{o.kind:8s} {o.seconds:5.1f}s {case}  {o.detail[:400]}", flush=True)
    table = counts(outcomes)
    print(f"\n{n} cases, seed {seed}, {len(FAMILIES)} input families, "
          f"{time.perf_counter() - started:.0f} s")
    for kind, k in table.items():
        print(f"  {kind:9s} {k:5d}")
    return 1 if table["wrong"] or table["error"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
