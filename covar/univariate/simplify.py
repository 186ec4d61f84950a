"""Stage 5: targeted simplification of one cell's density.

On a cell that lies in [0, oo) (or (-oo, 0]) the variable is replaced by a positive symbol
(or minus one) so that sqrt(y**2) = y, (y**2)**a = y**(2a) and log/exp combinations are exact.
A handful of cheap rewrites are tried and the shortest result kept; sympy's full ``simplify``
runs only on small expressions, so a derivation stays fast.
"""
from __future__ import annotations

import sympy as sp

from covar.numeric.budget import time_budget
from covar.errors import DerivationTimeout
from covar.univariate.signs import sign_of

_FULL_SIMPLIFY_OPS = 60


ODD_FUNCTIONS = (sp.erf, sp.erfi, sp.sinh, sp.tanh, sp.atan, sp.asin, sp.asinh, sp.atanh, sp.sin, sp.tan)


def odd_functions_signed(expr: sp.Expr) -> sp.Expr:
    """Every odd function's argument expanded with its sign taken out (erf(-a + b) is -erf(a - b)),
    so that erf(w) and erf(-w) written two ways cancel in a sum.

    >>> a, b = sp.symbols("a b", real=True)
    >>> odd_functions_signed(sp.erf(a - b) + sp.erf(b - a)*(1 + 0*a))
    0
    """
    def signed(f: sp.Function) -> sp.Expr:
        arg = sp.expand(f.args[0])
        return -f.func(-arg) if arg.could_extract_minus_sign() else f.func(arg)

    return expr.replace(lambda e: isinstance(e, ODD_FUNCTIONS), signed)


def exponents_factored(expr: sp.Expr) -> sp.Expr:
    """Each exponential's argument over one denominator and factored: a completed square
    -(y - m)**2/(2*v) rather than a sum of its expanded terms (which also keeps a compiled
    evaluator from underflowing in a product of two large exponentials)."""
    return sp.powsimp(expr, combine="exp").replace(lambda e: isinstance(e, sp.exp) and e.args[0].free_symbols,
                        lambda e: sp.exp(sp.factor(sp.cancel(e.args[0]))))


def lambert_exponentials(expr: sp.Expr) -> sp.Expr:
    """exp(a + W(z)) written as exp(a)*z/W(z) (W e^W = z), so that the value of a map at its
    Lambert-W turning point collapses.

    >>> W = sp.LambertW(sp.exp(-1))
    >>> sp.simplify(lambert_exponentials((-1 - W)/(1 + sp.exp(W + 1))))
    -LambertW(exp(-1))
    """
    def split(e: sp.exp) -> sp.Expr:
        terms = sp.Add.make_args(sp.expand(e.args[0]))
        return sp.Mul(*[t.args[0] / t if isinstance(t, sp.LambertW) and len(t.args) == 1
                        and t.args[0].is_zero is False else sp.exp(t) for t in terms])

    return expr.replace(lambda e: isinstance(e, sp.exp) and any(
        isinstance(t, sp.LambertW) for t in sp.Add.make_args(sp.expand(e.args[0]))), split)


def _sign_substitution(y: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> tuple[dict, dict]:
    """Forward and backward substitutions that put y's known sign into its assumptions."""
    if lo != -sp.oo and sign_of(lo) in (0, 1):
        t = sp.Dummy(y.name, positive=True)
        return {y: t}, {t: y}
    if hi != sp.oo and sign_of(hi) in (0, -1):
        t = sp.Dummy(y.name, positive=True)
        return {y: -t}, {t: -y}
    return {}, {}


_RATIONAL_OPS = 300  # cancel/together/factor blow up on Cardano-sized expressions
_ATTEMPT_SECONDS = 2.0  # an optional rewrite that takes longer is skipped, not waited for


def _attempt(rewrite, expr: sp.Expr) -> sp.Expr | None:
    """``rewrite(expr)`` under a short budget of its own; None when it is too slow.
    (If the whole derivation's budget is exhausted too, its own alarm still fires.)"""
    try:
        with time_budget(_ATTEMPT_SECONDS, "simplification"):
            return rewrite(expr)
    except DerivationTimeout:
        return None


def _rational_form(e: sp.Expr) -> sp.Expr:
    return sp.factor_terms(sp.cancel(sp.together(e)))


def _candidates(expr: sp.Expr) -> list[sp.Expr]:
    ops = sp.count_ops(expr)
    e = sp.powsimp(sp.powdenest(expr, force=False), combine="exp")
    out = [expr, e]
    if ops > _RATIONAL_OPS:
        return out
    if not e.has(sp.LambertW, sp.I):
        out.append(_attempt(_rational_form, e))
        out.append(_attempt(sp.factor, out[-1] if out[-1] is not None else e))
    out.append(_attempt(lambda t: sp.powsimp(sp.expand_power_base(t), combine="all"), e))
    if ops <= _FULL_SIMPLIFY_OPS:
        out.append(_attempt(sp.simplify, expr))
    return [c for c in out if c is not None]


def _abs_resolved(expr: sp.Expr, y: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    """Abs(e) written as e or -e where e is continuous with no zero on the cell (so one sign,
    read at an interior point): cos(y)/|cos(y)| is 1 on (-pi/2, pi/2)."""
    from covar.univariate.pieces import _obviously_continuous
    from covar.univariate.signs import interior_point

    known = {}
    for a in expr.atoms(sp.Abs):
        e = a.args[0]
        if not e.has(y) or e.free_symbols != {y} or not _obviously_continuous(e, y):
            continue
        zeros = _attempt(lambda t: sp.solveset(t, y, sp.Interval.open(lo, hi)), e)
        if zeros is not sp.EmptySet:
            continue
        side = sign_of(e.subs(y, interior_point(lo, hi)))
        if side in (1, -1):
            known[a] = side * e
    return expr.xreplace(known) if known else expr


def simplify_on(expr: sp.Expr, y: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    """A short form of ``expr`` valid for y in (lo, hi).

    >>> y = sp.Symbol("y", real=True)
    >>> simplify_on(sp.exp(-y**2/2)/sp.sqrt(2*sp.pi*y**2)*2*y, y, 0, sp.oo)
    sqrt(2)*exp(-y**2/2)/sqrt(pi)
    """
    if expr == 0:
        return sp.Integer(0)
    if expr.has(sp.Piecewise):  # a piecewise inverse (a cubic's): the branch that holds on the cell
        from covar.univariate.pieces import local_expression
        from covar.univariate.signs import interior_point

        expr = local_expression(expr, y, interior_point(lo, hi))
    forward, backward = _sign_substitution(y, lo, hi)
    work = expr.xreplace(forward) if forward else expr
    best = min(_candidates(work), key=lambda e: (sp.count_ops(e), len(str(e))))
    best = best.xreplace(backward) if backward else best
    if best.has(sp.Abs) and not (sp.sympify(lo).free_symbols or sp.sympify(hi).free_symbols):
        resolved = _abs_resolved(best, y, sp.sympify(lo), sp.sympify(hi))
        if resolved is not best:
            best = min((best, resolved, _attempt(sp.simplify, resolved) or resolved), key=sp.count_ops)
    return best
