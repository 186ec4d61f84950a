"""Composite maps derived step by step: g = G(u(x)) split along its expression tree.

When the one-piece analysis of g refuses (asin(sin(x)), a normal CDF inside a logit, an
inverse-CDF sampler with symbolic parameters), g is written as G(u) for an inner
subexpression u of x, the law of U = u(X) is derived first, then the law of G(U). Each step is
a Derivation whose ``previous`` is the step before, as for any composition.
"""
from __future__ import annotations

from typing import Callable, Iterator

import sympy as sp

from covar.errors import CovarError, UnsupportedTransform
from covar.laws.density import Density

Deriver = Callable[[Density, sp.Expr, sp.Symbol], Density]
_MAX_SPLITS = 6  # inner subexpressions tried before giving up


def splits(g: sp.Expr, x: sp.Symbol, t: sp.Symbol) -> Iterator[tuple[sp.Expr, sp.Expr]]:
    """(u, G) with g = G(u) and u a proper subexpression of g in x, the largest u first.

    >>> x, t = sp.symbols("x t", real=True)
    >>> [(u, G) for u, G in splits(sp.asin(sp.sin(x)), x, t)]
    [(sin(x), asin(t))]
    """
    inner = {e for e in sp.preorder_traversal(g)
             if isinstance(e, sp.Expr) and e.has(x) and e != x and e != g}
    found = []
    for u in inner:
        outer = g.xreplace({u: t})
        if not outer.has(x) and outer.has(t) and outer != t:
            found.append((u, outer))
    found.sort(key=lambda pair: (-sp.count_ops(pair[0]), sp.default_sort_key(pair[0])))
    yield from found[:_MAX_SPLITS]


def derive_by_steps(X: Density, g: sp.Expr, y: sp.Symbol, derive: Deriver, why: CovarError) -> Density:
    """The law of g(X) as G(U) with U = u(X), each step derived by ``derive``; ``why`` is the
    refusal of the one-piece analysis, re-raised (with the steps tried) when no split works."""
    from covar.derive import _fresh_symbol

    x = X.var
    t = _fresh_symbol({s.name for s in g.free_symbols | {x, y} | set(X.params)})
    tried = []
    for u, outer in splits(g, x, t):
        try:
            U = derive(X, u, t)
            if U.pdf is None or U.discrete:  # a numeric-only step cannot feed the next one
                tried.append(f"{u} (numeric-only)")
                continue
            return derive(U, outer, y)
        except CovarError as exc:
            tried.append(f"{u} ({type(exc).__name__})")
    if not tried:
        raise why
    raise UnsupportedTransform(f"{why}; transforming step by step did not help either "
                               f"(inner maps tried: {', '.join(tried)})") from why
