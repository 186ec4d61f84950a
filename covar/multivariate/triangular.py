"""Triangular systems g(x) = y (flow layers written as one map) reduced variable by variable.

A stack of couplings, permutations and elementwise layers composed into one map is triangular
only up to its structure: each component is an elementwise bijection of an expression that
reuses the components before it. Two exact rewritings expose that structure, so each equation
ends up with one unknown:

* **peeling**: an equation F(e(x)) = c whose unknowns all sit in one argument e of an injective
  outer operation F (exp, log, tanh, sinh, atan, adding or multiplying a constant)
  becomes e(x) = F^{-1}(c);
* **known subexpressions**: once e(x) = c holds, every occurrence of e(x) (or of a constant
  multiple of it inside a sum) in the other equations is replaced by c.

The equations keep the same solution set; the caller solves the result one unknown at a time
and checks every branch numerically.

>>> import sympy as sp
>>> x1, x2, y1, y2 = sp.symbols("x1 x2 y1 y2", real=True)
>>> reduce_system([sp.exp(x1 + x2) - y1, sp.exp(x1 + x2 + x2**3) - y2], [x1, x2])
[x1 + x2 - log(y1), x2**3 + log(y1) - log(y2)]
"""
from __future__ import annotations

from typing import Callable, Sequence

import sympy as sp

#: injective functions of one argument and their inverses on their range
_INVERSES: dict[type, Callable[[sp.Expr], sp.Expr]] = {
    sp.exp: sp.log, sp.log: sp.exp, sp.tanh: sp.atanh, sp.atanh: sp.tanh, sp.sinh: sp.asinh,
    sp.asinh: sp.sinh, sp.atan: sp.tan,
}


def _peel(lhs: sp.Expr, rhs: sp.Expr, unknowns: set[sp.Symbol]) -> tuple[sp.Expr, sp.Expr]:
    """lhs = rhs with injective outer operations of lhs moved to the right-hand side."""
    while True:
        if type(lhs) in _INVERSES and len(lhs.args) == 1:
            lhs, rhs = lhs.args[0], _INVERSES[type(lhs)](rhs)
            continue
        if isinstance(lhs, (sp.Add, sp.Mul)):
            fixed, moving = lhs.as_independent(*unknowns, as_Add=isinstance(lhs, sp.Add))
            if fixed not in (0, 1) and (isinstance(lhs, sp.Add) or fixed.is_nonzero):
                lhs, rhs = moving, (rhs - fixed if isinstance(lhs, sp.Add) else rhs / fixed)
                continue
        return lhs, rhs


def replace_known(expr: sp.Expr, known: sp.Expr, value: sp.Expr) -> sp.Expr:
    """expr with ``known`` replaced by ``value``, also where a sum holds a constant multiple of
    the sum ``known`` among its terms (c*known is then c*value)."""
    out = expr.subs(known, value)
    if not isinstance(known, sp.Add):
        return out
    terms = sp.Add.make_args(known)

    def scaled(node: sp.Basic) -> sp.Basic:
        if not isinstance(node, sp.Add):
            return node
        have = set(sp.Add.make_args(node))
        for t in have:
            c = t / terms[0]
            if not c.is_number or c == 0:
                continue
            part = [sp.expand(c * u) for u in terms]
            if all(p in have for p in part):
                return sp.Add(*(have - set(part))) + c * value
        return node

    return out.replace(lambda n: isinstance(n, sp.Add), scaled)


def reduce_system(eqs: Sequence[sp.Expr], unknowns: Sequence[sp.Symbol]) -> list[sp.Expr]:
    """The equations e_i(x) - c_i = 0 peeled and with known subexpressions replaced (same
    solutions). Equations are taken as ``lhs - rhs`` with rhs the part free of the unknowns."""
    u = set(unknowns)
    pairs = []
    for e in eqs:
        rhs, lhs = e.as_independent(*u, as_Add=True)
        pairs.append(_peel(lhs, -rhs, u))
    changed, rounds = True, 0
    while changed and rounds < 4 * len(pairs):
        changed, rounds = False, rounds + 1
        for i, (known, value) in enumerate(pairs):
            if not known.free_symbols & u:
                continue
            for j, (lhs, rhs) in enumerate(pairs):
                if j == i or not lhs.has(known) and not isinstance(known, sp.Add):
                    continue
                new = replace_known(lhs, known, value)
                if new != lhs:
                    extra, rest = new.as_independent(*u, as_Add=True)
                    pairs[j] = _peel(rest, rhs - extra, u)
                    changed = True
    return [lhs - rhs for lhs, rhs in pairs]
