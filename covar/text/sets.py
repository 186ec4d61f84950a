"""Sets of reals in user text: intervals, unions, finite sets, named sets and Range.

>>> parse_set("[0, 1] U (2, oo)")
Union(Interval(0, 1), Interval.open(2, oo))
"""
from __future__ import annotations

import re
from types import MappingProxyType
from typing import Any, Mapping

import sympy
from sympy import S

from covar.errors import ParseError
from covar.text.expressions import need_expr, parse_expr
from covar.text.limits import (MAX_SET_DEPTH, MAX_SET_ELEMENTS, MAX_SET_PARTS, check_length,
                               first_line, short)
from covar.text.syntax import split_top
from covar.text.vocabulary import check_arity

_NAMED_SETS: Mapping[str, sympy.Set] = MappingProxyType({
    "R": S.Reals, "Reals": S.Reals, "\u211d": S.Reals, "Integers": S.Integers,
    "\u2124": S.Integers, "Naturals": S.Naturals, "\u2115": S.Naturals,
    "Naturals0": S.Naturals0, "EmptySet": S.EmptySet, "\u2205": S.EmptySet,
})
_SET_CALL = re.compile(r"(Interval(?:\.(?:open|Lopen|Ropen))?|Range|FiniteSet|Union|Intersection)"
                       r"\s*\((.*)\)", re.DOTALL)
_OPEN_SIDES = {"Interval": (False, False), "Interval.open": (True, True),
               "Interval.Lopen": (True, False), "Interval.Ropen": (False, True)}


def parse_set(text: str, symbols: Mapping[str, sympy.Basic] | None = None) -> sympy.Set:
    """Read a set of reals: interval notation, unions, finite sets, named sets, Range.

    Forms: ``[a, b]``, ``(a, b)``, ``[a, b)``, ``(a, b]`` (ends parsed by
    :func:`~covar.text.expressions.parse_expr`, symbolic ends allowed), ``A U B`` / ``A | B`` /
    ``A \u222a B``, ``{0, 1, 2}``, ``R``, ``Reals``, ``Integers``, ``Naturals``, ``Naturals0``,
    ``EmptySet``, ``Interval(a, b)``, ``Interval.open/Lopen/Ropen(a, b)``, ``Range(...)``,
    ``FiniteSet(...)``, ``Union(...)``, ``Intersection(...)``. An interval whose ends are in the
    wrong order raises :class:`~covar.errors.ParseError`.

    >>> parse_set("[0, oo)")
    Interval(0, oo)
    >>> parse_set("(-inf, inf)")
    Reals
    >>> parse_set("{0, 1, 2} | Interval.Lopen(a, b)")
    Union({0, 1, 2}, Interval.Lopen(a, b))
    >>> parse_set("[1, 0]")
    Traceback (most recent call last):
    ...
    covar.errors.ParseError: empty interval [1, 0]: the left end must be below the right end
    """
    text = check_length(text)
    split_top(text, "")  # bracket balance first, for a clear message; kinds may mix: "[0, 1)"
    return _set(text, symbols, 0)


def _set(text: str, symbols: Mapping[str, Any] | None, depth: int) -> sympy.Set:
    if depth > MAX_SET_DEPTH:
        raise ParseError(f"set nested too deeply (more than {MAX_SET_DEPTH} levels)")
    text = text.strip()
    if not text:
        raise ParseError("empty set text; write e.g. '[0, oo)'")
    parts = _split_union(text)
    if len(parts) > MAX_SET_PARTS:
        raise ParseError(f"too many sets in a union (more than {MAX_SET_PARTS})")
    if len(parts) > 1:
        return _combine("Union", [_set(part, symbols, depth + 1) for part in parts], text)
    if text in _NAMED_SETS:
        return _NAMED_SETS[text]
    if text[0] == "{" and text[-1] == "}" and _closes_at_end(text):
        return sympy.FiniteSet(*_set_elements(text[1:-1], symbols))
    if text[0] in "[(" and text[-1] in ")]" and _closes_at_end(text):
        ends = split_top(text[1:-1], ",")
        if len(ends) == 2:
            return _interval(ends[0], ends[1], text[0] == "(", text[-1] == ")", symbols, text)
        if len(ends) == 1 and text[0] == "(" and text[-1] == ")":
            return _set(text[1:-1], symbols, depth + 1)  # grouping: "([0, 1] U [2, 3])"
        raise ParseError(f"an interval needs two endpoints, like '[a, b)'; got '{short(text)}'")
    call = _SET_CALL.fullmatch(text)
    if call and _closes_at_end(text[text.index("("):]):
        name, inner = call.group(1), call.group(2)
        if name in ("Union", "Intersection"):
            args = split_top(inner, ",")
            if len(args) > MAX_SET_PARTS:
                raise ParseError(f"too many sets in {name} (more than {MAX_SET_PARTS})")
            return _combine(name, [_set(arg, symbols, depth + 1) for arg in args], text)
        if name == "FiniteSet":
            return sympy.FiniteSet(*_set_elements(inner, symbols))
        args = split_top(inner, ",")
        if name == "Range":
            check_arity("Range", len(args), 1, 3)
            values = _set_elements(inner, symbols)
            try:
                return sympy.Range(*values)
            except (TypeError, ValueError) as exc:
                raise ParseError(f"bad Range {short(text)}: {first_line(exc)}; Range ends "
                                 "must be integers (declare e.g. 'n integer')") from None
        check_arity(name, len(args), 2, 2)
        return _interval(args[0], args[1], *_OPEN_SIDES[name], symbols, text)
    raise ParseError(f"cannot read set '{short(text)}'; use e.g. '[0, oo)', '(0, 1)', "
                     "'[0, 1] U [2, 3]', '{0, 1, 2}', 'Reals', 'Range(0, oo)'")


def _closes_at_end(text: str) -> bool:
    """True if the bracket opening ``text`` is the one closing it at the last character."""
    depth = 0
    for index, char in enumerate(text):
        depth += char in "([{"
        depth -= char in ")]}"
        if depth == 0:
            return index == len(text) - 1
    return False


def _split_union(text: str) -> list[str]:
    """Split at top-level '|', '\u222a', or a standalone 'U'."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        depth += char in "([{"
        depth -= char in ")]}"
        standalone_u = (char == "U" and (index == 0 or not (text[index - 1].isalnum()
                                                             or text[index - 1] in "_."))
                        and (index + 1 == len(text) or not (text[index + 1].isalnum()
                                                            or text[index + 1] == "_")))
        if depth == 0 and (char in "|\u222a" or standalone_u):
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _set_elements(inner: str, symbols: Mapping[str, Any] | None) -> list[sympy.Expr]:
    parts = [] if not inner.strip() else split_top(inner, ",")
    if len(parts) > MAX_SET_ELEMENTS:
        raise ParseError(f"too many elements (more than {MAX_SET_ELEMENTS})")
    values = [parse_expr(part, symbols) for part in parts]
    for value in values:
        need_expr(value, "set element")
    return values


def _interval(left: str, right: str, left_open: bool, right_open: bool,
              symbols: Mapping[str, Any] | None, shown: str) -> sympy.Set:
    low, high = parse_expr(left, symbols), parse_expr(right, symbols)
    for end in (low, high):
        need_expr(end, "interval endpoint")
    if sympy.Lt(high, low) is S.true or (low == high and (left_open or right_open)):
        raise ParseError(f"empty interval {short(shown)}: "
                         "the left end must be below the right end")
    result = sympy.Interval(low, high, left_open, right_open)
    if result == S.Reals:  # one spelling of the real line, whichever way it was written
        return S.Reals
    if result is S.EmptySet:
        raise ParseError(f"empty interval {short(shown)}")
    return result


def _combine(name: str, sets: list[sympy.Set], shown: str) -> sympy.Set:
    """Union or Intersection of parsed sets; sympy raises TypeError when it cannot decide
    where a symbolic end lies relative to another set's points."""
    try:
        return sympy.Union(*sets) if name == "Union" else sympy.Intersection(*sets)
    except (TypeError, ValueError) as exc:
        raise ParseError(f"cannot form the {name.lower()} {short(shown)}: {first_line(exc)}; "
                         "use numeric ends, or declare the symbols' signs") from None
