"""Distribution calls in user text: ``Name(arg, ...)`` split into the name and its parsed args.

>>> parse_call("Gamma(alpha, beta)")
('Gamma', (alpha, beta))
"""
from __future__ import annotations

import ast
from typing import Any, Mapping

import sympy

from covar.errors import ParseError
from covar.text.expressions import Builder
from covar.text.magnitudes import check_result
from covar.text.syntax import read_tree
from covar.text.vocabulary import FUNCTIONS


def parse_call(text: str, symbols: Mapping[str, sympy.Basic] | None = None
               ) -> tuple[str, tuple[Any, ...]] | None:
    """Split ``Name(arg, ...)`` into the name and its parsed arguments.

    Returns None when ``text`` is not a call, or calls a known math function (so the caller
    can fall back to :func:`covar.text.expressions.parse_expr`). Unsafe text raises
    :class:`~covar.errors.ParseError` either way.

    >>> parse_call("Normal(mu, 2*sigma)")
    ('Normal', (mu, 2*sigma))
    >>> parse_call("exp(-x)") is None, parse_call("x**2") is None
    (True, True)
    >>> parse_call("exec('x')")
    Traceback (most recent call last):
    ...
    covar.errors.ParseError: calls of 'exec' are not allowed
    """
    body = read_tree(text, {}, tuple(symbols or ())).body
    if not (isinstance(body, ast.Call) and isinstance(body.func, ast.Name)) \
            or body.func.id in FUNCTIONS:
        return None
    if body.keywords:
        raise ParseError(f"keyword arguments are not allowed ('{body.keywords[0].arg}=')")
    builder = Builder(symbols, None)
    try:
        return body.func.id, tuple(check_result(builder.build(arg)) for arg in body.args)
    except RecursionError:
        raise ParseError("expression nested too deeply") from None
