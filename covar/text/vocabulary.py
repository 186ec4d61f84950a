"""The words user text may use: whitelisted functions with their arities, constants, and names.

Conventions: every undeclared name is a real symbol (``Symbol(name, real=True)``); ``I`` is
rejected because covar works over the reals; Python builtins and names starting with ``_``
are never symbols.

>>> "exp" in FUNCTION_NAMES and "eval" not in FUNCTION_NAMES
True
>>> name_value("pi"), name_value("sigma").is_real
(pi, True)
>>> check_arity("atan2", 1, 2, 2)
Traceback (most recent call last):
...
covar.errors.ParseError: atan2 takes 2 arguments (got 1)
"""
from __future__ import annotations

import builtins
import difflib
import keyword
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping

import sympy
from sympy import S

from covar.errors import ParseError
from covar.text.limits import short


def _sigmoid(x: sympy.Expr) -> sympy.Expr:
    return 1 / (1 + sympy.exp(-x))


def _softplus(x: sympy.Expr) -> sympy.Expr:
    return sympy.log(1 + sympy.exp(x))


def _normal_cdf(x: sympy.Expr) -> sympy.Expr:
    return (1 + sympy.erf(x / sympy.sqrt(2))) / 2


def _swish(x: sympy.Expr) -> sympy.Expr:
    return x / (1 + sympy.exp(-x))


def _gelu(x: sympy.Expr) -> sympy.Expr:
    return x * _normal_cdf(x)


def _relu(x: sympy.Expr) -> sympy.Expr:
    return sympy.Max(0, x)


def _root(x: sympy.Expr, n: sympy.Expr = S(3)) -> sympy.Expr:
    # sympy's cbrt/root are principal (complex for x < 0); over the reals users mean the real root
    if not (n.is_Integer and n > 0):
        raise ParseError(f"root(x, n) needs a positive integer n, got {n}")
    return sympy.real_root(x, n)


def _round(x: sympy.Expr) -> sympy.Expr:
    # round half up: the ties x = k + 1/2 carry no probability for a continuous x
    return sympy.floor(x + S.Half)


def _rational(p: sympy.Expr, q: sympy.Expr = S.One) -> sympy.Expr:
    if not (p.is_Integer and q.is_Integer):
        raise ParseError("Rational needs integers, e.g. Rational(1, 3); "
                         f"got Rational({short(p)}, {short(q)})")
    if q == 0:
        raise ParseError("division by zero in Rational(p, 0)")
    return sympy.Rational(p, q)


# name -> (implementation, fewest arguments, most arguments or None for any number)
FUNCTIONS: Mapping[str, tuple[Callable[..., Any], int, int | None]] = MappingProxyType({
    "exp": (sympy.exp, 1, 1), "log": (sympy.log, 1, 2), "ln": (sympy.log, 1, 1),
    "sqrt": (sympy.sqrt, 1, 1), "cbrt": (_root, 1, 1), "root": (_root, 2, 2),
    "real_root": (_root, 2, 2),
    "sin": (sympy.sin, 1, 1), "cos": (sympy.cos, 1, 1), "tan": (sympy.tan, 1, 1),
    "asin": (sympy.asin, 1, 1), "acos": (sympy.acos, 1, 1), "atan": (sympy.atan, 1, 1),
    "atan2": (sympy.atan2, 2, 2),
    "sinh": (sympy.sinh, 1, 1), "cosh": (sympy.cosh, 1, 1), "tanh": (sympy.tanh, 1, 1),
    "asinh": (sympy.asinh, 1, 1), "acosh": (sympy.acosh, 1, 1), "atanh": (sympy.atanh, 1, 1),
    "Abs": (sympy.Abs, 1, 1), "abs": (sympy.Abs, 1, 1), "sign": (sympy.sign, 1, 1),
    "Max": (sympy.Max, 1, None), "max": (sympy.Max, 1, None),
    "Min": (sympy.Min, 1, None), "min": (sympy.Min, 1, None),
    "floor": (sympy.floor, 1, 1), "ceiling": (sympy.ceiling, 1, 1), "frac": (sympy.frac, 1, 1),
    "round": (_round, 1, 1), "Mod": (sympy.Mod, 2, 2),
    "gamma": (sympy.gamma, 1, 1), "loggamma": (sympy.loggamma, 1, 1),
    "erf": (sympy.erf, 1, 1), "erfc": (sympy.erfc, 1, 1),
    "erfinv": (sympy.erfinv, 1, 1), "erfcinv": (sympy.erfcinv, 1, 1),
    "Phi": (_normal_cdf, 1, 1), "normcdf": (_normal_cdf, 1, 1), "beta": (sympy.beta, 2, 2),
    "binomial": (sympy.binomial, 2, 2), "factorial": (sympy.factorial, 1, 1),
    "LambertW": (sympy.LambertW, 1, 2), "Heaviside": (sympy.Heaviside, 1, 2),
    "sigmoid": (_sigmoid, 1, 1), "expit": (_sigmoid, 1, 1), "softplus": (_softplus, 1, 1),
    "swish": (_swish, 1, 1), "silu": (_swish, 1, 1), "gelu": (_gelu, 1, 1),
    "relu": (_relu, 1, 1), "Rational": (_rational, 1, 2),
    "Piecewise": (sympy.Piecewise, 1, None),  # arguments are (value, condition) pairs
})
FUNCTION_NAMES: tuple[str, ...] = tuple(sorted(FUNCTIONS))

# exact evaluation of these explodes (exp(10**9) digits, factorial(10**9)), so numeric
# arguments are bounded before sympy sees them
GROWTH = frozenset({"exp", "sinh", "cosh", "sigmoid", "expit", "softplus", "swish", "silu", "gamma",
                    "loggamma", "factorial", "binomial", "beta"})

_CONSTANTS: Mapping[str, sympy.Expr] = MappingProxyType(
    {"pi": S.Pi, "E": S.Exp1, "e": S.Exp1, "oo": S.Infinity, "inf": S.Infinity})
BUILTINS = frozenset(name for name in dir(builtins) if not name.startswith("_"))


def check_name(name: str) -> None:
    """Reject names that cannot be a user's symbol."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ParseError(f"'{name}' is not a valid name")
    if name.startswith("_"):
        raise ParseError(f"names starting with '_' are not allowed ('{name}')")
    if name == "I":
        raise ParseError("'I' (the imaginary unit) is not allowed: covar works over the reals")
    if name in _CONSTANTS:
        raise ParseError(f"'{name}' is a constant, not a symbol")
    if name in BUILTINS:
        raise ParseError(f"name '{name}' is a Python builtin and not allowed as a symbol")


def name_value(name: str) -> sympy.Expr:
    """The constant or real symbol a bare (undeclared) name stands for."""
    if name in _CONSTANTS:
        return _CONSTANTS[name]
    check_name(name)
    return sympy.Symbol(name, real=True)


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``" (did you mean 'X'?)"`` for the known words closest to a misspelt ``name``, or ``""``.

    >>> did_you_mean("Normall", ["Normal", "LogNormal", "Gamma"])
    " (did you mean 'Normal'?)"
    >>> did_you_mean("zzz", ["Normal"])
    ''
    """
    by_lower: dict[str, str] = {}
    for word in known:
        by_lower.setdefault(word.lower(), word)
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=2, cutoff=0.8)
    if not close:
        return ""
    return " (did you mean " + " or ".join(f"'{by_lower[c]}'" for c in close) + "?)"


def check_arity(name: str, count: int, fewest: int, most: int | None) -> None:
    """Reject a call of ``name`` with ``count`` arguments outside ``fewest..most``."""
    if fewest <= count and (most is None or count <= most):
        return
    if most is None:
        wanted = f"at least {fewest}"
    elif fewest == most:
        wanted = f"{fewest}"
    else:
        wanted = f"{fewest} or {most}" if most == fewest + 1 else f"{fewest} to {most}"
    plural = "" if wanted.endswith(" 1") or wanted == "1" else "s"
    raise ParseError(f"{name} takes {wanted} argument{plural} (got {count})")
