"""Throughput of `covar batch` on the test table's problems at 1 and 2 jobs (a benchmark script, not a test).

    python benchmarks/bench_batch.py [--jobs 1 2] [--repeat N]

Writes the continuous problems of tests/problems.py as a JSON-lines file (pdf and map as text),
then runs `python -m covar batch` on it as a fresh process per job count, best of N, and prints
problems per second (wall clock, including start-up) and the CPU seconds of the processes.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))


def problem_lines() -> list[dict]:
    """The table's problems on an interval, as `covar batch` lines (as tests/test_batch.py writes them)."""
    import sympy as sp
    from problems import PROBLEMS
    from test_batch import batch_line

    return [batch_line(P) for P in PROBLEMS if not P.law.discrete and isinstance(P.law.support, sp.Interval)]


def run_once(problems: Path, jobs: int) -> tuple[float, float, dict]:
    """(wall seconds, CPU seconds of the children, status counts) of one batch run."""
    out = problems.with_name(f"out-{jobs}.jsonl")
    out.unlink(missing_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "covar", "batch", str(problems), "-o", str(out), "--jobs", str(jobs)],
                   env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    counts: dict[str, int] = {}
    for line in out.read_text().splitlines():
        status = json.loads(line)["status"]
        counts[status] = counts.get(status, 0) + 1
    return wall, cpu, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    lines = problem_lines()
    with tempfile.TemporaryDirectory() as folder:
        problems = Path(folder) / "problems.jsonl"
        problems.write_text("".join(json.dumps(line) + "\n" for line in lines))
        print(f"{len(lines)} problems from tests/problems.py, {os.cpu_count()} cores")
        for jobs in args.jobs:
            wall, cpu, counts = min((run_once(problems, jobs) for _ in range(args.repeat)), key=lambda r: r[0])
            print(f"--jobs {jobs}: {len(lines) / wall:6.2f} problems/s  ({wall:.1f} s wall, {cpu:.1f} s CPU; "
                  f"{', '.join(f'{n} {k}' for k, n in sorted(counts.items()))})")


if __name__ == "__main__":
    main()
