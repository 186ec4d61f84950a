"""A problem as the page sends it: bounded text fields, checked, and its normalised cache key.

Nothing here parses mathematics: the fields stay text until a worker hands them to covar's
parsers. This module only bounds sizes, splits the lists and normalises spacing so that the
same problem typed twice hits the cache.

>>> p = problem_from({"density": " Normal( 0,1 ) ", "map": "x **2"})
>>> p.density, p.map, p.key("derive") == problem_from({"density": "Normal(0, 1)", "map": "x**2"}).key("derive")
('Normal( 0,1 )', 'x **2', True)
"""
from __future__ import annotations

import io
import json
import tokenize
from dataclasses import dataclass
from typing import Any, Mapping

#: the longest text a field may hold (covar's parsers have their own, tighter limits too)
MAX_FIELD = 400
#: at most this many assumptions and parameter values
MAX_ITEMS = 12
FIELDS = ("density", "map", "support", "assume", "values", "vars", "marginal", "layers")
#: at most this many flow layers (one spec a line)
MAX_LAYERS = 8


class ProblemError(ValueError):
    """A request field is missing, too long or of the wrong type; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Problem:
    """The fields of the calculator form, as text; ``assume``, ``values`` and ``layers`` as lists.

    A random vector is a ``density`` of families joined by ``*`` with a ``map`` of comma-separated
    components, optionally new variable names ``vars`` ("r, theta") and a ``marginal``; a flow
    is a list of ``layers`` (the specs of ``covar flow --layer``) with ``density`` its base.
    """

    density: str
    map: str
    support: str = ""
    assume: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    vars: str = ""
    marginal: str = ""
    layers: tuple[str, ...] = ()

    def key(self, job: str) -> str:
        """The cache key of ``job`` on this problem: spacing inside the texts does not count."""
        return json.dumps([job, _tokens(self.density), _tokens(self.map), _tokens(self.support),
                           sorted(_tokens(a) for a in self.assume), sorted(_tokens(v) for v in self.values),
                           _tokens(self.vars), _tokens(self.marginal), [_tokens(t) for t in self.layers]])

    def fields(self) -> dict[str, Any]:
        """The problem as plain data (what a worker process receives)."""
        return {"density": self.density, "map": self.map, "support": self.support,
                "assume": list(self.assume), "values": list(self.values), "vars": self.vars,
                "marginal": self.marginal, "layers": list(self.layers)}


def _tokens(text: str) -> str:
    """The text with spacing normalised: tokens joined by one space (the text itself if it does
    not tokenize: it then reaches the parser as typed, which reports it)."""
    try:
        toks = [t.string for t in tokenize.generate_tokens(io.StringIO(text).readline)
                if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT,
                                  tokenize.DEDENT)]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return text
    return " ".join(toks)


def _text(data: Mapping[str, Any], name: str, required: bool) -> str:
    value = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ProblemError(name, f"{name} must be text")
    value = value.strip()
    if required and not value:
        raise ProblemError(name, f"give a {name}, e.g. " + ("Normal(0, 1)" if name == "density" else "x**2"))
    if len(value) > MAX_FIELD:
        raise ProblemError(name, f"{name} is {len(value)} characters long; at most {MAX_FIELD} are accepted")
    return value


def _items(data: Mapping[str, Any], name: str) -> tuple[str, ...]:
    """A list field: a list of strings, or one string of items separated by commas or semicolons
    (commas inside brackets stay: "x in (0, 1)")."""
    raw = data.get(name, "")
    if raw is None:
        raw = ""
    if isinstance(raw, str):
        if len(raw) > MAX_FIELD * 2:
            raise ProblemError(name, f"{name} is {len(raw)} characters long; at most {MAX_FIELD * 2} are accepted")
        items = _split(raw)
    elif isinstance(raw, list) and all(isinstance(r, str) for r in raw):
        items = [r.strip() for r in raw if r.strip()]
    else:
        raise ProblemError(name, f"{name} must be text")
    if len(items) > MAX_ITEMS:
        raise ProblemError(name, f"{len(items)} items in {name}; at most {MAX_ITEMS} are accepted")
    for item in items:
        if len(item) > MAX_FIELD:
            raise ProblemError(name, f"an item of {name} is {len(item)} characters long; at most {MAX_FIELD}")
    return tuple(items)


def _layers(data: Mapping[str, Any]) -> tuple[str, ...]:
    """The flow's layer specs: a list of strings, or one text with a spec on each line (a spec
    holds commas and bars of its own, so lines are the only separator)."""
    raw = data.get("layers", "") or ""
    if isinstance(raw, str):
        if len(raw) > MAX_FIELD * 2:
            raise ProblemError("layers", f"layers is {len(raw)} characters long; at most {MAX_FIELD * 2} are accepted")
        raw = raw.splitlines()
    if not (isinstance(raw, list) and all(isinstance(r, str) for r in raw)):
        raise ProblemError("layers", "layers must be text, one layer a line")
    specs = tuple(r.strip() for r in raw if r.strip())
    if len(specs) > MAX_LAYERS:
        raise ProblemError("layers", f"{len(specs)} layers; at most {MAX_LAYERS} are accepted")
    for spec in specs:
        if len(spec) > MAX_FIELD:
            raise ProblemError("layers", f"a layer spec is {len(spec)} characters long; at most {MAX_FIELD}")
    return specs


def _split(text: str) -> list[str]:
    out: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch in ",;" and depth <= 0:
            out.append("".join(current))
            current = []
        else:
            current.append(ch)
    out.append("".join(current))
    return [item.strip() for item in out if item.strip()]


def problem_from(data: Mapping[str, Any]) -> Problem:
    """The Problem in a request's JSON body or query (ProblemError names a bad field).

    >>> problem_from({"density": "Gamma(alpha, beta)", "map": "log(x)", "values": "alpha=2, beta=1.5"}).values
    ('alpha=2', 'beta=1.5')
    >>> problem_from({"layers": "coupling 10 | s: z1/2 | t: z1, z1\\npermute 1,0"}).layers
    ('coupling 10 | s: z1/2 | t: z1, z1', 'permute 1,0')
    """
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ProblemError(unknown[0], f"unknown field {unknown[0][:40]!r}; the fields are {', '.join(FIELDS)}")
    layers = _layers(data)
    if layers and _text(data, "map", False):
        raise ProblemError("map", "a flow is given by its layers: leave the map empty, or remove the layers")
    return Problem(_text(data, "density", not layers), _text(data, "map", not layers), _text(data, "support", False),
                   _items(data, "assume"), _items(data, "values"), _text(data, "vars", False),
                   _text(data, "marginal", False), layers)
