"""Values a user hands to the public API (text, sympy objects, numbers) turned into sympy safely.

This is the only place where covar turns a foreign value into sympy: ``sympify`` is never
applied to a user's string (text goes through the whitelist readers).

>>> as_sympy("0 < x"), as_sympy(3)
(0 < x, 3)
"""
from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any, Mapping

import numpy
import sympy

from covar.errors import ParseError
from covar.text.expressions import is_condition, parse_expr
from covar.text.limits import MAX_DIGITS, first_line, short
from covar.text.sets import parse_set


def as_sympy(value: Any, symbols: Mapping[str, sympy.Basic] | None = None, *,
             what: str = "expression") -> sympy.Basic:
    """Any value a user may pass where covar wants a sympy object, converted without running it.

    Text goes through :func:`~covar.text.expressions.parse_expr` (the whitelist reader) with
    ``symbols`` as its name -> symbol map; sympy objects are returned unchanged; Python and numpy
    real scalars (bool, int, float, Fraction, Decimal) are converted exactly. Anything else raises
    :class:`~covar.errors.ParseError` (so does a NaN or complex number). ``what`` names the value
    in messages. The result may be an expression or a condition; see :func:`as_expression` for a
    value that must be an expression.

    >>> as_sympy("0 < x")
    0 < x
    >>> as_sympy(0.5), as_sympy(3)
    (0.500000000000000, 3)
    >>> as_sympy("__import__('os').system('ls')")
    Traceback (most recent call last):
    ...
    covar.errors.ParseError: calls of '__import__' are not allowed
    """
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, str):
        return parse_expr(value, symbols)
    number = _plain_number(value)
    if number is not None:
        return number
    raise ParseError(f"cannot use {short(repr(value))} ({type(value).__name__}) as the {what}; "
                     "pass text such as 'exp(-x)', a sympy expression, or a number")


def as_expression(value: Any, symbols: Mapping[str, sympy.Basic] | None = None, *,
                  what: str = "expression") -> sympy.Expr:
    """:func:`as_sympy`, and the result must be an expression (not a condition, set, matrix).

    >>> as_expression("exp(-x)")
    exp(-x)
    >>> as_expression("x > 0", what="pdf")
    Traceback (most recent call last):
    ...
    covar.errors.ParseError: the pdf must be an expression such as 'exp(-x)', got the condition x > 0
    """
    result = as_sympy(value, symbols, what=what)
    if not isinstance(result, sympy.Expr):
        kind = "condition" if is_condition(result) else type(result).__name__
        raise ParseError(f"the {what} must be an expression such as 'exp(-x)', "
                         f"got the {kind} {short(result)}")
    return result


def as_set(value: Any, symbols: Mapping[str, sympy.Basic] | None = None, *,
           what: str = "support") -> sympy.Set:
    """A sympy Set as is, or text read by :func:`~covar.text.sets.parse_set`; else ParseError.

    >>> as_set("[0, oo)")
    Interval(0, oo)
    """
    if isinstance(value, sympy.Set):
        return value
    if isinstance(value, str):
        return parse_set(value, symbols)
    raise ParseError(f"cannot use {short(repr(value))} ({type(value).__name__}) as the {what}; "
                     "pass a sympy Set such as Interval(0, oo) or text such as '[0, oo)'")


def check_parameter_values(values: Mapping[str, Any]) -> Mapping[str, Any]:
    """``values`` unchanged if no value is text; ParseError otherwise.

    Parameter values (``numpy()(ys, mu=1.0)``, ``sample(..., **values)``, ``to_scipy``) end up
    in sympy's ``subs``/``xreplace``, which would read a string with ``sympify``: text is
    refused here instead. Numbers and arrays pass through.

    >>> check_parameter_values({"mu": 1.0})
    {'mu': 1.0}
    """
    for name, value in values.items():
        if isinstance(value, (str, bytes)):
            raise ParseError(f"the value of parameter '{short(name)}' is text ({short(repr(value))}); "
                             "pass a number (parse text with covar.text.expressions.parse_expr first)")
    return values


def _plain_number(value: Any) -> sympy.Basic | None:
    """The exact sympy value of a Python/numpy real scalar, or None if ``value`` is not one."""
    if isinstance(value, (complex, numpy.complexfloating)):
        raise ParseError(f"complex number {value!r} given: covar works over the reals")
    if isinstance(value, numpy.ndarray) and value.ndim == 0:
        value = value[()]
    if not isinstance(value, (bool, int, float, Fraction, Decimal, numpy.bool_, numpy.integer,
                              numpy.floating)):
        return None
    if value.is_nan() if isinstance(value, Decimal) else value != value:  # NaN
        raise ParseError("a NaN was given where a number or expression is needed")
    if isinstance(value, (int, numpy.integer)) and not isinstance(value, (bool, numpy.bool_)) \
            and int(value).bit_length() * math.log10(2) > MAX_DIGITS:
        raise ParseError(f"number too large (more than {MAX_DIGITS} digits)")
    try:
        return sympy.sympify(value, strict=True)  # strict: never falls back to reading text
    except (sympy.SympifyError, TypeError, ValueError, ArithmeticError) as exc:
        raise ParseError(f"cannot convert {short(repr(value))}: {first_line(exc)}") from None
