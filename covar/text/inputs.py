"""Stage 1: densities from text, a named family or a raw pdf (sympy.stats RVs: covar.laws.sympy_stats)."""
from __future__ import annotations

from typing import Iterable, Mapping

import sympy as sp

from covar.laws.density import Density
from covar.errors import ParseError


def _declared(arg: sp.Expr, wanted: Mapping[str, bool], user: Mapping[str, Mapping[str, bool]]) -> sp.Expr:
    """A bare-symbol family argument gets the family's assumptions plus the user's."""
    if not isinstance(arg, sp.Symbol):
        return arg
    merged = {"real": True, **wanted, **user.get(arg.name, {})}
    return sp.Symbol(arg.name, **merged)


def parse_density(text: str, support: str | sp.Set | None = None,
                  assume: Iterable[str] | str = (), var: str = "x") -> Density:
    """A Density from text: a family such as "Gamma(alpha, beta)" or a raw pdf in ``var``.

    A raw pdf takes its support from ``support`` (text like "[0, oo)" or a sympy Set), or from
    the form "exp(-x) on [0, oo)"; the default is the whole line. ``assume`` states parameter
    assumptions such as "sigma>0".

    >>> parse_density("Normal(0, 1)").family
    NamedLaw('Normal', (0, 1))
    >>> parse_density("exp(-x) on [0, oo)").support
    Interval(0, oo)
    """
    from covar.laws.families import FAMILIES, NamedLaw, get_family
    from covar.text.assumptions import make_symbols, parse_assumptions
    from covar.text.calls import parse_call
    from covar.text.expressions import parse_expr
    from covar.text.sets import parse_set
    from covar.text.vocabulary import FUNCTIONS, did_you_mean

    if not isinstance(text, str) or not text.strip():
        raise ParseError("the density text is empty; write e.g. 'Normal(0, 1)' or 'exp(-x) on [0, oo)'")
    if support is None and " on " in text:
        text, support = (part.strip().strip("\"'") for part in text.rsplit(" on ", 1))
    user = parse_assumptions(assume) if assume else {}
    x = sp.Symbol(var, real=True)
    call = parse_call(text, {var: x})  # "x(1 - x)" is a product, not a call
    if call is not None:
        name, args = call
        if name.lower() not in {k.lower() for k in FAMILIES}:
            hint = did_you_mean(name, FAMILIES) or did_you_mean(name, FUNCTIONS)
            raise ParseError(f"unknown distribution {name!r}{hint}; known: {', '.join(sorted(FAMILIES))}")
        family = get_family(name)
        if len(args) != len(family.params):
            raise ParseError(
                f"{family.name} takes {len(family.params)} parameters ({', '.join(family.params)}), got {len(args)}"
            )
        # decimals typed by the user are exact numbers to a symbolic engine: 2.5 means 5/2
        args = tuple(sp.nsimplify(a, rational=True) if a.is_Float else a for a in args)
        args = tuple(_declared(a, w, user) for a, w in zip(args, family.assumptions))
        # Symbols appearing inside compound arguments get the user's assumptions too.
        syms = make_symbols({s.name for a in args for s in a.free_symbols}, user)
        args = tuple(a.xreplace({s: syms[s.name] for s in a.free_symbols if not isinstance(a, sp.Symbol)}) for a in args)
        return NamedLaw(family.name, args).density(x)  # exact domain and size checks inside
    names = make_symbols(user, user)  # the user's assumptions reach a raw pdf's parameters too
    expr = parse_expr(text, {**names, var: x})
    if not isinstance(expr, sp.Expr):
        raise ParseError(f"the density must be an expression in {var}, such as 'exp(-{var})', "
                         f"not a condition ({text!r} reads as {expr})")
    if isinstance(support, str):
        region = parse_set(support, {s.name: s for s in expr.free_symbols})
    else:
        region = sp.Interval(-sp.oo, sp.oo) if support is None else support
    if not expr.has(x) and expr.free_symbols and not expr.is_number:
        raise ParseError(f"the density {expr} does not mention the variable {var}")
    discrete = isinstance(region, (sp.FiniteSet, sp.Range)) or region.is_subset(sp.Integers) is True
    return Density(expr, x, region, discrete=bool(discrete))
