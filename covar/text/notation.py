"""Notation people type (``2x``, ``x²``, ``√x``, ``e^x``, ``π``, ``sin x``) rewritten into plain Python tokens.

This pass runs before :func:`ast.parse`; it never evaluates anything: it only inserts ``*``,
brackets and ``**`` between the tokens of Python's :mod:`tokenize`, so the result still goes
through the same whitelist walk. What it rewrites:

- ``^`` is power (``**``), with power's precedence: ``x^2 + 1`` is ``x**2 + 1``;
- unicode: superscripts ``x²``, ``x⁻¹``; ``√`` (square root of what follows); ``π``; ``∞``;
  ``−`` (minus), ``×``, ``·``, ``÷``;
- implicit multiplication: a number or ``)`` followed by a name or ``(`` (``2x``, ``2 x``,
  ``1e-3x``, ``2(x+1)``, ``(x+1)(x-1)``), and two names in a row (``a x``). Names are never
  split (``x2``, ``log2`` stay names) and a number is never split (``1e-3``);
- a name followed by ``(`` is a call (``f(x)``), except for the declared symbols (``x(1 - x)``
  is a product when ``x`` is the variable) and for a lower-case name that is not a function,
  followed by a space (``x (y)``);
- a function name followed by an operand without brackets applies to that operand and its
  powers: ``sin x`` is ``sin(x)``, ``√x²`` is ``sqrt(x**2)``, ``2 ln x`` is ``2*ln(x)``.

``e`` and ``π`` become constants in :mod:`covar.text.vocabulary`, not here.

>>> rewrite("2x^2 + 3x(1 - x)", {"x"}, set())
'2*x**2 + 3*x*(1 - x)'
>>> rewrite("√x + x² + e^-x", set(), {"sqrt"})
'sqrt (x) + x**(2) + e**-x'
>>> rewrite("x2 + log2(x) + 1e-3x", set(), set())
'x2 + log2(x) + 1e-3*x'
"""
from __future__ import annotations

import io
import keyword
import tokenize
from typing import Collection, NamedTuple

from covar.errors import ParseError
from covar.text.limits import MAX_DEPTH

# characters Python's tokenizer does not read as operators; padded with spaces so that
# "2π" and "πx" become two tokens each
_CHARACTERS = {"\u2212": "-", "\u00d7": "*", "\u00b7": "*", "\u22c5": "*", "\u00f7": "/",
               "\u221e": " oo ", "\u03c0": " pi ", "\u221a": " sqrt "}
_SUPERSCRIPTS = dict(zip("\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b\u207a",
                         "0123456789-+"))
_POWER = ("**", "^")
_SIGNS = ("-", "+")
_SKIPPED = (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT)


class _Token(NamedTuple):
    kind: int
    text: str
    start: int  # offsets into the (character-rewritten) text
    end: int


def rewrite(text: str, declared: Collection[str], functions: Collection[str]) -> str:
    """``text`` with the notations above spelled in plain Python; unchanged when none is used.

    ``declared`` are names that are symbols (a name followed by ``(`` multiplies);
    ``functions`` are names that are called (``sin x`` applies sin to x). Text the tokenizer
    cannot read is returned as it is, for :func:`ast.parse` to report.
    """
    text = _characters(text).strip()
    tokens = _tokens(text)
    if tokens is None:
        return text
    out: list[str] = []
    closers = [0] * (len(tokens) + 1)
    openers = [0] * (len(tokens) + 1)
    for index, token in enumerate(tokens):
        if _is_function(token, functions) and index + 1 < len(tokens) \
                and _starts_bare_operand(tokens[index + 1]):
            end = _operand_end(tokens, index + 1, declared, functions)
            if end is not None:
                openers[index + 1] += 1
                closers[end] += 1
    previous = 0
    for index, token in enumerate(tokens):
        out.append(")" * closers[index])
        if index and _multiplies(tokens[index - 1], token, declared, functions):
            out.append("*")
        out.append(text[previous:token.start])
        out.append("(" * openers[index])
        out.append("**" if token.kind == tokenize.OP and token.text == "^" else token.text)
        previous = token.end
    out.append(")" * closers[len(tokens)])
    out.append(text[previous:])
    return "".join(out)


def _characters(text: str) -> str:
    """Unicode operators and superscripts as ASCII (a run of superscripts is one exponent)."""
    out: list[str] = []
    run: list[str] = []
    for char in text + "\0":
        if char in _SUPERSCRIPTS:
            run.append(_SUPERSCRIPTS[char])
            continue
        if run:
            out.append(f"**({''.join(run)})")
            run = []
        out.append(_CHARACTERS.get(char, char))
    return "".join(out)[:-1]


def _tokens(text: str) -> list[_Token] | None:
    """The tokens of ``text`` with offsets, or None when the tokenizer gives up."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    try:
        raw = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):  # unbalanced brackets, bad indentation...
        return None
    tokens = [_Token(t.type, t.string, starts[t.start[0] - 1] + t.start[1],
                     starts[t.end[0] - 1] + t.end[1]) for t in raw if t.type not in _SKIPPED]
    if any(t.kind == tokenize.ERRORTOKEN and not t.text.isspace() for t in tokens):
        return None  # a character Python cannot read: ast.parse says which
    return [t for t in tokens if t.kind != tokenize.ERRORTOKEN]


def _is_name(token: _Token) -> bool:
    return token.kind == tokenize.NAME and not keyword.iskeyword(token.text)


def _is_function(token: _Token, functions: Collection[str]) -> bool:
    return _is_name(token) and token.text in functions


def _is_op(token: _Token, *texts: str) -> bool:
    return token.kind == tokenize.OP and token.text in texts


def _starts_bare_operand(token: _Token) -> bool:
    """A token that may follow a function name as its unbracketed argument ("sin x")."""
    return _is_name(token) or token.kind == tokenize.NUMBER


def _is_call(name: _Token, bracket: _Token, declared: Collection[str],
             functions: Collection[str]) -> bool:
    """Whether ``name (`` opens a call (True) or multiplies a bracket (False)."""
    if name.text in functions:
        return True
    if name.text in declared:
        return False
    spaced = bracket.start > name.end
    return not (spaced and name.text[:1].islower())


def _multiplies(left: _Token, right: _Token, declared: Collection[str],
                functions: Collection[str]) -> bool:
    """Whether an implicit ``*`` belongs between two adjacent tokens."""
    ends = (left.kind == tokenize.NUMBER and not left.text.lower().endswith("j")) \
        or (_is_name(left) and left.text not in functions) or _is_op(left, ")")
    if not ends:
        return False
    if _is_op(right, "("):
        return not (_is_name(left) and _is_call(left, right, declared, functions))
    return _is_name(right)


def _operand_end(tokens: list[_Token], index: int, declared: Collection[str],
                 functions: Collection[str], depth: int = 0) -> int | None:
    """Index just past the operand starting at ``index``: a primary (number, name, call,
    bracket, or a bare function application) and the powers that follow it; None if none."""
    if depth > MAX_DEPTH:
        raise ParseError(f"expression nested too deeply (more than {MAX_DEPTH} levels)")
    if index >= len(tokens):
        return None
    token = tokens[index]
    if _is_function(token, functions) and index + 1 < len(tokens) \
            and _starts_bare_operand(tokens[index + 1]):
        return _operand_end(tokens, index + 1, declared, functions, depth + 1)
    if _is_op(token, "("):
        end = _after_bracket(tokens, index)
    elif _is_name(token) or token.kind == tokenize.NUMBER:
        end = index + 1
        if _is_name(token) and end < len(tokens) and _is_op(tokens[end], "(") \
                and _is_call(token, tokens[end], declared, functions):
            end = _after_bracket(tokens, end)
    else:
        return None
    while end is not None and end < len(tokens) and _is_op(tokens[end], *_POWER):
        start = end + 1
        while start < len(tokens) and _is_op(tokens[start], *_SIGNS):
            start += 1
        following = _operand_end(tokens, start, declared, functions, depth + 1)
        if following is None:
            break
        end = following
    return end


def _after_bracket(tokens: list[_Token], index: int) -> int | None:
    """Index just past the bracket matching the one at ``index``, or None if unmatched."""
    depth = 0
    for position in range(index, len(tokens)):
        if _is_op(tokens[position], "(", "[", "{"):
            depth += 1
        elif _is_op(tokens[position], ")", "]", "}"):
            depth -= 1
            if depth == 0:
                return position + 1
    return None
