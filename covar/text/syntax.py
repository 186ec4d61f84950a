"""From user text to a screened Python AST: syntax, brackets, size, nesting and allowed nodes.

Text is parsed with :func:`ast.parse` and the tree is *screened* against a whitelist of node
types before anything is built; nothing is ever handed to ``eval``, ``sympify`` or sympy's
``parse_expr``. ``^`` means power, as users type it (not XOR).

>>> ast.dump(read_tree("x^2", {}).body)
"BinOp(left=Name(id='x', ctx=Load()), op=Pow(), right=Constant(value=2))"
>>> read_tree("__import__('os').system('ls')", {})
Traceback (most recent call last):
...
covar.errors.ParseError: calls of '__import__' are not allowed
>>> split_top("[0, 1), 2", ",")
['[0, 1)', ' 2']
"""
from __future__ import annotations

import ast
import warnings
from typing import Any, Collection, Mapping

from covar.errors import ParseError
from covar.text.notation import rewrite
from covar.text.limits import MAX_DEPTH, MAX_NODES, check_length, first_line, short
from covar.text.vocabulary import BUILTINS, FUNCTIONS

# left-nested chains of these operators ("a+b-c+d") are flat in the user's eyes: they are
# walked iteratively and do not count towards the nesting limit
_CHAIN: Mapping[type[ast.operator], str] = {
    ast.Add: "add", ast.Sub: "add", ast.Mult: "mul", ast.Div: "mul",
    ast.BitAnd: "and", ast.BitOr: "or"}

_FORBIDDEN: Mapping[type[ast.AST], str] = {
    ast.Subscript: "subscripts ('x[...]') are not allowed",
    ast.Slice: "slices are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed", ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed",
    ast.JoinedStr: "f-strings are not allowed", ast.FormattedValue: "f-strings are not allowed",
    ast.NamedExpr: "':=' is not allowed",
    ast.IfExp: "'a if c else b' is not allowed; use Piecewise((a, c), (b, True))",
    ast.List: "lists ('[...]') are not allowed", ast.Set: "sets ('{...}') are not allowed",
    ast.Dict: "dicts are not allowed", ast.Starred: "starred arguments ('*args') are not allowed",
    ast.Await: "'await' is not allowed", ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
}
# node types the builder understands; operators and contexts are checked where they are used
_ALLOWED = (ast.Expression, ast.Constant, ast.Name, ast.UnaryOp, ast.BinOp, ast.BoolOp,
            ast.Compare, ast.Call, ast.Tuple)
_NOT_COUNTED = (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)


def read_tree(text: str, functions: Mapping[str, Any],
              declared: Collection[str] = ()) -> ast.Expression:
    """Parse ``text`` as one Python expression and screen it; ``functions`` are extra callables,
    ``declared`` the names that are symbols (``x(1 - x)`` multiplies). The notations of
    :mod:`covar.text.notation` (``2x``, ``x²``, ``√x``, ``^``) are rewritten first."""
    tree = _parse(rewrite(check_length(text), declared, {*FUNCTIONS, *functions}))
    _screen(tree, functions)
    return tree


def same_chain(parent: ast.AST, child: ast.AST) -> bool:
    """True if ``child`` continues the flat chain of ``parent`` ("a + b" in "a + b - c")."""
    return (isinstance(parent, ast.BinOp) and isinstance(child, ast.BinOp)
            and child is parent.left and _CHAIN.get(type(parent.op)) is not None
            and _CHAIN.get(type(parent.op)) == _CHAIN.get(type(child.op)))


def split_top(text: str, separators: str) -> list[str]:
    """Split at separators outside any brackets (bracket kinds may differ: '[0, 1)')."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                raise ParseError(f"unbalanced brackets: unexpected '{char}' in '{short(text)}'")
        elif char in separators and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    if depth:
        raise ParseError(f"unbalanced brackets: a bracket is never closed in '{short(text)}'")
    parts.append(text[start:])
    return parts


def _bracket_problem(text: str) -> str | None:
    """Describe the first unbalanced or mismatched bracket, or None if all match."""
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[tuple[str, int]] = []
    for col, char in enumerate(text, 1):
        if char in "([{":
            stack.append((char, col))
        elif char in pairs:
            if not stack:
                return f"unbalanced brackets: unexpected '{char}' at column {col}"
            opener, where = stack.pop()
            if opener != pairs[char]:
                return (f"unbalanced brackets: '{opener}' at column {where} "
                        f"is closed by '{char}' at column {col}")
    if stack:
        opener, where = stack[-1]
        return f"unbalanced brackets: '{opener}' at column {where} is never closed"
    return None


def _syntax_problem(text: str, exc: SyntaxError) -> str:
    """What is wrong where, in words: a dangling operator, or the column and the text there.

    >>> _syntax_problem("x**2 +", SyntaxError("invalid syntax"))
    "the expression ends with '+': write what it applies to (e.g. 'x**2 + 1')"
    >>> _syntax_problem("x +* 2", SyntaxError("invalid syntax", ("", 1, 4, "", 1, 5)))
    "invalid syntax at column 4, at '* 2': check the operators there"
    """
    body = text.rstrip()
    if body and body[-1] in "+-*/^%,=<>&|":
        operator = body[-2:] if body[-2:] in ("**", "//", "<=", ">=", "==") else body[-1]
        return (f"the expression ends with '{operator}': write what it applies to "
                f"(e.g. '{body} 1')")
    detail = "" if exc.msg in ("invalid syntax", "") else f" ({exc.msg})"
    if not exc.offset:
        return f"invalid syntax{detail}: check the operators and brackets"
    return (f"invalid syntax at column {exc.offset}, at {text[exc.offset - 1:exc.offset + 4]!r}{detail}: "
            "check the operators there")


def _parse(text: str) -> ast.Expression:
    try:
        # ast.parse prints SyntaxWarnings ("invalid decimal literal") for text we reject or
        # accept anyway: noise, not news. (catch_warnings is scoped, though not thread-safe.)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text, mode="eval")
    except SyntaxError as exc:
        if ";" in text:
            message = "only one expression is allowed (found ';')"
        else:
            message = _bracket_problem(text) or _syntax_problem(text, exc)
        raise ParseError(message) from None
    except (RecursionError, MemoryError):
        # CPython's parser gives up on very deep nesting with these rather than SyntaxError
        raise ParseError("expression nested too deeply to parse") from None
    except SystemError as exc:  # CPython 3.11 < 3.11.8 (gh-106905): "AST constructor recursion
        # depth mismatch", seen rarely and irreproducibly under the fuzz test
        raise ParseError(f"Python's parser failed on this input ({first_line(exc)})") from None
    except ValueError as exc:  # e.g. null bytes
        raise ParseError(f"cannot parse input: {first_line(exc)}") from None


def _offense(node: ast.AST, functions: Mapping[str, Any]) -> tuple[int, str] | None:
    """Rank and message of a forbidden construct (rank 0 is the most telling), or None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        if name.startswith("_") or (name in BUILTINS and name not in FUNCTIONS
                                    and name not in functions):
            return 0, f"calls of '{name}' are not allowed"
    if isinstance(node, ast.Attribute):
        return 1, f"attribute access is not allowed ('.{node.attr}')"
    if isinstance(node, ast.Name) and node.id.startswith("_"):
        return 2, f"names starting with '_' are not allowed ('{node.id}')"
    if isinstance(node, ast.keyword):
        return 3, f"keyword arguments are not allowed ('{node.arg or '**'}=')"
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (str, bytes)):
            return 3, "strings are not allowed"
        if isinstance(node.value, complex):
            return 3, "complex numbers are not allowed: covar works over the reals"
        if node.value is None or node.value is Ellipsis:
            return 3, f"'{node.value}' is not allowed"
        return None
    if isinstance(node, _ALLOWED):
        return None
    return 3, _FORBIDDEN.get(type(node), f"'{type(node).__name__}' is not allowed")


def _screen(tree: ast.Expression, functions: Mapping[str, Any]) -> None:
    """Bound size and nesting, then report the most telling forbidden construct, if any.

    Runs over the whole tree before anything is built, so that ``__import__('os').system('x')``
    is reported as the call of ``__import__`` rather than as whatever the builder meets first.
    """
    count = 0
    worst: tuple[int, int, int, int, str] | None = None
    # position = nearest (line, column) on the way down: helper nodes such as a lambda's
    # 'arguments' have none, and must not outrank the construct they belong to
    stack: list[tuple[ast.AST, int, tuple[int, int]]] = [(tree.body, 1, (0, 0))]
    while stack:
        node, depth, position = stack.pop()
        if hasattr(node, "col_offset"):
            position = (getattr(node, "lineno"), getattr(node, "col_offset"))
        count += 1
        if count > MAX_NODES:
            raise ParseError(f"expression too large (more than {MAX_NODES} nodes)")
        if depth > MAX_DEPTH:
            raise ParseError(f"expression nested too deeply (more than {MAX_DEPTH} levels)")
        found = _offense(node, functions)
        if found is not None:
            key = (found[0], *position, depth, found[1])
            worst = key if worst is None or key < worst else worst
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, _NOT_COUNTED):
                stack.append((child, depth if same_chain(node, child) else depth + 1, position))
    if worst is not None:
        raise ParseError(worst[-1])
