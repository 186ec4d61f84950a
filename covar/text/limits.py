"""Size limits on user text, the length check at every reader's front door, and short messages.

Every reader of user text (expressions, calls, sets, assumptions, values) bounds its input with
these limits before anything expensive runs, so hostile input fails in milliseconds.

>>> check_length("  x**2 ")
'x**2'
>>> short("x" * 100, 10)
'xxxxxxxxxx...'
"""
from __future__ import annotations

from typing import Any

from covar.errors import ParseError

MAX_TEXT = 10_000        # characters; checked before ast.parse so huge input costs nothing
MAX_NODES = 2_000        # AST nodes (operators and load contexts are not counted)
MAX_DEPTH = 100          # nesting of AST nodes; long flat sums/products do not count
MAX_LITERAL_DIGITS = 100  # integer literals
MAX_EXPONENT = 1_000     # |exponent| of any power whose exponent is a number
MAX_DIGITS = 1_000       # digits of any numeric sub-expression (value, numerator, denominator)
MAX_GROWTH_ARG = 1_000   # |numeric argument| of exp, gamma, factorial, ...: their values explode
MAX_SET_PARTS = 100      # pieces of a union, arguments of Union(...)
MAX_SET_ELEMENTS = 1_000  # elements of {a, b, ...}
MAX_SET_DEPTH = 20       # nesting of set constructs: "(([0, 1]))", "Union(Union(...))"
MAX_MINMAX_ARGS = 20     # arguments of Max/Min: sympy compares them pairwise (worse than n**2)
MAX_ASSUMPTIONS = 100    # statements in one call of parse_assumptions


def check_length(text: object) -> str:
    """``text`` stripped, if it is a non-empty string of at most :data:`MAX_TEXT` characters."""
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise ParseError(f"input longer than {MAX_TEXT} characters ({len(text)})")
    if not text.strip():
        raise ParseError("empty input; expected an expression such as 'x**2'")
    return text.strip()


def short(value: Any, width: int = 60) -> str:
    """``str(value)``, cut to ``width`` characters for an error message."""
    text = str(value)
    return text if len(text) <= width else text[:width] + "..."


def first_line(exc: BaseException) -> str:
    """An exception's message on one line, even when sympy's own are multi-line."""
    lines = str(exc).strip().splitlines()
    return short(lines[0] if lines else type(exc).__name__, 120)
