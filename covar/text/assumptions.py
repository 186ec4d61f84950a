"""Assumptions on symbols (``--assume``): statements read into sympy facts, and symbols made.

>>> parse_assumptions("sigma>0, n positive integer")
{'sigma': {'positive': True}, 'n': {'positive': True, 'integer': True}}
"""
from __future__ import annotations

import re
from types import MappingProxyType
from typing import Iterable, Mapping

import sympy
from sympy import S
from sympy.core.facts import InconsistentAssumptions
from sympy.core.relational import Relational
from sympy.logic.boolalg import BooleanAtom

from covar.errors import ParseError
from covar.text.expressions import parse_expr
from covar.text.limits import MAX_ASSUMPTIONS, check_length, short
from covar.text.syntax import split_top
from covar.text.vocabulary import check_name

_PROPERTIES: Mapping[str, sympy.Set] = MappingProxyType({
    "real": S.Reals,
    "positive": sympy.Interval.open(0, S.Infinity),
    "negative": sympy.Interval.open(S.NegativeInfinity, 0),
    "nonnegative": sympy.Interval(0, S.Infinity),
    "nonpositive": sympy.Interval(S.NegativeInfinity, 0),
    "nonzero": sympy.Union(sympy.Interval.open(S.NegativeInfinity, 0),
                           sympy.Interval.open(0, S.Infinity)),
})
# "0 < p" read as "p > 0": the relation with its sides swapped
_FLIP = {sympy.StrictLessThan: sympy.StrictGreaterThan,
         sympy.StrictGreaterThan: sympy.StrictLessThan,
         sympy.LessThan: sympy.GreaterThan, sympy.GreaterThan: sympy.LessThan,
         sympy.Unequality: sympy.Unequality, sympy.Equality: sympy.Equality}
_SYMBOL_KEYS = frozenset({"positive", "negative", "nonnegative", "nonpositive", "nonzero",
                          "zero", "real", "integer", "rational", "finite", "even", "odd"})


def parse_assumptions(texts: Iterable[str] | str) -> dict[str, dict[str, bool]]:
    """Read statements about symbols into sympy assumption keywords, name by name.

    Statements are comparisons with a number (``sigma>0``, ``k >= 0``, ``c != 0``,
    ``0 < p < 1``) or properties (``c real``, ``n positive integer``, ``x is nonzero``),
    separated by commas or semicolons. Bounds sympy cannot express are dropped after
    being checked for consistency: ``0 < p < 1`` gives only ``positive``. Statements that
    contradict each other raise :class:`~covar.errors.ParseError`.

    >>> parse_assumptions(["0 < p < 1", "k >= 0; c != 0", "x > -1"])
    {'p': {'positive': True}, 'k': {'nonnegative': True},
     'c': {'nonzero': True}, 'x': {'real': True}}
    >>> parse_assumptions("c > 0, c < 0")
    Traceback (most recent call last):
    ...
    covar.errors.ParseError: conflicting assumptions on 'c': 'c > 0', 'c < 0'
    """
    regions: dict[str, sympy.Set] = {}
    excluded: dict[str, set] = {}
    integers: set[str] = set()
    said: dict[str, list[str]] = {}
    count = 0
    for text in [texts] if isinstance(texts, str) else list(texts):
        for item in split_top(check_length(text), ",;"):
            item = " ".join(item.split())
            if not item:
                continue
            count += 1
            if count > MAX_ASSUMPTIONS:
                raise ParseError(f"too many assumptions (more than {MAX_ASSUMPTIONS} statements)")
            name, region, integer, points = _read_assumption(item)
            said.setdefault(name, []).append(item)
            regions[name] = sympy.Intersection(regions.get(name, S.Reals), region)
            excluded.setdefault(name, set()).update(points)
            integers |= {name} if integer else set()
            if _is_empty(regions[name], excluded[name], name in integers):
                statements = ", ".join(f"'{s}'" for s in said[name])
                raise ParseError(f"conflicting assumptions on '{name}': {statements}")
    return {name: _facts(_without(region, excluded[name]), name in integers)
            for name, region in regions.items()}


def make_symbols(names: Iterable[str], assumptions: Mapping[str, Mapping[str, bool]] | None = None
                 ) -> dict[str, sympy.Symbol]:
    """One real sympy Symbol per name, with the stated assumptions added.

    >>> s = make_symbols(["x", "n"], parse_assumptions("n positive integer"))
    >>> s["x"].is_real, s["n"].is_integer, s["n"].is_positive
    (True, True, True)
    """
    assumptions = assumptions or {}
    symbols: dict[str, sympy.Symbol] = {}
    for name in names:
        check_name(name)
        stated = dict(assumptions.get(name, {}))
        unknown = set(stated) - _SYMBOL_KEYS
        if unknown:
            raise ParseError(f"unknown assumption {sorted(unknown)[0]!r} for '{name}'; "
                             f"known: {', '.join(sorted(_SYMBOL_KEYS))}")
        if stated.get("real", True) is not True:
            raise ParseError(f"'{name}' cannot be non-real: covar works over the reals")
        try:
            symbols[name] = sympy.Symbol(name, **{"real": True, **stated})
        except InconsistentAssumptions:
            raise ParseError(f"conflicting assumptions on '{name}': {stated}") from None
    return symbols


def _read_assumption(item: str) -> tuple[str, sympy.Set, bool, frozenset]:
    """One statement -> (name, interval region of the real line it allows, whether it says
    integer, points it excludes). Excluded points ("c != 0") are kept apart from the region:
    sympy's set algebra on many complements grows much faster than the number of statements."""
    words = item.replace("-", "").split() if re.fullmatch(r"[^\W\d]\w*(\s+[A-Za-z-]+)+", item) \
        else None
    if words:  # "n positive integer", "c is real"
        return _read_properties(item, words)
    condition = parse_expr(item)
    if isinstance(condition, BooleanAtom):  # sympy already decided it: "x > -oo", "pi < 0"
        verdict = "says nothing" if condition else "is false"
        raise ParseError(f"assumption '{short(item)}' {verdict}; write e.g. 'sigma > 0'")
    relations = list(condition.args) if isinstance(condition, sympy.And) else [condition]
    if not all(isinstance(rel, Relational) for rel in relations):
        raise ParseError(f"cannot read assumption '{short(item)}'; "
                         "write e.g. 'sigma > 0', '0 < p < 1', 'n positive integer'")
    names, region, excluded = set(), S.Reals, set()
    for rel in relations:
        kind, lhs, rhs = type(rel), rel.lhs, rel.rhs
        if isinstance(rhs, sympy.Symbol) and lhs.is_number:
            kind, lhs, rhs = _FLIP[kind], rhs, lhs
        if not (isinstance(lhs, sympy.Symbol) and rhs.is_number
                and (rhs.is_comparable or rhs in (S.Infinity, S.NegativeInfinity))):
            raise ParseError(f"assumption '{short(item)}' must compare one name "
                             "with a real number")
        if kind is sympy.Equality:
            raise ParseError(f"'{short(item)}' fixes the value of {lhs}; substitute it instead")
        names.add(lhs.name)
        if kind is sympy.Unequality:
            if rhs in (S.Infinity, S.NegativeInfinity):
                raise ParseError(f"assumption '{short(item)}' says nothing; write e.g. 'c != 0'")
            excluded.add(rhs)
            continue
        region = sympy.Intersection(region, {
            sympy.StrictGreaterThan: sympy.Interval.open(rhs, S.Infinity),
            sympy.GreaterThan: sympy.Interval(rhs, S.Infinity),
            sympy.StrictLessThan: sympy.Interval.open(S.NegativeInfinity, rhs),
            sympy.LessThan: sympy.Interval(S.NegativeInfinity, rhs),
        }[kind])
    if len(names) != 1:
        raise ParseError(f"assumption '{short(item)}' must be about exactly one name")
    return names.pop(), region, False, frozenset(excluded)


def _read_properties(item: str, words: list[str]) -> tuple[str, sympy.Set, bool, frozenset]:
    """:func:`_read_assumption` of a statement in words: "n positive integer", "c is real"."""
    name, region, integer = words[0], S.Reals, False
    check_name(name)
    for word in words[1:]:
        if word in ("is", "and"):
            continue
        if word == "integer":
            integer = True
        elif word in _PROPERTIES:
            region = sympy.Intersection(region, _PROPERTIES[word])
        else:
            known = ", ".join([*_PROPERTIES, "integer"])
            raise ParseError(f"unknown property '{word}' in '{short(item)}'; known: {known}")
    excluded = frozenset({S.Zero}) if region == _PROPERTIES["nonzero"] else frozenset()
    return name, (S.Reals if excluded else region), integer, excluded


def _facts(region: sympy.Set, integer: bool) -> dict[str, bool]:
    """The strongest sympy sign assumptions implied by ``region`` (a subset of the reals)."""
    facts: dict[str, bool] = {}
    if region.is_subset(_PROPERTIES["positive"]):
        facts["positive"] = True
    elif region.is_subset(_PROPERTIES["negative"]):
        facts["negative"] = True
    else:
        if region.is_subset(_PROPERTIES["nonnegative"]):
            facts["nonnegative"] = True
        if region.is_subset(_PROPERTIES["nonpositive"]):
            facts["nonpositive"] = True
        if region.is_subset(_PROPERTIES["nonzero"]):
            facts["nonzero"] = True
    if integer:
        facts["integer"] = True
    return facts or {"real": True}


def _without(region: sympy.Set, points: set) -> sympy.Set:
    """``region`` minus the excluded points that can change its sign facts (0 and its ends)."""
    relevant = [p for p in points if p == 0 or p in (region.inf, region.sup)]
    return sympy.Complement(region, sympy.FiniteSet(*relevant)) if relevant else region


def _is_empty(region: sympy.Set, points: set, integer: bool) -> bool:
    """True if no real (integer, when asked) value lies in ``region`` outside ``points``."""
    if region is S.EmptySet:
        return True
    if integer:
        region = sympy.Intersection(region, S.Integers)
        if region is S.EmptySet:
            return True
    if isinstance(region, sympy.FiniteSet):
        return all(p in points for p in region)
    if isinstance(region, sympy.Range) and region.size.is_finite and region.size <= len(points):
        return all(p in points for p in region)
    return False
