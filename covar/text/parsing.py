"""Safe reading of user text: expressions, distribution calls, assumptions and sets.

Text is parsed with :func:`ast.parse` and then *walked* against a whitelist; nothing is ever
handed to ``eval``, ``sympify`` or sympy's ``parse_expr``, so ``__import__('os')`` is a
:class:`~covar.errors.ParseError`, never a call. Size guards (text length, node count, nesting,
literal digits, exponents, magnitudes of numeric sub-expressions) run before anything
expensive, so hostile input such as ``9**9**9`` fails in milliseconds.

Conventions: every name is a real symbol (``Symbol(name, real=True)``) unless the caller
declares it; ``^`` means power, as users type it (not XOR); ``I`` is rejected because covar
works over the reals.

>>> parse_expr("exp(-x^2/2) / sqrt(2*pi)")
sqrt(2)*exp(-x**2/2)/(2*sqrt(pi))
>>> parse_call("Gamma(alpha, beta)")
('Gamma', (alpha, beta))
>>> parse_assumptions("sigma>0, n positive integer")
{'sigma': {'positive': True}, 'n': {'positive': True, 'integer': True}}
>>> parse_set("[0, 1] U (2, oo)")
Union(Interval(0, 1), Interval.open(2, oo))
"""
from __future__ import annotations

import ast
import builtins
import keyword
import math
import re
import warnings
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping

import sympy
from sympy import S
from sympy.core.facts import InconsistentAssumptions
from sympy.core.relational import Relational
from sympy.logic.boolalg import BooleanAtom, BooleanFunction

from covar.errors import CovarError, ParseError

__all__ = [
    "FUNCTION_NAMES", "make_symbols", "parse_assumptions", "parse_call", "parse_expr",
    "parse_set",
]

# --- limits -------------------------------------------------------------------------------
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

_BIG = sympy.Integer(10) ** MAX_DIGITS


# --- the whitelist ------------------------------------------------------------------------
def _sigmoid(x: sympy.Expr) -> sympy.Expr:
    return 1 / (1 + sympy.exp(-x))


def _softplus(x: sympy.Expr) -> sympy.Expr:
    return sympy.log(1 + sympy.exp(x))


def _relu(x: sympy.Expr) -> sympy.Expr:
    return sympy.Max(0, x)


def _root(x: sympy.Expr, n: sympy.Expr = S(3)) -> sympy.Expr:
    # sympy's cbrt/root are principal (complex for x < 0); over the reals users mean the real root
    if not (n.is_Integer and n > 0):
        raise ParseError(f"root(x, n) needs a positive integer n, got {n}")
    return sympy.real_root(x, n)


def _rational(p: sympy.Expr, q: sympy.Expr = S.One) -> sympy.Expr:
    if not (p.is_Integer and q.is_Integer):
        raise ParseError("Rational needs integers, e.g. Rational(1, 3); "
                         f"got Rational({_short(p)}, {_short(q)})")
    if q == 0:
        raise ParseError("division by zero in Rational(p, 0)")
    return sympy.Rational(p, q)


# name -> (implementation, fewest arguments, most arguments or None for any number)
_FUNCTIONS: Mapping[str, tuple[Callable[..., Any], int, int | None]] = MappingProxyType({
    "exp": (sympy.exp, 1, 1), "log": (sympy.log, 1, 2), "ln": (sympy.log, 1, 1),
    "sqrt": (sympy.sqrt, 1, 1), "cbrt": (_root, 1, 1), "root": (_root, 2, 2),
    "sin": (sympy.sin, 1, 1), "cos": (sympy.cos, 1, 1), "tan": (sympy.tan, 1, 1),
    "asin": (sympy.asin, 1, 1), "acos": (sympy.acos, 1, 1), "atan": (sympy.atan, 1, 1),
    "atan2": (sympy.atan2, 2, 2),
    "sinh": (sympy.sinh, 1, 1), "cosh": (sympy.cosh, 1, 1), "tanh": (sympy.tanh, 1, 1),
    "asinh": (sympy.asinh, 1, 1), "acosh": (sympy.acosh, 1, 1), "atanh": (sympy.atanh, 1, 1),
    "Abs": (sympy.Abs, 1, 1), "abs": (sympy.Abs, 1, 1), "sign": (sympy.sign, 1, 1),
    "Max": (sympy.Max, 1, None), "max": (sympy.Max, 1, None),
    "Min": (sympy.Min, 1, None), "min": (sympy.Min, 1, None),
    "floor": (sympy.floor, 1, 1), "ceiling": (sympy.ceiling, 1, 1),
    "gamma": (sympy.gamma, 1, 1), "loggamma": (sympy.loggamma, 1, 1),
    "erf": (sympy.erf, 1, 1), "erfc": (sympy.erfc, 1, 1), "beta": (sympy.beta, 2, 2),
    "binomial": (sympy.binomial, 2, 2), "factorial": (sympy.factorial, 1, 1),
    "LambertW": (sympy.LambertW, 1, 2), "Heaviside": (sympy.Heaviside, 1, 2),
    "sigmoid": (_sigmoid, 1, 1), "expit": (_sigmoid, 1, 1), "softplus": (_softplus, 1, 1),
    "relu": (_relu, 1, 1), "Rational": (_rational, 1, 2),
    "Piecewise": (sympy.Piecewise, 1, None),  # arguments are (value, condition) pairs
})
FUNCTION_NAMES: tuple[str, ...] = tuple(sorted(_FUNCTIONS))

# exact evaluation of these explodes (exp(10**9) digits, factorial(10**9)), so numeric
# arguments are bounded before sympy sees them
_GROWTH = frozenset({"exp", "sinh", "cosh", "sigmoid", "expit", "softplus", "gamma",
                     "loggamma", "factorial", "binomial", "beta"})

_CONSTANTS: Mapping[str, sympy.Expr] = MappingProxyType(
    {"pi": S.Pi, "E": S.Exp1, "oo": S.Infinity, "inf": S.Infinity})
_BUILTINS = frozenset(name for name in dir(builtins) if not name.startswith("_"))

_BIN_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
               ast.BitXor: "xor", ast.BitAnd: "&", ast.BitOr: "|", ast.FloorDiv: "//",
               ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>"}
_BIN_HINT = {ast.FloorDiv: "; use floor(a/b)"}
# left-nested chains of these operators ("a+b-c+d") are flat in the user's eyes: they are
# walked iteratively and do not count towards the nesting limit
_CHAIN = {ast.Add: "add", ast.Sub: "add", ast.Mult: "mul", ast.Div: "mul",
          ast.BitAnd: "and", ast.BitOr: "or"}
_COMPARE = {ast.Lt: sympy.Lt, ast.LtE: sympy.Le, ast.Gt: sympy.Gt, ast.GtE: sympy.Ge,
            ast.Eq: sympy.Eq, ast.NotEq: sympy.Ne}
_COMPARE_NAME = {ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}

_FORBIDDEN = {
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
# node types the walker understands; operators and contexts are checked where they are used
_ALLOWED = (ast.Expression, ast.Constant, ast.Name, ast.UnaryOp, ast.BinOp, ast.BoolOp,
            ast.Compare, ast.Call, ast.Tuple)
_NOT_COUNTED = (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)


# --- front door: length, syntax, screening ------------------------------------------------
def _check_length(text: object) -> str:
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise ParseError(f"input longer than {MAX_TEXT} characters ({len(text)})")
    if not text.strip():
        raise ParseError("empty input; expected an expression such as 'x**2'")
    return text.strip()


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


def _parse(text: str) -> ast.Expression:
    # '^' is rewritten to '**' so that it also gets the precedence and right-associativity
    # of power: as Python's XOR, "x^2 + 1" would read x^(2 + 1). Safe to do on raw text:
    # '^' is no other operator we allow, and any string it might sit in is rejected anyway.
    text = _check_length(text).replace("^", "**")
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
            where = f" at column {exc.offset}" if exc.offset else ""
            message = _bracket_problem(text) or f"invalid syntax{where}: {exc.msg}"
        raise ParseError(message) from None
    except (RecursionError, MemoryError):
        # CPython's parser gives up on very deep nesting with these rather than SyntaxError
        raise ParseError("expression nested too deeply to parse") from None
    except SystemError as exc:  # CPython 3.11 < 3.11.8 (gh-106905): "AST constructor recursion
        # depth mismatch", seen rarely and irreproducibly under the fuzz test
        raise ParseError(f"Python's parser failed on this input ({_first_line(exc)})") from None
    except ValueError as exc:  # e.g. null bytes
        raise ParseError(f"cannot parse input: {_first_line(exc)}") from None


def _offense(node: ast.AST, functions: Mapping[str, Any]) -> tuple[int, str] | None:
    """Rank and message of a forbidden construct (rank 0 is the most telling), or None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        if name.startswith("_") or (name in _BUILTINS and name not in _FUNCTIONS
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


def _same_chain(parent: ast.AST, child: ast.AST) -> bool:
    return (isinstance(parent, ast.BinOp) and isinstance(child, ast.BinOp)
            and child is parent.left and _CHAIN.get(type(parent.op)) is not None
            and _CHAIN.get(type(parent.op)) == _CHAIN.get(type(child.op)))


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
            position = (node.lineno, node.col_offset)
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
                stack.append((child, depth if _same_chain(node, child) else depth + 1, position))
    if worst is not None:
        raise ParseError(worst[-1])


# --- numeric guards -----------------------------------------------------------------------
def _is_condition(value: object) -> bool:
    return isinstance(value, (Relational, BooleanFunction, BooleanAtom, sympy.Contains))


def _approx(value: sympy.Expr) -> sympy.Expr:
    """15-digit value of a number; ParseError if sympy cannot evaluate it."""
    try:
        return value.evalf(15)
    except (ArithmeticError, ValueError, TypeError, RecursionError):  # e.g. PrecisionExhausted
        raise ParseError(f"cannot evaluate the number {_short(value)}") from None


def _short(value: Any, width: int = 60) -> str:
    text = str(value)
    return text if len(text) <= width else text[:width] + "..."


def _first_line(exc: BaseException) -> str:
    """Messages stay on one line even when sympy's own are multi-line."""
    lines = str(exc).strip().splitlines()
    return _short(lines[0] if lines else type(exc).__name__, 120)


def _exceeds(value: sympy.Expr, limit: int) -> bool:
    """True if the number ``value`` is known to have absolute value above ``limit``."""
    if value in (S.Infinity, S.NegativeInfinity, S.ComplexInfinity):
        return True
    if value.is_Rational:
        return bool(abs(value) > limit)
    approx = _approx(value)
    return bool(approx.is_Number and abs(approx) > limit)


def _log10_abs(value: sympy.Expr) -> float | None:
    """log10 |value| of a nonzero number (cheap: values are already bounded), else None."""
    if value.is_Rational:
        return math.log10(abs(value.p)) - math.log10(value.q)
    approx = _approx(value)
    if not approx.is_Float or approx == 0:
        return None
    sign, mantissa, exponent, bits = approx._mpf_  # |v| = mantissa * 2**exponent
    return (math.log10(mantissa) + exponent * math.log10(2)) if mantissa else None


def _check_value(value: Any) -> Any:
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
        raise ParseError(f"{_short(value)} is not real (covar works over the reals; "
                         "use cbrt(x) or root(x, n) for real roots)")
    if approx.is_Number and abs(approx) > _BIG:
        raise ParseError(f"number too large (more than {MAX_DIGITS} digits)")
    return value


def _power(base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
    """``base**exponent``, refusing exponents and results that cannot be built quickly."""
    if exponent.is_number:
        if _exceeds(exponent, MAX_EXPONENT):
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


# --- the builder --------------------------------------------------------------------------
class _Builder:
    """Turns a screened AST into sympy objects; one instance per parse (no shared state)."""

    def __init__(self, symbols: Mapping[str, Any] | None,
                 functions: Mapping[str, Callable[..., Any]] | None) -> None:
        self.symbols = symbols or {}
        self.functions = functions or {}

    def build(self, node: ast.AST) -> Any:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:  # unreachable after _screen; kept so the builder is safe alone
            raise ParseError(f"'{type(node).__name__}' is not allowed")
        return _check_value(method(node))

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
        found = _offense(node, {})  # unreachable after _screen; kept so the builder is safe alone
        raise ParseError(found[1] if found else f"constant {value!r} is not allowed")

    def _Name(self, node: ast.Name) -> Any:
        name = node.id
        if name in self.symbols:
            value = self.symbols[name]
            # callers may declare plain numbers; arithmetic below needs sympy objects
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return sympy.Integer(value) if isinstance(value, int) else sympy.Float(value)
            return value
        return _name_value(name)

    def _Tuple(self, node: ast.Tuple) -> Any:
        raise ParseError("tuples ('a, b') are not allowed; give one expression"
                         " (pairs are allowed only inside Piecewise)")

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        operand = self.build(node.operand)
        if isinstance(node.op, (ast.Not, ast.Invert)):
            _need_condition(operand, "not" if isinstance(node.op, ast.Not) else "~")
            return sympy.Not(operand)
        _need_expr(operand, "-" if isinstance(node.op, ast.USub) else "+")
        return -operand if isinstance(node.op, ast.USub) else operand

    def _BinOp(self, node: ast.BinOp) -> Any:
        # walk the left spine of a flat chain ("a + b - c + ...") without recursion
        links = [node]
        while _same_chain(links[-1], links[-1].left):
            links.append(links[-1].left)
        value = self.build(links[-1].left)
        for link in reversed(links):
            value = _check_value(_binary(link.op, value, self.build(link.right)))
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
                _need_expr(side, "comparison")
            try:
                relations.append(_COMPARE[type(op)](left, right))
            except (TypeError, ValueError) as exc:
                raise ParseError(f"cannot compare {_short(left)} with {_short(right)}: "
                                 f"{_first_line(exc)}") from None
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
                raise ParseError(f"bad arguments for {name}: {_first_line(exc)}") from None
        if name not in _FUNCTIONS:
            if name.startswith("_") or name in _BUILTINS:
                raise ParseError(f"calls of '{name}' are not allowed")
            known = ", ".join(sorted(set(_FUNCTIONS) | set(self.functions)))
            raise ParseError(f"unknown function '{name}'; known functions: {known}")
        impl, fewest, most = _FUNCTIONS[name]
        _check_arity(name, len(args), fewest, most)
        if impl in (sympy.Max, sympy.Min) and len(args) > MAX_MINMAX_ARGS:
            raise ParseError(f"{name} takes at most {MAX_MINMAX_ARGS} arguments (got {len(args)}); "
                             f"nest calls such as {name}({name}(a, b), c) for more")
        for arg in args:
            _need_expr(arg, f"{name}()")
            if name in _GROWTH and arg.is_number and _exceeds(arg, MAX_GROWTH_ARG):
                raise ParseError(f"argument of {name} too large (|argument| > {MAX_GROWTH_ARG})")
        try:
            return impl(*args)
        except CovarError:
            raise
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise ParseError(f"bad arguments for {name}: {_first_line(exc)}") from None

    def _piecewise(self, node: ast.Call) -> Any:
        pairs = []
        for arg in node.args:
            if not (isinstance(arg, ast.Tuple) and len(arg.elts) == 2):
                raise ParseError("Piecewise takes (value, condition) pairs, "
                                 "e.g. Piecewise((x, x > 0), (0, True))")
            value, condition = (self.build(part) for part in arg.elts)
            _need_expr(value, "Piecewise value")
            _need_condition(condition, "Piecewise condition")
            pairs.append((value, condition))
        if not pairs:
            raise ParseError("Piecewise needs at least one (value, condition) pair")
        try:
            return sympy.Piecewise(*pairs)
        except (TypeError, ValueError) as exc:
            raise ParseError(f"bad arguments for Piecewise: {_first_line(exc)}") from None


def _name_value(name: str) -> sympy.Expr:
    """The constant or real symbol a bare (undeclared) name stands for."""
    if name in _CONSTANTS:
        return _CONSTANTS[name]
    _check_name(name)
    return sympy.Symbol(name, real=True)


def _check_name(name: str) -> None:
    """Reject names that cannot be a user's symbol."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ParseError(f"'{name}' is not a valid name")
    if name.startswith("_"):
        raise ParseError(f"names starting with '_' are not allowed ('{name}')")
    if name == "I":
        raise ParseError("'I' (the imaginary unit) is not allowed: covar works over the reals")
    if name in _CONSTANTS:
        raise ParseError(f"'{name}' is a constant, not a symbol")
    if name in _BUILTINS:
        raise ParseError(f"name '{name}' is a Python builtin and not allowed as a symbol")


def _check_arity(name: str, count: int, fewest: int, most: int | None) -> None:
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


def _need_expr(value: Any, where: str) -> None:
    if not isinstance(value, sympy.Expr):
        what = "a condition" if _is_condition(value) else type(value).__name__
        raise ParseError(f"'{where}' needs a number or expression, got {what} ({_short(value)})")


def _need_condition(value: Any, where: str) -> None:
    if not _is_condition(value):
        raise ParseError(f"'{where}' needs conditions such as (x > 0), got {_short(value)}; "
                         "note that & and | bind tighter than <, so write (x > 0) & (x < 1)")


def _binary(op: ast.operator, left: Any, right: Any) -> Any:
    kind = type(op)
    symbol = _BIN_SYMBOL.get(kind, type(op).__name__)
    if kind in (ast.BitAnd, ast.BitOr):
        _need_condition(left, symbol)
        _need_condition(right, symbol)
        return sympy.And(left, right) if kind is ast.BitAnd else sympy.Or(left, right)
    if kind not in (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow):  # "^" arrives as "**"
        raise ParseError(f"operator '{symbol}' is not allowed{_BIN_HINT.get(kind, '')}")
    _need_expr(left, symbol)
    _need_expr(right, symbol)
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
        return _power(left, right)
    except (TypeError, ValueError, ArithmeticError) as exc:
        if isinstance(exc, CovarError):
            raise
        raise ParseError(f"cannot compute {_short(left)} {symbol} {_short(right)}: "
                         f"{_first_line(exc)}") from None


def _finish(value: Any) -> Any:
    if isinstance(value, sympy.Basic) and value.has(S.NaN, S.ComplexInfinity):
        raise ParseError("undefined value (such as 1/0, log(0) or oo - oo)")
    if isinstance(value, sympy.Basic) and value.has(S.ImaginaryUnit):
        raise ParseError("result is not real: covar works over the reals")
    return value


# --- public API ---------------------------------------------------------------------------
def parse_expr(text: str, symbols: Mapping[str, sympy.Basic] | None = None, *,
               functions: Mapping[str, Callable[..., Any]] | None = None) -> sympy.Expr:
    """Read ``text`` as a sympy expression or condition, using a whitelist only.

    Undeclared names become ``Symbol(name, real=True)``; ``symbols`` overrides that per name.
    Constants: ``pi``, ``E``, ``oo`` (also ``inf``). ``^`` is power. Conditions use
    ``< <= > >= == !=`` (chains allowed), ``&``, ``|``, ``~``, ``and``, ``or``, ``not``.
    Functions: :data:`FUNCTION_NAMES` plus ``functions`` (name -> callable of sympy args).
    ``cbrt`` and ``root(x, n)`` are real roots; ``sigmoid``/``expit`` is 1/(1+exp(-x)),
    ``softplus`` is log(1+exp(x)), ``relu`` is Max(0, x).

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
    tree = _parse(text)
    _screen(tree, extra)
    try:
        return _finish(_Builder(symbols, extra).build(tree))
    except RecursionError:  # sympy itself may recurse on pathological shapes
        raise ParseError("expression nested too deeply") from None


def parse_call(text: str, symbols: Mapping[str, sympy.Basic] | None = None
               ) -> tuple[str, tuple[Any, ...]] | None:
    """Split ``Name(arg, ...)`` into the name and its parsed arguments.

    Returns None when ``text`` is not a call, or calls a known math function (so the caller
    can fall back to :func:`parse_expr`). Unsafe text raises :class:`ParseError` either way.

    >>> parse_call("Normal(mu, 2*sigma)")
    ('Normal', (mu, 2*sigma))
    >>> parse_call("exp(-x)") is None, parse_call("x**2") is None
    (True, True)
    >>> parse_call("exec('x')")
    Traceback (most recent call last):
    ...
    covar.errors.ParseError: calls of 'exec' are not allowed
    """
    tree = _parse(text)
    _screen(tree, {})
    body = tree.body
    if not (isinstance(body, ast.Call) and isinstance(body.func, ast.Name)) \
            or body.func.id in _FUNCTIONS:
        return None
    if body.keywords:
        raise ParseError(f"keyword arguments are not allowed ('{body.keywords[0].arg}=')")
    builder = _Builder(symbols, None)
    try:
        return body.func.id, tuple(_finish(builder.build(arg)) for arg in body.args)
    except RecursionError:
        raise ParseError("expression nested too deeply") from None


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


def _split_top(text: str, separators: str) -> list[str]:
    """Split at separators outside any brackets (bracket kinds may differ: '[0, 1)')."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                raise ParseError(f"unbalanced brackets: unexpected '{char}' in '{_short(text)}'")
        elif char in separators and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    if depth:
        raise ParseError(f"unbalanced brackets: a bracket is never closed in '{_short(text)}'")
    parts.append(text[start:])
    return parts


def _read_assumption(item: str) -> tuple[str, sympy.Set, bool, frozenset]:
    """One statement -> (name, interval region of the real line it allows, whether it says
    integer, points it excludes). Excluded points ("c != 0") are kept apart from the region:
    sympy's set algebra on many complements grows much faster than the number of statements."""
    words = item.replace("-", "").split() if re.fullmatch(r"[^\W\d]\w*(\s+[A-Za-z-]+)+", item) \
        else None
    if words:  # "n positive integer", "c is real"
        name, region, integer = words[0], S.Reals, False
        _check_name(name)
        for word in words[1:]:
            if word in ("is", "and"):
                continue
            if word == "integer":
                integer = True
            elif word in _PROPERTIES:
                region = sympy.Intersection(region, _PROPERTIES[word])
            else:
                known = ", ".join([*_PROPERTIES, "integer"])
                raise ParseError(f"unknown property '{word}' in '{_short(item)}'; known: {known}")
        excluded = frozenset({S.Zero}) if region == _PROPERTIES["nonzero"] else frozenset()
        return name, (S.Reals if excluded else region), integer, excluded
    condition = parse_expr(item)
    if isinstance(condition, BooleanAtom):  # sympy already decided it: "x > -oo", "pi < 0"
        verdict = "says nothing" if condition else "is false"
        raise ParseError(f"assumption '{_short(item)}' {verdict}; write e.g. 'sigma > 0'")
    relations = list(condition.args) if isinstance(condition, sympy.And) else [condition]
    if not all(isinstance(rel, Relational) for rel in relations):
        raise ParseError(f"cannot read assumption '{_short(item)}'; "
                         "write e.g. 'sigma > 0', '0 < p < 1', 'n positive integer'")
    names, region, excluded = set(), S.Reals, set()
    for rel in relations:
        kind, lhs, rhs = type(rel), rel.lhs, rel.rhs
        if isinstance(rhs, sympy.Symbol) and lhs.is_number:
            kind, lhs, rhs = _FLIP[kind], rhs, lhs
        if not (isinstance(lhs, sympy.Symbol) and rhs.is_number
                and (rhs.is_comparable or rhs in (S.Infinity, S.NegativeInfinity))):
            raise ParseError(f"assumption '{_short(item)}' must compare one name "
                             "with a real number")
        if kind is sympy.Equality:
            raise ParseError(f"'{_short(item)}' fixes the value of {lhs}; substitute it instead")
        names.add(lhs.name)
        if kind is sympy.Unequality:
            if rhs in (S.Infinity, S.NegativeInfinity):
                raise ParseError(f"assumption '{_short(item)}' says nothing; write e.g. 'c != 0'")
            excluded.add(rhs)
            continue
        region = sympy.Intersection(region, {
            sympy.StrictGreaterThan: sympy.Interval.open(rhs, S.Infinity),
            sympy.GreaterThan: sympy.Interval(rhs, S.Infinity),
            sympy.StrictLessThan: sympy.Interval.open(S.NegativeInfinity, rhs),
            sympy.LessThan: sympy.Interval(S.NegativeInfinity, rhs),
        }[kind])
    if len(names) != 1:
        raise ParseError(f"assumption '{_short(item)}' must be about exactly one name")
    return names.pop(), region, False, frozenset(excluded)


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


def parse_assumptions(texts: Iterable[str] | str) -> dict[str, dict[str, bool]]:
    """Read statements about symbols into sympy assumption keywords, name by name.

    Statements are comparisons with a number (``sigma>0``, ``k >= 0``, ``c != 0``,
    ``0 < p < 1``) or properties (``c real``, ``n positive integer``, ``x is nonzero``),
    separated by commas or semicolons. Bounds sympy cannot express are dropped after
    being checked for consistency: ``0 < p < 1`` gives only ``positive``. Statements that
    contradict each other raise :class:`ParseError`.

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
        for item in _split_top(_check_length(text), ",;"):
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


_SYMBOL_KEYS = frozenset({"positive", "negative", "nonnegative", "nonpositive", "nonzero",
                          "zero", "real", "integer", "rational", "finite", "even", "odd"})


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
        _check_name(name)
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


_NAMED_SETS: Mapping[str, sympy.Set] = MappingProxyType({
    "R": S.Reals, "Reals": S.Reals, "\u211d": S.Reals, "Integers": S.Integers,
    "\u2124": S.Integers, "Naturals": S.Naturals, "\u2115": S.Naturals,
    "Naturals0": S.Naturals0, "EmptySet": S.EmptySet, "\u2205": S.EmptySet,
})
_SET_CALL = re.compile(r"(Interval(?:\.(?:open|Lopen|Ropen))?|Range|FiniteSet|Union|Intersection)"
                       r"\s*\((.*)\)", re.DOTALL)
_OPEN_SIDES = {"Interval": (False, False), "Interval.open": (True, True),
               "Interval.Lopen": (True, False), "Interval.Ropen": (False, True)}


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
    parts = [] if not inner.strip() else _split_top(inner, ",")
    if len(parts) > MAX_SET_ELEMENTS:
        raise ParseError(f"too many elements (more than {MAX_SET_ELEMENTS})")
    values = [parse_expr(part, symbols) for part in parts]
    for value in values:
        _need_expr(value, "set element")
    return values


def _interval(left: str, right: str, left_open: bool, right_open: bool,
              symbols: Mapping[str, Any] | None, shown: str) -> sympy.Set:
    low, high = parse_expr(left, symbols), parse_expr(right, symbols)
    for end in (low, high):
        _need_expr(end, "interval endpoint")
    if sympy.Lt(high, low) is S.true or (low == high and (left_open or right_open)):
        raise ParseError(f"empty interval {_short(shown)}: "
                         "the left end must be below the right end")
    result = sympy.Interval(low, high, left_open, right_open)
    if result == S.Reals:  # one spelling of the real line, whichever way it was written
        return S.Reals
    if result is S.EmptySet:
        raise ParseError(f"empty interval {_short(shown)}")
    return result


def _combine(name: str, sets: list[sympy.Set], shown: str) -> sympy.Set:
    """Union or Intersection of parsed sets; sympy raises TypeError when it cannot decide
    where a symbolic end lies relative to another set's points."""
    try:
        return sympy.Union(*sets) if name == "Union" else sympy.Intersection(*sets)
    except (TypeError, ValueError) as exc:
        raise ParseError(f"cannot form the {name.lower()} {_short(shown)}: {_first_line(exc)}; "
                         "use numeric ends, or declare the symbols' signs") from None


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
        ends = _split_top(text[1:-1], ",")
        if len(ends) == 2:
            return _interval(*ends, text[0] == "(", text[-1] == ")", symbols, text)
        if len(ends) == 1 and text[0] == "(" and text[-1] == ")":
            return _set(text[1:-1], symbols, depth + 1)  # grouping: "([0, 1] U [2, 3])"
        raise ParseError(f"an interval needs two endpoints, like '[a, b)'; got '{_short(text)}'")
    call = _SET_CALL.fullmatch(text)
    if call and _closes_at_end(text[text.index("("):]):
        name, inner = call.group(1), call.group(2)
        if name in ("Union", "Intersection"):
            args = _split_top(inner, ",")
            if len(args) > MAX_SET_PARTS:
                raise ParseError(f"too many sets in {name} (more than {MAX_SET_PARTS})")
            return _combine(name, [_set(arg, symbols, depth + 1) for arg in args], text)
        if name == "FiniteSet":
            return sympy.FiniteSet(*_set_elements(inner, symbols))
        args = _split_top(inner, ",")
        if name == "Range":
            _check_arity("Range", len(args), 1, 3)
            values = _set_elements(inner, symbols)
            try:
                return sympy.Range(*values)
            except (TypeError, ValueError) as exc:
                raise ParseError(f"bad Range {_short(text)}: {_first_line(exc)}; Range ends "
                                 "must be integers (declare e.g. 'n integer')") from None
        _check_arity(name, len(args), 2, 2)
        return _interval(*args, *_OPEN_SIDES[name], symbols, text)
    raise ParseError(f"cannot read set '{_short(text)}'; use e.g. '[0, oo)', '(0, 1)', "
                     "'[0, 1] U [2, 3]', '{0, 1, 2}', 'Reals', 'Range(0, oo)'")


def parse_set(text: str, symbols: Mapping[str, sympy.Basic] | None = None) -> sympy.Set:
    """Read a set of reals: interval notation, unions, finite sets, named sets, Range.

    Forms: ``[a, b]``, ``(a, b)``, ``[a, b)``, ``(a, b]`` (ends parsed by :func:`parse_expr`,
    symbolic ends allowed), ``A U B`` / ``A | B`` / ``A \u222a B``, ``{0, 1, 2}``, ``R``,
    ``Reals``, ``Integers``, ``Naturals``, ``Naturals0``, ``EmptySet``, ``Interval(a, b)``,
    ``Interval.open/Lopen/Ropen(a, b)``, ``Range(...)``, ``FiniteSet(...)``,
    ``Union(...)``, ``Intersection(...)``. An interval whose ends are in the wrong order
    raises :class:`ParseError`.

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
    text = _check_length(text)
    _split_top(text, "")  # bracket balance first, for a clear message; kinds may mix: "[0, 1)"
    return _set(text, symbols, 0)


# --- one converter for every value a user may hand to the public API ----------------------
def _plain_number(value: Any) -> sympy.Basic | None:
    """The exact sympy value of a Python/numpy real scalar, or None if ``value`` is not one."""
    from decimal import Decimal
    from fractions import Fraction

    import numpy

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
        raise ParseError(f"cannot convert {_short(repr(value))}: {_first_line(exc)}") from None


def as_sympy(value: Any, symbols: Mapping[str, sympy.Basic] | None = None, *,
             what: str = "expression") -> sympy.Basic:
    """Any value a user may pass where covar wants a sympy object, converted without running it.

    Text goes through :func:`parse_expr` (the whitelist reader) with ``symbols`` as its
    name -> symbol map; sympy objects are returned unchanged; Python and numpy real scalars
    (bool, int, float, Fraction, Decimal) are converted exactly. Anything else raises
    :class:`ParseError` (so does a NaN or complex number). ``what`` names the value in messages.
    This is the only place where covar turns a foreign value into sympy: ``sympify`` is never
    applied to a user's string. The result may be an expression or a condition; see
    :func:`as_expression` for a value that must be an expression.

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
    raise ParseError(f"cannot use {_short(repr(value))} ({type(value).__name__}) as the {what}; "
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
        kind = "condition" if _is_condition(result) else type(result).__name__
        raise ParseError(f"the {what} must be an expression such as 'exp(-x)', "
                         f"got the {kind} {_short(result)}")
    return result


def as_set(value: Any, symbols: Mapping[str, sympy.Basic] | None = None, *,
           what: str = "support") -> sympy.Set:
    """A sympy Set as is, or text read by :func:`parse_set`; anything else raises ParseError.

    >>> as_set("[0, oo)")
    Interval(0, oo)
    """
    if isinstance(value, sympy.Set):
        return value
    if isinstance(value, str):
        return parse_set(value, symbols)
    raise ParseError(f"cannot use {_short(repr(value))} ({type(value).__name__}) as the {what}; "
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
            raise ParseError(f"the value of parameter '{_short(name)}' is text ({_short(repr(value))}); "
                             "pass a number (parse text with covar.text.parsing.parse_expr first)")
    return values


__all__ += ["as_expression", "as_set", "as_sympy", "check_parameter_values"]
