"""One derivation problem of the command line: random vectors from text, marginals, the result document.

A DENSITY of independent families joined by a top-level ``*`` ("Normal(0,1) * Normal(0,1)") is a
random vector in x1, x2, ...; a MAP whose components are separated by top-level commas
("sqrt(x1**2 + x2**2), atan2(x2, x1)") maps it to new variables (``vars``, default y1, y2, ...);
``marginal`` names the one new variable whose law is kept. ``covar derive`` and ``covar batch``
both go through :func:`solve`, so a batch line holds exactly what ``covar derive -f json`` prints.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from covar.text.vectors import joint_factors, split_top_level


@dataclass(frozen=True)
class Problem:
    """What the user asked for: the input text and what to do with it."""

    density: str
    map: str
    support: str | None = None
    assume: tuple[str, ...] = ()
    timeout: float = 30.0
    vars: tuple[str, ...] = ()
    marginal: str | None = None


def solve(problem: Problem) -> Any:
    """The derived law of ``problem`` (a Density, or a JointDensity for a vector map without
    ``marginal``). Input errors raise :class:`covar.cli.main.UsageFailure` (exit status 2)."""
    from covar.cli.main import UsageFailure, derive

    factors = joint_factors(problem.density)
    components = split_top_level(problem.map, ",")
    if factors is None:
        if len(components) > 1 or problem.marginal or problem.vars:
            raise UsageFailure(f"map {problem.map!r}: a vector map, --vars and --marginal need a random vector "
                               'as DENSITY, e.g. "Normal(0, 1) * Normal(0, 1)" (independent x1, x2)')
        return derive(problem.density, problem.map, problem.support, problem.assume, problem.timeout)[1]
    return _solve_vector(problem, factors, components)


def _solve_vector(problem: Problem, factors: list[str], components: list[str]) -> Any:
    import covar
    from covar.cli.main import UsageFailure
    from covar.numeric.budget import time_budget

    if problem.support:
        raise UsageFailure("--support is for a raw univariate pdf; a random vector takes families")
    names = problem.vars or tuple(f"y{i + 1}" for i in range(len(components)))
    if len(names) != len(components):
        raise UsageFailure(f"--vars {','.join(names)}: give one name per map component ({len(components)})")
    if problem.marginal is not None and problem.marginal not in names:
        raise UsageFailure(f"--marginal {problem.marginal}: not one of the new variables {', '.join(names)}")
    with time_budget(problem.timeout, "reading and deriving"):
        parts = []
        for text in factors:
            try:
                parts.append(covar.parse_density(text))
            except covar.ParseError as exc:
                raise UsageFailure(f"density {text!r}: {exc}") from exc
        joint = covar.independent(*parts)
        used = {s.name for s in joint.vars}
        for text in components:
            _check_map_variables(text, used)
        law = covar.transform(joint, components, names, timeout=problem.timeout)
        return law if problem.marginal is None else law.marginal(problem.marginal, timeout=problem.timeout)


def _check_map_variables(text: str, used: set[str]) -> None:
    """A map component in a variable the vector does not have is a usage error (exit status 2)."""
    from covar.cli.main import UsageFailure

    names = set(re.findall(r"\b[A-Za-z_]\w*\b(?!\s*\()", text))
    if not names & used:
        raise UsageFailure(f"map component {text!r} uses none of the vector's variables "
                           f"{', '.join(sorted(used))}; write it in them")


def result_document(law: Any, *, steps: bool = True, timings: bool = False, cdf: bool = False,
                    moments: bool = False) -> dict:
    """The JSON document of ``law`` (docs/json-schema.md), plus ``cdf`` and ``moments`` on request.

    >>> import covar
    >>> doc = result_document(covar.transform("Exponential(1)", "2*x"), steps=False, moments=True)
    >>> doc["derivation"], doc["moments"]
    (None, {'mean': '2', 'variance': '4'})
    """
    from sympy import sstr

    from covar.render.serialize import to_dict

    doc = to_dict(law, timings=timings, steps=steps)
    if cdf:
        F = law.cdf
        doc["cdf"] = None if F is None else sstr(F)
        doc["cdf_record"] = to_dict(law.cdf_record, timings=timings)  # a covar/2 document of its own
    if moments:
        doc["moments"] = {"mean": sstr(law.mean), "variance": sstr(law.variance)}
    return doc
