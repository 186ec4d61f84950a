"""Property-based soundness run over random 2-D maps (bijective and 2-to-1): prints the counts.

Usage: python benchmarks/soundness_2d.py [N=80] [SEED=7] [--verbose]
"""
from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))

from test_soundness_2d import run  # noqa: E402


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    n = int(args[0]) if args else 80
    seed = int(args[1]) if len(args) > 1 else 7
    started = time.perf_counter()
    table = run(n, seed, verbose="--verbose" in argv)
    print(f"\n{n} random 2-D maps, seed {seed}, {time.perf_counter() - started:.0f} s")
    for kind, k in table.items():
        print(f"  {kind:9s} {k:5d}")
    return 1 if table["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
