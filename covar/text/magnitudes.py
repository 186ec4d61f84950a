"""Numeric guards on values built from text: defined, real, and small enough to build quickly.

>>> power(sympy.Integer(2), sympy.Integer(10))
1024
>>> power(sympy.Integer(9), sympy.Integer(9) ** 9)
Traceback (most recent call last):
...
covar.errors.ParseError: exponent too large (|exponent| > 1000)
>>> check_value(sympy.zoo)
Traceback (most recent call last):
...
covar.errors.ParseError: undefined value (such as 1/0, log(0) or oo - oo)
"""
from __future__ import annotations

import math
from typing import Any

import sympy
from sympy import S

from covar.errors import ParseError
from covar.text.limits import MAX_DIGITS, MAX_EXPONENT, short

_BIG = sympy.Integer(10) ** MAX_DIGITS


def exceeds(value: sympy.Expr, limit: int) -> bool:
    """True if the number ``value`` is known to have absolute value above ``limit``."""
    if value in (S.Infinity, S.NegativeInfinity, S.ComplexInfinity):
        return True
    if value.is_Rational:
        return bool(abs(value) > limit)
    approx = _approx(value)
    return bool(approx.is_Number and abs(approx) > limit)


def check_value(value: Any) -> Any:
    """Reject a numeric result that is undefined, not real, or too large; pass others through."""
    if not isinstance(value, sympy.Expr) or not value.is_number:
        return value
    if value in (S.Infinity, S.NegativeInfinity):
        return value
    if value in (S.NaN, S.ComplexInfinity):
        raise ParseError("undefined value (such as 1/0, log(0) or oo - oo)")
    if value.is_Rational:
        # digits of numerator and denominator, via bit lengths: no huge int -> str conversion
        if max(abs(value.p).bit_length(), value.q.bit_length()) * math.log10(2) > MAX_DIGITS:
            raise ParseError(f"number too large (more than {MAX_DIGITS} digits)")
        return value
    approx = _approx(value)
    if approx.has(S.ImaginaryUnit):
        raise ParseError(f"{short(value)} is not real (covar works over the reals; "
                         "use cbrt(x) or root(x, n) for real roots)")
    if approx.is_Number and abs(approx) > _BIG:
        raise ParseError(f"number too large (more than {MAX_DIGITS} digits)")
    return value


def check_result(value: Any) -> Any:
    """Reject a finished result that contains an undefined or non-real part."""
    if isinstance(value, sympy.Basic) and value.has(S.NaN, S.ComplexInfinity):
        raise ParseError("undefined value (such as 1/0, log(0) or oo - oo)")
    if isinstance(value, sympy.Basic) and value.has(S.ImaginaryUnit):
        raise ParseError("result is not real: covar works over the reals")
    return value


def power(base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
    """``base**exponent``, refusing exponents and results that cannot be built quickly."""
    if exponent.is_number:
        if exceeds(exponent, MAX_EXPONENT):
            raise ParseError(f"exponent too large (|exponent| > {MAX_EXPONENT})")
        if base.is_number and not base.is_zero:
            size = _log10_abs(base)
            magnitude = _log10_abs(exponent) if not exponent.is_zero else None
            if size is not None and magnitude is not None:
                digits = abs(size) * 10 ** magnitude
                if digits > MAX_DIGITS:
                    raise ParseError(f"power too large (about {digits:.3g} digits; "
                                     f"at most {MAX_DIGITS})")
    return sympy.Pow(base, exponent)


def _approx(value: sympy.Expr) -> sympy.Expr:
    """15-digit value of a number; ParseError if sympy cannot evaluate it."""
    try:
        return value.evalf(15)
    except (ArithmeticError, ValueError, TypeError, RecursionError):  # e.g. PrecisionExhausted
        raise ParseError(f"cannot evaluate the number {short(value)}") from None


def _log10_abs(value: sympy.Expr) -> float | None:
    """log10 |value| of a nonzero number (cheap: values are already bounded), else None."""
    if value.is_Rational:
        return math.log10(abs(value.p)) - math.log10(value.q)
    approx = _approx(value)
    if not approx.is_Float or approx == 0:
        return None
    sign, mantissa, exponent, bits = approx._mpf_  # |v| = mantissa * 2**exponent
    return (math.log10(mantissa) + exponent * math.log10(2)) if mantissa else None
