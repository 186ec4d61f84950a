"""JSON of a Density and its Derivation record, and back (schema ``covar.laws.density/1``).

Every expression, set and condition is a string in sympy syntax (``sympy.sstr``); the
assumptions of the symbols, which that syntax cannot carry, are listed once in ``symbols``.
:func:`from_json` reads the strings back with covar.text.parsing's whitelist reader (never ``eval``), so a JSON
file from elsewhere cannot run code. Schema (docs/json-schema.md has the full description):

``{"schema": "covar.laws.density/1", "symbols": {NAME: {ASSUMPTION: bool}}, ...DENSITY}`` where
DENSITY is ``{"var": str, "pdf": str|null, "support": str, "atoms": [[point, mass], ...],
"discrete": bool, "family": {"name": str, "args": [str]}|null, "closed_form": bool, "derivation": DERIVATION|null}``
and DERIVATION is ``{"input": DENSITY, "x": str, "y": str, "g": str, "breakpoints": [str],
"pieces": [PIECE], "cells": [CELL], "notes": [str], "timings": {stage: seconds}}``;
PIECE is ``{"interval", "g", "kind", "inverse", "jacobian", "image", "contribution", "value",
"mass": str|null, "rejected": [str]}`` (kind is increasing/decreasing/constant) and CELL is
``{"interval": str, "pieces": [int], "raw": str, "simplified": str}`` (piece indices from 0).
A numeric-only result has ``"pdf": null`` and ``"closed_form": false``.
"""
from __future__ import annotations

import json
from typing import Any

import sympy as sp

from covar.errors import CovarError, ParseError
from covar.text.parsing import as_sympy

SCHEMA = "covar.laws.density/1"

_MAX_RANGE_POINTS = 10 ** 6  # a finite discrete support read from JSON has at most this many points
_ASSUMPTION_KEYS = ("integer", "positive", "negative", "nonnegative", "nonpositive", "nonzero", "real", "finite")


def _assumptions(sym: sp.Symbol) -> dict[str, bool]:
    """The fewest assumptions that recreate ``sym`` exactly (its full set as a fallback)."""
    given = {k: v for k, v in sym.assumptions0.items() if k in _ASSUMPTION_KEYS and v}
    for key in reversed(_ASSUMPTION_KEYS):  # drop the weakest facts first: the strong ones imply them
        trial = {k: v for k, v in given.items() if k != key}
        if key in given and sp.Symbol(sym.name, **trial) == sym:
            given = trial
    if sp.Symbol(sym.name, **given) != sym:
        given = {k: v for k, v in sym.assumptions0.items() if k != "commutative"}
    return given


class _Writer:
    """Collects every symbol while turning the record into JSON-ready values."""

    def __init__(self) -> None:
        self.symbols: dict[str, sp.Symbol] = {}

    def expr(self, e: Any) -> str | None:
        if e is None:
            return None
        e = as_sympy(e)
        for s in e.atoms(sp.Symbol):
            if self.symbols.setdefault(s.name, s) != s:
                raise CovarError(f"cannot write JSON: two different symbols are named {s.name}")
        return sp.sstr(e)

    def density(self, d: Any) -> dict:
        der = d.derivation
        out = {
            "var": self.expr(d.var), "pdf": self.expr(d.pdf), "support": self.expr(d.support),
            "atoms": [[self.expr(k), self.expr(v)] for k, v in d.atoms.items()],
            "discrete": bool(d.discrete),
            "family": None if d.family is None else d.family.to_dict(self.expr), "closed_form": bool(d.closed_form),
            "derivation": None if der is None else self.derivation(der),
        }
        if hasattr(d.numeric, "record"):  # a marginal: how to evaluate it by quadrature
            out["marginal"] = d.numeric.record(self.expr)
        return out

    def derivation(self, d: Any) -> dict:
        return {
            "input": self.density(d.input), "x": self.expr(d.x), "y": self.expr(d.y), "g": self.expr(d.g),
            "breakpoints": [self.expr(b) for b in d.breakpoints],
            "pieces": [{
                "interval": self.expr(p.interval), "g": self.expr(p.g), "kind": p.kind,
                "inverse": self.expr(p.inverse), "jacobian": self.expr(p.jacobian), "image": self.expr(p.image),
                "contribution": self.expr(p.contribution), "value": self.expr(p.value), "mass": self.expr(p.mass),
                "rejected": [self.expr(r) for r in p.rejected],
            } for p in d.pieces],
            "cells": [{"interval": self.expr(c.interval), "pieces": list(c.pieces), "raw": self.expr(c.raw),
                       "simplified": self.expr(c.simplified)} for c in d.cells],
            "notes": list(d.notes), "timings": {k: float(v) for k, v in d.timings.items()},
        }


def to_dict(density: Any) -> dict:
    """The JSON-ready dict of ``density`` (see the module docstring for the schema)."""
    w = _Writer()
    body = w.density(density)
    return {"schema": SCHEMA, "symbols": {n: _assumptions(s) for n, s in sorted(w.symbols.items())}, **body}


def to_json(density: Any, indent: int | None = 2) -> str:
    """The Density and its Derivation as JSON text.

    >>> import covar
    >>> text = to_json(covar.transform(covar.parse_density("Normal(0, 1)"), "Max(0, x)"))
    >>> data = json.loads(text)
    >>> data["schema"], data["atoms"], data["derivation"]["g"]
    ('covar.laws.density/1', [['0', '1/2']], 'Max(0, x)')
    """
    return json.dumps(to_dict(density), indent=indent, ensure_ascii=False)


# ---- reading back ------------------------------------------------------------------------
# covar's whitelist reader (covar.text.parsing) reads the strings; these are the extra sympy
# constructors a record contains beyond user input (conditions of a pmf, discrete supports).
_RECORD_FUNCTIONS = {"Eq": sp.Eq, "Ne": sp.Ne, "Contains": sp.Contains, "Range": sp.Range,
                     "ImageSet": sp.ImageSet, "Lambda": sp.Lambda, "Interval": sp.Interval,
                     "Union": sp.Union, "FiniteSet": sp.FiniteSet, "Complement": sp.Complement}


class _Reader:
    """Reads the strings of one document with its own symbol table."""

    def __init__(self, symbols: dict[str, sp.Symbol]) -> None:
        self.symbols = symbols

    def __call__(self, text: str | None) -> Any:
        from covar.text.parsing import parse_expr

        return None if text is None else parse_expr(text, self.symbols, functions=_RECORD_FUNCTIONS)

    def set(self, text: str | None) -> Any:
        """A set: interval notation first (it alone knows Interval.open), then constructors."""
        from covar.text.parsing import parse_set

        if text is None:
            return None
        try:
            return parse_set(text, self.symbols)
        except ParseError:
            return self(text)


def _read_density(data: dict, read: _Reader) -> Any:
    from covar.laws.density import Density
    from covar.record import Cell, Derivation, Piece

    from covar.laws.families import NamedLaw

    var, pdf, support = read(data["var"]), read(data["pdf"]), read.set(data["support"])
    family = None if data["family"] is None else NamedLaw.from_dict(data["family"], read.symbols)
    atoms = {read(k): read(v) for k, v in data["atoms"]}
    der = data.get("derivation")
    derivation = numeric = None
    if der is not None:
        X = _read_density(der["input"], read)
        pieces = tuple(Piece(
            read.set(p["interval"]), read(p["g"]), p["kind"], inverse=read(p["inverse"]),
            jacobian=read(p["jacobian"]), image=read.set(p["image"]), contribution=read(p["contribution"]),
            value=read(p["value"]), mass=read(p["mass"]), rejected=tuple(read(r) for r in p["rejected"]),
        ) for p in der["pieces"])
        cells = tuple(Cell(read.set(c["interval"]), tuple(c["pieces"]), read(c["raw"]), read(c["simplified"]))
                      for c in der["cells"])
        derivation = Derivation(
            input=X, x=read(der["x"]), y=read(der["y"]), g=read(der["g"]),
            breakpoints=tuple(read(b) for b in der["breakpoints"]), pieces=pieces, cells=cells, pdf=pdf,
            support=support, atoms=atoms, family=family, discrete=data["discrete"],
            closed_form=data["closed_form"], notes=tuple(der["notes"]), timings=dict(der["timings"]),
        )
        if pdf is None:
            numeric = _numeric_evaluator(derivation)
    if data.get("marginal") is not None:
        from covar.multivariate.marginal import evaluator_from_record

        numeric = evaluator_from_record(data["marginal"], read)
    return Density(pdf, var, support, atoms, discrete=data["discrete"], family=family,
                   derivation=derivation, numeric=numeric, validate=False)


def _numeric_evaluator(d: Any) -> Any:
    """Rebuild the root-finding evaluator of a numeric-only result from its recorded pieces."""
    from covar.numeric.evaluate import numeric_pdf
    from covar.univariate.pieces import RawPiece

    fx = d.input.pdf
    raw = [RawPiece(p.interval.start, p.interval.end, p.g, fx, p.kind) for p in d.pieces if p.kind != "constant"]
    params = sorted((d.g.free_symbols | fx.free_symbols) - {d.x}, key=lambda s: s.name)
    return numeric_pdf(d.x, raw, params)


def from_dict(data: dict) -> Any:
    """The Density (with its Derivation) described by a ``covar.laws.density/1`` dict."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ParseError(f"not a covar JSON document (expected \"schema\": \"{SCHEMA}\")")
    symbols = _read_symbols(data.get("symbols", {}))
    try:
        density = _read_density(data, _Reader(symbols))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        if isinstance(exc, CovarError):
            raise
        raise ParseError(f"malformed covar JSON: {type(exc).__name__}: {exc}") from None
    _check_read(density)
    from covar.numeric.verify import verify

    return verify(density, "law read from JSON")


def _read_symbols(table: Any) -> dict[str, sp.Symbol]:
    """The ``symbols`` table: names (checked like user names) to known assumption flags."""
    from covar.text.parsing import make_symbols

    if not isinstance(table, dict):
        raise ParseError(f"malformed covar JSON: \"symbols\" must be an object of "
                         f"NAME: {{ASSUMPTION: bool}}, got {type(table).__name__}")
    for name, facts in table.items():
        if not isinstance(facts, dict) or not all(isinstance(v, bool) for v in facts.values()):
            raise ParseError(f"malformed covar JSON: the assumptions of {name!r} must be an "
                             "object of ASSUMPTION: true/false")
        unknown = set(facts) - set(_ASSUMPTION_KEYS) - {"zero", "rational", "even", "odd"}
        if unknown:
            raise ParseError(f"malformed covar JSON: unknown assumption {sorted(unknown)[0]!r} "
                             f"for {name!r}; known: {', '.join(_ASSUMPTION_KEYS)}")
    # make_symbols checks every name and refuses non-real or conflicting assumptions
    return make_symbols(list(table), {n: {k: v for k, v in f.items() if v} for n, f in table.items()})


def _check_read(density: Any) -> None:
    """A document read back is checked like any input: bounded discrete supports, and a
    concrete pdf (and the derivation's input) must be a probability density."""
    from covar.numeric.validation import validate_density

    for d in (density, getattr(density.derivation, "input", None)):
        if d is None or d.derivation is not None:  # derived laws are checked by the gate
            continue
        support = d.support
        if isinstance(support, sp.Range) and support.size.is_finite is True \
                and support.size > _MAX_RANGE_POINTS:
            raise ParseError(f"the support {support} has more than {_MAX_RANGE_POINTS} points; "
                             "covar reads discrete supports up to that size (or infinite ones)")
        validate_density(d)


def from_json(text: str) -> Any:
    """The Density written by :func:`to_json`.

    >>> import covar
    >>> Y = covar.transform(covar.parse_density("ChiSquared(1)"), "sqrt(x)")
    >>> Z = from_json(to_json(Y))
    >>> Z.pdf == Y.pdf, Z.support == Y.support, len(Z.derivation.pieces)
    (True, True, 1)
    """
    if not isinstance(text, (str, bytes, bytearray)):
        raise ParseError(f"from_json reads JSON text, got {type(text).__name__}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"not JSON: {exc}") from None
    except RecursionError:
        raise ParseError("not a covar JSON document: nested too deeply") from None
    return from_dict(data)
