"""Derivation times of textbook random-vector problems (a benchmark script, not a test).

Run: python benchmarks/bench_vectors.py

Each problem runs in a fresh process (a cold sympy cache); the CPU time (user + system) it
spends after importing covar is printed: the joint law and, where one is asked for, a marginal
with its family, each through the verification gate.
"""
from __future__ import annotations

import subprocess
import sys

PROBLEMS = [
    ("order statistics of three uniforms (3! regions)", "Uniform(0, 1) * Uniform(0, 1) * Uniform(0, 1)",
     "Min(x1, Min(x2, x3)), Max(x1, Max(x2, x3)), x1 + x2 + x3 - Min(x1, Min(x2, x3)) - Max(x1, Max(x2, x3))",
     None),
    ("sum of three uniforms: Irwin-Hall marginal", "Uniform(0, 1) * Uniform(0, 1) * Uniform(0, 1)",
     "x1 + x2 + x3, x2, x3", "y1"),
    ("three squared normals: chi-square(3) marginal", "Normal(0, 1) * Normal(0, 1) * Normal(0, 1)",
     "x1**2 + x2**2 + x3**2, x2, x3", "y1"),
    ("Gamma(a, 1), Gamma(b, 1) -> Beta(a, b) marginal", "Gamma(a, 1) * Gamma(b, 1)",
     "x1 + x2, x1/(x1 + x2)", "y2"),
    ("Normal(mu, s) + Normal(nu, t) marginal", "Normal(mu, s) * Normal(nu, t)", "x1 + x2, x2", "y1"),
]

_CHILD = """
import resource, sys
import covar
law, g, keep = sys.argv[1], sys.argv[2], sys.argv[3] or None
start = resource.getrusage(resource.RUSAGE_SELF)
J = covar.transform(law, g)
name = str(J.marginal(keep).family) if keep else ""
end = resource.getrusage(resource.RUSAGE_SELF)
print(end.ru_utime + end.ru_stime - start.ru_utime - start.ru_stime, name)
"""


def main() -> None:
    print(f"{'problem':50s} {'CPU s':>7s}  named")
    for title, law, g, keep in PROBLEMS:
        done = subprocess.run([sys.executable, "-c", _CHILD, law, g, keep or ""], capture_output=True,
                              text=True, check=True)
        seconds, _, name = done.stdout.strip().partition(" ")
        print(f"{title:50s} {float(seconds):7.2f}  {name}")


if __name__ == "__main__":
    main()
