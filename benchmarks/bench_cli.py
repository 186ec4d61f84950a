"""Start-up and end-to-end timings of the `covar` program (a benchmark script, not a test).

    python benchmarks/bench_cli.py [--repeat N] [--baseline-ref REF | --baseline /path/to/checkout]

Cold start: `covar --help` as a fresh process, repeated, median (target <= 0.25 s).
End to end: `covar derive` on the seed's examples (target <= 2 s each).
The four tutorial derivations also run from a baseline tree, interleaved with this one (best of
N each), and their total CPU time (user + system of the child process: a shared machine's load
does not count) is printed as a ratio (target <= 0.6). The baseline is the git commit REF of
this repository (default: the tree before issue 15's speed work) extracted into a temporary
directory by ``git archive``, or another checkout given by --baseline.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BEFORE_ISSUE_15 = "deee259"  # the last commit before issue 15's speed work

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


def cpu_seconds(cmd: list[str], pythonpath: str) -> float:
    """User + system CPU seconds of one run of ``cmd`` with covar imported from ``pythonpath``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # run from a neutral directory: `python -m` puts the working directory first on sys.path
    subprocess.run(cmd, check=True, capture_output=True, env={**os.environ, "PYTHONPATH": pythonpath},
                   cwd=tempfile.gettempdir())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def compare_with(baseline: str, repeat: int) -> None:
    """The tutorial's four derivations, this checkout against ``baseline``, interleaved."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    best: dict[tuple[str, str], float] = {}
    for _ in range(repeat):
        for label, example in SEED_EXAMPLES:
            for tree in (here, baseline):
                t = cpu_seconds([sys.executable, "-m", "covar.cli.main", "derive", *example], tree)
                best[label, tree] = min(best.get((label, tree), float("inf")), t)
    print(f"\n{'covar derive, CPU s (best of ' + str(repeat) + ')':<44} {'this':>7} {'baseline':>9} {'ratio':>6}")
    for label, _ in SEED_EXAMPLES:
        ours, theirs = best[label, here], best[label, baseline]
        print(f"{label:<44} {ours:>7.3f} {theirs:>9.3f} {ours / theirs:>6.2f}")
    total, total_base = (sum(best[label, tree] for label, _ in SEED_EXAMPLES) for tree in (here, baseline))
    print(f"{'all four':<44} {total:>7.3f} {total_base:>9.3f} {total / total_base:>6.2f}   (target <= 0.6)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--baseline", help="another checkout of covar to compare the derivations with")
    parser.add_argument("--baseline-ref", default=BEFORE_ISSUE_15,
                        help="a commit of this repository to compare with (default: before issue 15)")
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
    if args.baseline:
        compare_with(args.baseline, max(1, args.repeat // 2))
        return
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as tree:
        archive = subprocess.run(["git", "-C", here, "archive", args.baseline_ref], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", tree], input=archive.stdout, check=True)
        print(f"\nbaseline: commit {args.baseline_ref} (git archive into a temporary directory)")
        compare_with(tree, max(1, args.repeat // 2))


if __name__ == "__main__":
    main()
