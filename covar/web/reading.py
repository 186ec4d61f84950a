"""A problem's fields read into a law exactly as the CLI reads them; errors name their form field."""
from __future__ import annotations

from typing import Any, Callable

from covar.errors import ParseError

#: parameter values for pictures are bounded like the catalog's location and scale parameters
MAX_VALUE = 1e6


class JobError(Exception):
    """A problem the user can fix, with the form field it concerns."""

    def __init__(self, field: str | None, message: str, kind: str = "input") -> None:
        super().__init__(message)
        self.field, self.kind = field, kind


def _field_of(fields: dict[str, Any], message: str) -> str:
    """Which field a CLI usage message concerns: the map, the assumptions, the support or the density."""
    from covar.text.assumptions import parse_assumptions
    from covar.text.sets import parse_set

    for start, field in (("map ", "map"), ("--vars", "vars"), ("--marginal", "marginal"), ("--layer", "layers"),
                         ("--base", "density"), ("--support", "support"), ("give at least one --layer", "layers")):
        if message.startswith(start):
            return field
    if _fails(parse_assumptions, fields["assume"]):
        return "assume"
    if _fails(parse_set, fields["support"]):
        return "support"
    return "density"


def _fails(parse: Callable[[Any], Any], value: Any) -> bool:
    """Whether ``parse`` refuses ``value`` on its own (an empty value is not read)."""
    try:
        if value:
            parse(value)
    except ParseError:
        return True
    return False


def solved(fields: dict[str, Any], seconds: float) -> Any:
    """The derived law, read exactly as ``covar derive`` (a univariate or vector problem) or
    ``covar flow`` (when the problem has layers; the density is then the base) read it."""
    from covar.cli.flow import flow_law
    from covar.cli.main import UsageFailure
    from covar.cli.problem import Problem, solve

    try:
        if fields["layers"]:
            return flow_law(tuple(fields["layers"]), fields["density"] or None, seconds)
        names = tuple(n.strip() for n in fields["vars"].split(",") if n.strip())
        return solve(Problem(fields["density"], fields["map"], fields["support"] or None, tuple(fields["assume"]),
                             seconds, names, fields["marginal"] or None))
    except UsageFailure as exc:
        raise JobError(_field_of(fields, exc.message), exc.message) from None


def checked_values(fields: dict[str, Any], X: Any, Y: Any) -> dict[str, float]:
    """The parameter values, checked by the CLI's rules (-p) and bounded."""
    from covar.cli.main import UsageFailure, check_input_values, parameter_values

    try:
        values = parameter_values(tuple(fields["values"]), Y)
        for name, v in values.items():
            if not (abs(v) <= MAX_VALUE):
                raise JobError("values", f"{name}={v:g}: parameter values for pictures are at most {MAX_VALUE:g} in size")
        check_input_values(X, values)
    except UsageFailure as exc:
        raise JobError("values", exc.message) from None
    return values


def input_law(Y: Any) -> Any:
    """The law a univariate chain of maps started from (the record's own input)."""
    return Y.derivation.steps[0].input


def record_of(Y: Any, kind: str) -> Any:
    """The record of ``kind`` ("flow", "joint-map") in Y's chain, the last one, or None."""
    d = Y.derivation
    found = [r for r in (d.steps if d is not None else ()) if r.kind == kind]
    return found[-1] if found else None
