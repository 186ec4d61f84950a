"""Stage 5: targeted simplification of one cell's density.

On a cell that lies in [0, oo) (or (-oo, 0]) the variable is replaced by a positive symbol
(or minus one) so that sqrt(y**2) = y, (y**2)**a = y**(2a) and log/exp combinations are exact.
A handful of cheap rewrites are tried and the shortest result kept; sympy's full ``simplify``
runs only on small expressions, so a derivation stays fast.
"""
from __future__ import annotations

import sympy as sp

from .ordering import sign_of

_FULL_SIMPLIFY_OPS = 60


def _sign_substitution(y: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> tuple[dict, dict]:
    """Forward and backward substitutions that put y's known sign into its assumptions."""
    if lo != -sp.oo and sign_of(lo) in (0, 1):
        t = sp.Dummy(y.name, positive=True)
        return {y: t}, {t: y}
    if hi != sp.oo and sign_of(hi) in (0, -1):
        t = sp.Dummy(y.name, positive=True)
        return {y: -t}, {t: -y}
    return {}, {}


def _candidates(expr: sp.Expr) -> list[sp.Expr]:
    out = [expr]
    e = sp.powsimp(sp.powdenest(expr, force=False), combine="exp")
    out.append(e)
    e = sp.factor_terms(sp.cancel(sp.together(e))) if not e.has(sp.LambertW) else e
    out.append(e)
    out.append(sp.powsimp(sp.expand_power_base(e), combine="all"))
    if not e.has(sp.LambertW) and sp.count_ops(e) <= 4 * _FULL_SIMPLIFY_OPS:
        out.append(sp.factor(e))
    if sp.count_ops(expr) <= _FULL_SIMPLIFY_OPS:
        out.append(sp.simplify(expr))
    return out


def simplify_on(expr: sp.Expr, y: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    """A short form of ``expr`` valid for y in (lo, hi).

    >>> y = sp.Symbol("y", real=True)
    >>> simplify_on(sp.exp(-y**2/2)/sp.sqrt(2*sp.pi*y**2)*2*y, y, 0, sp.oo)
    sqrt(2)*exp(-y**2/2)/sqrt(pi)
    """
    if expr == 0:
        return sp.Integer(0)
    forward, backward = _sign_substitution(y, lo, hi)
    work = expr.xreplace(forward) if forward else expr
    best = min(_candidates(work), key=lambda e: (sp.count_ops(e), len(str(e))))
    best = best.xreplace(backward) if backward else best
    return best
