"""The one adapter between sympy.stats and covar: random variables in, catalog laws and densities out, and back.

A univariate ``sympy.stats`` random variable becomes a :class:`~covar.laws.density.Density`
(:func:`density_of`) whose ``family`` is the catalog's :class:`~covar.laws.families.NamedLaw`
when the catalog has the distribution (:func:`law_of`; sympy.stats' parameter order is
converted by the catalog entry). Independent vectors are built from these densities by
``covar.independent``, so every component samples through the catalog's one sampler per
family. :func:`to_stats` goes back: the named sympy.stats distribution when the law is a
catalog member that round-trips, otherwise a ``ContinuousRV`` / ``DiscreteRV`` / ``FiniteRV``
with the same pdf and support.

>>> import sympy.stats as st
>>> law_of(st.Gamma("X", 3, 2))
NamedLaw('Gamma', (3, 1/2))
>>> to_stats(density_of(st.Gamma("X", 3, 2)), "Y").pspace.distribution
GammaDistribution(3, 2)
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping

import sympy as sp

from covar.errors import CovarError, InvalidDensity, UnsupportedTransform
from covar.laws.density import Density
from covar.laws.families import FAMILIES, Family, NamedLaw

__all__ = ["is_random_variable", "law_of", "density_of", "to_stats"]

# sympy.stats distribution class name -> catalog entry
_BY_STATS: Mapping[str, Family] = MappingProxyType(
    {f.stats_class: f for f in FAMILIES.values() if f.stats_class})
_SUFFIX = "Distribution"


def is_random_variable(obj: Any) -> bool:
    """True for a sympy.stats random symbol (anything with a probability space).

    >>> import sympy.stats as st
    >>> is_random_variable(st.Normal("X", 0, 1)), is_random_variable(sp.Symbol("x"))
    (True, False)
    """
    return isinstance(obj, sp.Basic) and hasattr(obj, "pspace")


def _distribution(rv: Any) -> Any:
    """The distribution of a univariate random symbol (a distribution passes through)."""
    from sympy.stats.rv import Distribution

    if isinstance(rv, Distribution):
        return rv
    pspace = getattr(rv, "pspace", None)
    if pspace is None:
        raise InvalidDensity(f"{rv!r} is not a univariate sympy.stats random variable")
    dist = getattr(pspace, "distribution", None)
    if dist is None:
        raise InvalidDensity(f"{rv!r} is not a univariate sympy.stats random variable")
    return dist


def law_of(rv: Any) -> NamedLaw | None:
    """The catalog law (covar's parameter order) of a sympy.stats variable or distribution,
    or None when the catalog has no such family.

    >>> import sympy.stats as st
    >>> law_of(st.Gumbel("X", 2, 1)), law_of(st.Kumaraswamy("K", 2, 3))
    (NamedLaw('Gumbel', (1, 2)), None)
    """
    dist = _distribution(rv)
    entry = _BY_STATS.get(type(dist).__name__)
    args = entry.from_stats_args(tuple(dist.args)) if entry is not None else None
    return None if entry is None or args is None else NamedLaw(entry.name, args)


def _clean_piecewise(pdf: sp.Expr, x: sp.Symbol, support: sp.Set) -> sp.Expr:
    """Drop a Piecewise whose only job is to restate the support (as sympy.stats pdfs do)."""
    if not isinstance(pdf, sp.Piecewise) or not isinstance(support, sp.Interval):
        return pdf
    from covar.univariate.pieces import kinks, local_expression
    from covar.univariate.signs import interior_point

    try:
        if kinks(pdf, x, support.start, support.end):
            return pdf
        return local_expression(pdf, x, interior_point(support.start, support.end))
    except (CovarError, TypeError, ValueError, NotImplementedError):
        return pdf  # undecidable conditions: keep the Piecewise as it is


def density_of(rv: Any, var: str = "x") -> Density:
    """The Density of a univariate sympy.stats random variable (continuous or discrete).

    A catalog member gives the same Density as the typed family (``st.Gamma("X", 3, 2)`` is
    ``Gamma(3, 1/2)``, arguments checked exactly); any other distribution gives sympy.stats'
    own pdf on its set, validated numerically, without a family.

    >>> import sympy.stats as st
    >>> X = density_of(st.Exponential("X", 2))
    >>> X.support, str(X.family)
    (Interval(0, oo), 'Exponential(2)')
    """
    dist = _distribution(rv)
    x = sp.Symbol(var, real=True)
    law = law_of(dist)
    if law is not None:  # a catalog member is the catalog's density, exactly as typed text gives it
        return law.density(x)
    if hasattr(dist, "dict") and not hasattr(dist, "pdf"):
        table = dist.dict
        pdf = sp.Piecewise(*[(p, sp.Eq(x, k)) for k, p in table.items()], (0, True))
        return Density(pdf, x, sp.FiniteSet(*table), discrete=True)
    if hasattr(dist, "dict") and type(dist).__name__.endswith(_SUFFIX) and not hasattr(dist, "set"):
        raise InvalidDensity(f"unsupported sympy.stats distribution {type(dist).__name__}")
    support = dist.set
    pdf = dist.pdf(x)
    discrete = (type(dist).__module__.endswith(("drv_types", "frv_types"))
                or support.is_subset(sp.Integers) is True or hasattr(dist, "dict"))
    if not discrete:
        pdf = _clean_piecewise(pdf, x, support)
    return Density(pdf, x, support, discrete=bool(discrete))


def _named_stats(law: NamedLaw, name: str) -> Any:
    """The named sympy.stats variable of a catalog law, or None when it does not round-trip.

    The catalog's conversions from sympy.stats order are their own inverses (a swap, a
    reciprocal scale, the identity), so they also give sympy.stats' arguments; the result is
    kept only if :func:`law_of` reads the same law back."""
    import sympy.stats as st

    entry = law.entry
    if entry.stats_class is None or entry.stats_args is None:
        return None
    make = getattr(st, entry.stats_class[: -len(_SUFFIX)], None)
    candidate = entry.stats_args(law.args)
    if make is None or candidate is None:
        return None
    try:
        rv = make(name, *candidate)
    except (TypeError, ValueError):  # sympy.stats refuses these arguments (or this arity)
        return None
    return rv if law_of(rv) == law else None


def to_stats(density: Any, name: str = "Y") -> Any:
    """A sympy.stats random variable with the same law: the named distribution when the law is
    a catalog member, else one built from the pdf (pmf) and support.

    >>> import covar, sympy.stats as st
    >>> Y = covar.transform(covar.parse_density("Exponential(1)"), "2*x")
    >>> st.E(to_stats(Y))
    2
    """
    import sympy.stats as st

    if density.pdf is None:
        raise UnsupportedTransform("a numeric-only result has no pdf expression to give to sympy.stats")
    if density.atoms:
        raise UnsupportedTransform(
            "sympy.stats has no mixed (continuous + atoms) random variables; "
            f"this law has atoms {density.atoms}")
    if density.family is not None:
        named = _named_stats(density.family, name)
        if named is not None:
            return named
    var, support = density.var, density.support
    # sympy.stats names the variable after the random symbol: the pdf is rewritten in it
    if not density.discrete:
        sym = sp.Symbol(name, real=True)
        return st.ContinuousRV(sym, density.pdf.xreplace({var: sym}), set=support)
    if isinstance(support, sp.FiniteSet):
        return st.FiniteRV(name, {k: density.pdf.subs(var, k) for k in support})
    if isinstance(support, sp.Range):
        sym = sp.Symbol(name, integer=True)
        return st.DiscreteRV(sym, density.pdf.xreplace({var: sym}), set=support)
    raise CovarError(f"cannot express a pmf on {support} as a sympy.stats random variable")
