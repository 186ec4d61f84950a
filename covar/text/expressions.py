"""The expression reader: sympy expressions and conditions built from a screened AST.

Nothing is ever handed to ``eval``, ``sympify`` or sympy's ``parse_expr``: the tree from
:func:`covar.text.syntax.read_tree` is walked node by node, each node mapped through the
whitelist of :mod:`covar.text.vocabulary`, and every numeric value is guarded by
:mod:`covar.text.magnitudes`, so ``9**9**9`` fails in milliseconds.

>>> parse_expr("exp(-x^2/2) / sqrt(2*pi)")
sqrt(2)*exp(-x**2/2)/(2*sqrt(pi))
"""
from __future__ import annotations

import ast
import math
from typing import Any, Callable, Mapping

import sympy
from sympy.core.relational import Relational
from sympy.logic.boolalg import BooleanAtom, BooleanFunction

from covar.errors import CovarError, ParseError
from covar.text.limits import MAX_GROWTH_ARG, MAX_LITERAL_DIGITS, MAX_MINMAX_ARGS, first_line, short
from covar.text.magnitudes import check_result, check_value, exceeds, power
from covar.text.syntax import read_tree, same_chain
from covar.text.vocabulary import BUILTINS, FUNCTIONS, GROWTH, check_arity, did_you_mean, name_value

_BIN_SYMBOL: Mapping[type[ast.operator], str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
    ast.BitXor: "xor", ast.BitAnd: "&", ast.BitOr: "|", ast.FloorDiv: "//",
    ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>"}
_BIN_HINT: Mapping[type[ast.operator], str] = {ast.FloorDiv: "; use floor(a/b)"}
_COMPARE: Mapping[type[ast.cmpop], Callable[..., sympy.Basic]] = {
    ast.Lt: sympy.Lt, ast.LtE: sympy.Le, ast.Gt: sympy.Gt, ast.GtE: sympy.Ge,
    ast.Eq: sympy.Eq, ast.NotEq: sympy.Ne}
_COMPARE_NAME: Mapping[type[ast.cmpop], str] = {
    ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}


def parse_expr(text: str, symbols: Mapping[str, sympy.Basic] | None = None, *,
               functions: Mapping[str, Callable[..., Any]] | None = None) -> sympy.Expr:
    """Read ``text`` as a sympy expression or condition, using a whitelist only.

    Undeclared names become ``Symbol(name, real=True)``; ``symbols`` overrides that per name.
    Constants: ``pi``, ``E``, ``oo`` (also ``inf``). ``^`` is power. Conditions use
    ``< <= > >= == !=`` (chains allowed), ``&``, ``|``, ``~``, ``and``, ``or``, ``not``.
    Functions: :data:`~covar.text.vocabulary.FUNCTION_NAMES` plus ``functions`` (name ->
    callable of sympy args). ``cbrt`` and ``root(x, n)`` are real roots; ``sigmoid``/``expit``
    is 1/(1+exp(-x)), ``softplus`` is log(1+exp(x)), ``relu`` is Max(0, x).

    >>> parse_expr("x^2 + 2*x + 1")
    x**2 + 2*x + 1
    >>> parse_expr("0 < x < 1")
    (0 < x) & (x < 1)
    >>> parse_expr("sigmoid(x)")
    1/(1 + exp(-x))
    >>> parse_expr("__import__('os').system('ls')")
    Traceback (most recent call last):
    ...
    covar.errors.ParseError: calls of '__import__' are not allowed
    >>> parse_expr("9**9**9")
    Traceback (most recent call last):
    ...
    covar.errors.ParseError: exponent too large (|exponent| > 1000)
    """
    extra = functions or {}
    tree = read_tree(text, extra, tuple(symbols or ()))
    try:
        return check_result(Builder(symbols, extra).build(tree))
    except RecursionError:  # sympy itself may recurse on pathological shapes
        raise ParseError("expression nested too deeply") from None


def is_condition(value: object) -> bool:
    """True for a relation or logical combination of relations (including True and False)."""
    return isinstance(value, (Relational, BooleanFunction, BooleanAtom, sympy.Contains))


def need_expr(value: Any, where: str) -> None:
    """Reject a non-expression (a condition, a set, ...) where ``where`` needs a number."""
    if not isinstance(value, sympy.Expr):
        what = "a condition" if is_condition(value) else type(value).__name__
        raise ParseError(f"'{where}' needs a number or expression, got {what} ({short(value)})")


def _need_condition(value: Any, where: str) -> None:
    if not is_condition(value):
        raise ParseError(f"'{where}' needs conditions such as (x > 0), got {short(value)}; "
                         "note that & and | bind tighter than <, so write (x > 0) & (x < 1)")


class Builder:
    """Turns a screened AST into sympy objects; one instance per parse (no shared state)."""

    def __init__(self, symbols: Mapping[str, Any] | None,
                 functions: Mapping[str, Callable[..., Any]] | None) -> None:
        self.symbols = symbols or {}
        self.functions = functions or {}

    def build(self, node: ast.AST) -> Any:
        """The sympy value of ``node``, numerically guarded."""
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:  # unreachable after screening; kept so the builder is safe alone
            raise ParseError(f"'{type(node).__name__}' is not allowed")
        return check_value(method(node))

    def _Expression(self, node: ast.Expression) -> Any:
        return self.build(node.body)

    def _Constant(self, node: ast.Constant) -> Any:
        value = node.value
        if isinstance(value, bool):
            return sympy.true if value else sympy.false
        if isinstance(value, int):
            if abs(value) >= 10 ** MAX_LITERAL_DIGITS:
                raise ParseError(f"integer literal with more than {MAX_LITERAL_DIGITS} digits")
            return sympy.Integer(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ParseError("float literal out of range; write oo for infinity")
            return sympy.Float(value)
        # unreachable after screening (which names the construct); kept so the builder is safe alone
        raise ParseError(f"constant {value!r} is not allowed")

    def _Name(self, node: ast.Name) -> Any:
        name = node.id
        if name in self.symbols:
            value = self.symbols[name]
            # callers may declare plain numbers; arithmetic below needs sympy objects
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return sympy.Integer(value) if isinstance(value, int) else sympy.Float(value)
            return value
        return name_value(name)

    def _Tuple(self, node: ast.Tuple) -> Any:
        raise ParseError("tuples ('a, b') are not allowed; give one expression"
                         " (pairs are allowed only inside Piecewise)")

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        operand = self.build(node.operand)
        if isinstance(node.op, (ast.Not, ast.Invert)):
            _need_condition(operand, "not" if isinstance(node.op, ast.Not) else "~")
            return sympy.Not(operand)
        need_expr(operand, "-" if isinstance(node.op, ast.USub) else "+")
        return -operand if isinstance(node.op, ast.USub) else operand

    def _BinOp(self, node: ast.BinOp) -> Any:
        # walk the left spine of a flat chain ("a + b - c + ...") without recursion
        links = [node]
        while isinstance(links[-1].left, ast.BinOp) and same_chain(links[-1], links[-1].left):
            links.append(links[-1].left)
        value = self.build(links[-1].left)
        for link in reversed(links):
            value = check_value(_binary(link.op, value, self.build(link.right)))
        return value

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        word = "and" if isinstance(node.op, ast.And) else "or"
        values = [self.build(operand) for operand in node.values]
        for value in values:
            _need_condition(value, word)
        return sympy.And(*values) if word == "and" else sympy.Or(*values)

    def _Compare(self, node: ast.Compare) -> Any:
        left = self.build(node.left)
        relations = []
        for op, right_node in zip(node.ops, node.comparators):
            if type(op) in _COMPARE_NAME:
                raise ParseError(f"operator '{_COMPARE_NAME[type(op)]}' is not allowed; "
                                 "use <, <=, >, >=, ==, !=")
            right = self.build(right_node)
            for side in (left, right):
                need_expr(side, "comparison")
            try:
                relations.append(_COMPARE[type(op)](left, right))
            except (TypeError, ValueError) as exc:
                raise ParseError(f"cannot compare {short(left)} with {short(right)}: "
                                 f"{first_line(exc)}") from None
            left = right
        return relations[0] if len(relations) == 1 else sympy.And(*relations)

    def _Call(self, node: ast.Call) -> Any:
        if not isinstance(node.func, ast.Name):
            raise ParseError("only functions called by bare name are allowed, like exp(x)")
        name = node.func.id
        if node.keywords:
            raise ParseError(f"keyword arguments are not allowed ('{node.keywords[0].arg}=')")
        if name == "Piecewise" and name not in self.functions:
            return self._piecewise(node)
        args = [self.build(arg) for arg in node.args]
        if name in self.functions:
            try:
                return self.functions[name](*args)
            except CovarError:
                raise
            except (TypeError, ValueError, ArithmeticError) as exc:
                raise ParseError(f"bad arguments for {name}: {first_line(exc)}") from None
        if name not in FUNCTIONS:
            if name.startswith("_") or name in BUILTINS:
                raise ParseError(f"calls of '{name}' are not allowed")
            known = sorted(set(FUNCTIONS) | set(self.functions))
            hint = did_you_mean(name, known)
            if not hint and len(name) == 1:
                hint = f" (for a product write {name}*(...))"
            aliases = {"abs", "max", "min", "expit", "silu", "normcdf", "real_root"}  # shown by their twins
            shown = [k for k in known if k not in aliases]
            raise ParseError(f"unknown function '{name}'{hint}; known functions: {', '.join(shown)}")
        impl, fewest, most = FUNCTIONS[name]
        check_arity(name, len(args), fewest, most)
        if impl in (sympy.Max, sympy.Min) and len(args) > MAX_MINMAX_ARGS:
            raise ParseError(f"{name} takes at most {MAX_MINMAX_ARGS} arguments (got {len(args)}); "
                             f"nest calls such as {name}({name}(a, b), c) for more")
        for arg in args:
            need_expr(arg, f"{name}()")
            if name in GROWTH and arg.is_number and exceeds(arg, MAX_GROWTH_ARG):
                raise ParseError(f"argument of {name} too large (|argument| > {MAX_GROWTH_ARG})")
        try:
            return impl(*args)
        except CovarError:
            raise
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise ParseError(f"bad arguments for {name}: {first_line(exc)}") from None

    def _piecewise(self, node: ast.Call) -> Any:
        pairs = []
        for arg in node.args:
            if not (isinstance(arg, ast.Tuple) and len(arg.elts) == 2):
                raise ParseError("Piecewise takes (value, condition) pairs, "
                                 "e.g. Piecewise((x, x > 0), (0, True))")
            value, condition = (self.build(part) for part in arg.elts)
            need_expr(value, "Piecewise value")
            _need_condition(condition, "Piecewise condition")
            pairs.append((value, condition))
        if not pairs:
            raise ParseError("Piecewise needs at least one (value, condition) pair")
        try:
            return sympy.Piecewise(*pairs)
        except (TypeError, ValueError) as exc:
            raise ParseError(f"bad arguments for Piecewise: {first_line(exc)}") from None


def _binary(op: ast.operator, left: Any, right: Any) -> Any:
    kind = type(op)
    symbol = _BIN_SYMBOL.get(kind, type(op).__name__)
    if kind in (ast.BitAnd, ast.BitOr):
        _need_condition(left, symbol)
        _need_condition(right, symbol)
        return sympy.And(left, right) if kind is ast.BitAnd else sympy.Or(left, right)
    if kind not in (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow):  # "^" arrives as "**"
        raise ParseError(f"operator '{symbol}' is not allowed{_BIN_HINT.get(kind, '')}")
    need_expr(left, symbol)
    need_expr(right, symbol)
    try:
        if kind is ast.Add:
            return left + right
        if kind is ast.Sub:
            return left - right
        if kind is ast.Mult:
            return left * right
        if kind is ast.Div:
            if right.is_zero:
                raise ParseError("division by zero")
            return left / right
        return power(left, right)
    except (TypeError, ValueError, ArithmeticError) as exc:
        if isinstance(exc, CovarError):
            raise
        raise ParseError(f"cannot compute {short(left)} {symbol} {short(right)}: "
                         f"{first_line(exc)}") from None
