"""covar.transform: the one entry point that derives the law of g(X)."""
from __future__ import annotations

from typing import Any, Sequence

import sympy as sp

from covar.numeric.budget import DEFAULT_BUDGET_SECONDS, time_budget
from covar.laws.density import Density
from covar.laws.joint import JointDensity
from covar.errors import NoClosedForm, UnsupportedTransform
from covar.text.values import as_expression


def _as_density(X: Any, assume: Any = ()) -> Density | JointDensity:
    if isinstance(X, (Density, JointDensity)):
        return X
    if isinstance(X, str):
        from covar.text.inputs import parse_density
        from covar.text.vectors import joint_factors

        factors = joint_factors(X)  # "Normal(0, 1) * Gamma(2, 1)": independent x1, x2
        if factors is not None:
            from covar.multivariate.products import independent

            return independent(*(parse_density(f, assume=assume) for f in factors))
        return parse_density(X, assume=assume)
    from covar.laws.sympy_stats import density_of, is_random_variable

    if is_random_variable(X):
        return density_of(X)
    raise UnsupportedTransform(f"cannot transform {X!r}: give a covar.Density, JointDensity or sympy.stats RV")


def map_expression(g: Any, var: sp.Symbol, params: Sequence[sp.Symbol] = (),
                   assume: Any = (), support: sp.Set | None = None) -> sp.Expr:
    """The map as a sympy expression in ``var`` (text is parsed safely; same-named symbols unified).

    ``assume`` ("c>0", ...) declares symbols that appear only in a text map. ``g`` may also be
    an expression in a sympy.stats random variable (``Q**2`` for ``Q = Normal("Q", 0, 1)``):
    the variable stands for ``var``. With ``support`` (X's), a principal odd root such as
    ``x**(1/3)`` of a variable that can be negative is refused with the real root to use.

    >>> x = sp.Symbol("x", real=True)
    >>> map_expression("2x^2", x)
    2*x**2
    >>> import sympy.stats as st
    >>> map_expression(st.Normal("Q", 0, 1) ** 2, x)
    x**2
    """
    if is_random_expression(g):
        g = _in_variable(g, var)
    if isinstance(g, str):
        from covar.text.assumptions import make_symbols, parse_assumptions
        from covar.text.expressions import parse_expr

        stated = parse_assumptions(assume) if assume else {}
        known = make_symbols(stated, stated)
        known.update({p.name: p for p in params})
        known[var.name] = var
        known.setdefault("x", var)
        g = parse_expr(g, known)
    elif callable(g) and not isinstance(g, sp.Basic):
        g = g(var)
    g = as_expression(g, what="map")
    rename = {s: var for s in g.free_symbols if s.name == var.name and s != var}
    rename.update({s: p for s in g.free_symbols for p in params if s.name == p.name and s != p})
    g = g.xreplace(rename) if rename else g
    if support is not None:
        _check_real_roots(g, var, support)
    if not g.has(var):
        others = g.free_symbols - set(params)
        if len(others) == 1 and not isinstance(g, sp.Number):
            (only,) = others
            raise UnsupportedTransform(
                f"the map {g} does not use the variable {var} of the density (it uses {only}); "
                f"write the map in {var}"
            )
    return g


def is_random_expression(g: Any) -> bool:
    """True for a sympy expression containing a sympy.stats random variable (``Q**2``)."""
    from covar.laws.sympy_stats import is_random_variable

    return isinstance(g, sp.Basic) and any(is_random_variable(s) for s in g.free_symbols)


def _in_variable(g: sp.Basic, var: sp.Symbol) -> sp.Expr:
    """A sympy.stats expression with its one random variable replaced by ``var``."""
    from covar.laws.sympy_stats import is_random_variable

    rvs = {s for s in g.free_symbols if is_random_variable(s)}
    if len(rvs) != 1:
        names = ", ".join(sorted(str(s) for s in rvs))
        raise UnsupportedTransform(f"the map {g} uses several random variables ({names}); "
                                   "a univariate map uses one (build a JointDensity for several)")
    (rv,) = rvs
    return g.xreplace({rv: var})


def _random_variable_of(g: Any) -> Any:
    """The one sympy.stats random variable in ``g``, or None."""
    from covar.laws.sympy_stats import is_random_variable

    if not isinstance(g, sp.Basic):
        return None
    rvs = [s for s in g.free_symbols if is_random_variable(s)]
    return rvs[0] if len(rvs) == 1 else None


def _check_real_roots(g: sp.Expr, var: sp.Symbol, support: sp.Set) -> None:
    """Refuse a principal odd root (``x**(1/3)``) of a quantity that is negative with positive
    probability: sympy's root is complex there, and users mean the real root."""
    for p in g.atoms(sp.Pow):
        q = p.exp.q if p.exp.is_Rational and not p.exp.is_integer else None
        if q is None or q % 2 == 0 or not p.base.has(var) or p.base.free_symbols - {var}:
            continue
        try:
            negative = sp.solveset(p.base < 0, var, sp.S.Reals).intersect(support)
        except (NotImplementedError, TypeError, ValueError):
            continue
        if negative is sp.S.EmptySet or (isinstance(negative, (sp.Interval, sp.Union))
                                         and negative.measure == 0 and not support.is_subset(sp.S.Integers)):
            continue
        power = "" if p.exp.p == 1 else f"**{p.exp.p}"
        roots = ([f"cbrt({p.base}){power}"] if q == 3 else []) + [f"real_root({p.base}, {q}){power}"]
        raise UnsupportedTransform(
            f"{p} is sympy's principal root, which is complex for {p.base} < 0, and X takes such "
            f"values; for the real root write {' or '.join(roots)}, or restrict the support to "
            "where the base is >= 0")


def _fresh_symbol(taken: set[str]) -> sp.Symbol:
    for name in ("y", "z", "w", "u", "v"):
        if name not in taken:
            return sp.Symbol(name, real=True)
    k = 1
    while f"y{k}" in taken:
        k += 1
    return sp.Symbol(f"y{k}", real=True)


def transform(X: Any, g: Any, y: Any = None, *, inverse: Any = None, assume: Any = (),
              timeout: float | None = DEFAULT_BUDGET_SECONDS, **matrices: Any) -> Any:
    """The law of Y = g(X), derived in closed form with every step recorded.

    ``X`` is a :class:`Density` (or a sympy.stats RV, or text such as "Gamma(2, 1)"); ``g`` a
    sympy expression in ``X.var`` or text; ``y`` the new variable (default: a fresh real ``y``).
    For a JointDensity (or text "Normal(0, 1) * Normal(0, 1)": independent x1, x2), ``g`` and
    ``y`` are tuples or comma-separated text (default names y1, y2, ...) and ``inverse`` may
    supply the inverse map.
    ``assume`` states assumptions on symbols of a text map, e.g. ``assume="c>0"`` for "c*x".
    A matrix variate (``covar.matrix.Wishart``) takes a matrix map text ("sqrtm", "inv", "chol",
    "A * X * A.T" with the matrix as a keyword ``A=...``): see covar/matrix/maps.py.
    Raises a :class:`covar.CovarError` subclass when the result cannot be derived with
    certainty; returns a numeric-only Density (``closed_form`` False) when g has no
    closed-form inverse. Every call runs under a time budget of ``timeout`` seconds.

    >>> import covar
    >>> Y = covar.transform(covar.parse_density("Gamma(alpha, lam)"), "log(x)")
    >>> Y.family
    NamedLaw('ExpGamma', (alpha, lam))
    >>> Y.support
    Interval(-oo, oo)
    """
    with time_budget(timeout):  # reading and validating the input text count too
        from covar.matrix.variates import MatrixDensity

        if isinstance(X, MatrixDensity):  # a random matrix (covar.matrix): its own maps
            from covar.matrix.maps import transform_matrix
            from covar.numeric.verify import verify

            return verify(transform_matrix(X, g, **matrices), f"law of {g}")
        if matrices:
            raise UnsupportedTransform(_unknown_keywords(sorted(matrices)))
        given = _random_variable_of(g)
        if given is not None and _random_variable_of(X) is not None and given != X:
            raise UnsupportedTransform(f"the map {g} is in the random variable {given}, not in {X}; "
                                       f"write it in {X}")
        from covar.univariate.cases import read_relations

        assume, relations = read_relations(assume)  # "c < b" holds in every case derived
        X = _as_density(X, assume)
        if not isinstance(X, Density):
            from covar.multivariate.transform import transform_joint

            from covar.numeric.verify import verify

            g, y = _vector_map(g, y)
            return verify(transform_joint(X, g, y, inverse=inverse, timeout=timeout), "joint law of g(X)")
        if inverse is not None:
            raise UnsupportedTransform("inverse= is for multivariate maps; univariate inverses are solved and checked")
        expr = map_expression(g, X.var, X.params, assume, X.support)
        if isinstance(y, str):
            y = sp.Symbol(y, real=True)
        elif isinstance(y, sp.Symbol) and not y.is_real:
            y = sp.Symbol(y.name, real=True)  # Y lives on the real line, as Density.var always does
        if y is None:
            y = _fresh_symbol({X.var.name, *(s.name for s in expr.free_symbols), *(p.name for p in X.params)})
        if y == X.var or y in X.params:
            raise UnsupportedTransform(f"the new variable {y} is already used by the density; pick another name")
        result = _derive(X, expr, y, timeout, tuple(relations))
        from covar.numeric.verify import verify

        return verify(result, f"law of {expr}")


def _unknown_keywords(names: list[str]) -> str:
    """What to say of keywords transform does not take (a matrix map's matrices aside).

    >>> _unknown_keywords(["assumptions"])
    "covar.transform has no keyword 'assumptions' (did you mean assume=?); its keywords are y, inverse, assume, timeout, and matrices by name (A=...) only in maps of matrix variates"
    """
    import difflib

    known = ["y", "inverse", "assume", "timeout"]
    said = []
    for name in names:
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
        said.append(f"{name!r}" + (f" (did you mean {close[0]}=?)" if close else ""))
    return (f"covar.transform has no keyword {', '.join(said)}; its keywords are {', '.join(known)}, "
            "and matrices by name (A=...) only in maps of matrix variates")


def _vector_map(g: Any, y: Any) -> tuple[Any, Any]:
    """A vector map as components and new variables: text "x1 + x2, x1 - x2" is cut at its
    top-level commas, "r, theta" likewise; no names give y1, y2, ..."""
    from covar.text.vectors import split_top_level

    if isinstance(g, str):
        g = split_top_level(g, ",")
    if isinstance(y, str):
        y = split_top_level(y, ",")
    if y is None:
        y = [f"y{k + 1}" for k in range(len(g) if isinstance(g, (tuple, list)) else 1)]
    return g, y


def _derive(X: Density, expr: sp.Expr, y: sp.Symbol, timeout: float | None,
            relations: tuple = ()) -> Density:
    """Dispatch to the stage that derives g(X) for this kind of input (not yet verified);
    ``relations`` between parameters (``c < b``) are stated to hold. When the one-piece analysis
    refuses, a periodic map is wrapped and a composite one split."""
    try:
        return _derive_once(X, expr, y, timeout, relations)
    except (UnsupportedTransform, NoClosedForm) as exc:
        if X.discrete or X.pdf is None:
            raise
        from covar.univariate.compose import derive_by_steps
        from covar.univariate.periodic import derive_periodic, is_periodic_case

        if is_periodic_case(X, expr):  # a fractional part whose series sympy cannot sum, too
            return derive_periodic(X, expr, y, exc)
        if isinstance(exc, NoClosedForm):
            raise
        return derive_by_steps(X, expr, y, lambda D, e, v: _derive_once(D, e, v, timeout, relations), exc)


def _derive_once(X: Density, expr: sp.Expr, y: sp.Symbol, timeout: float | None,
                 relations: tuple = ()) -> Density:
    """One attempt: the stage for this kind of input (pmf, numeric-only, stepped, continuous)."""
    try:
        if X.discrete:
            if not isinstance(X.support, (sp.FiniteSet, sp.Range)) and X.derivation is not None:
                return _compose_from_root(X, expr, y, timeout, relations)  # support is an image set
            from covar.univariate.cases import derive_with_cases
            from covar.univariate.discrete import derive_discrete

            return derive_with_cases(X, expr, y, relations, derive_discrete)
        if X.pdf is None:
            return _compose_from_root(X, expr, y, timeout, relations)
        from covar.univariate.lattice import lattice_law

        stepped = lattice_law(X, expr, y)  # floor, ceiling, round, fractional parts
        if stepped is not None:
            return stepped
        from covar.univariate.cases import derive_with_cases
        from covar.univariate.cells import derive_univariate

        # a sign or order of parameters the assumptions leave open is split into cases
        return derive_with_cases(X, expr, y, relations, derive_univariate)
    except RecursionError as exc:
        raise UnsupportedTransform(f"the map {expr} is too deeply nested to analyse") from exc
    except (NotImplementedError, sp.PolynomialError, sp.polys.polyerrors.PolificationFailed) as exc:
        # sympy gave up somewhere inside; covar refuses rather than guess
        raise UnsupportedTransform(
            f"covar cannot analyse g(x) = {expr} for this density ({type(exc).__name__}: {exc})"
        ) from exc


def _compose_from_root(X: Density, g: sp.Expr, y: sp.Symbol, timeout: float | None,
                       relations: tuple = ()) -> Density:
    """g of a result that cannot itself serve as an input (numeric-only, or a pmf on an image
    set): derive g∘g₀ from the original input in one go."""
    from covar.record import Derivation

    root = X.derivation
    if not isinstance(root, Derivation):  # an input law, or a marginal: no univariate map to compose
        raise UnsupportedTransform("this numeric-only law has no univariate map to compose with; "
                                   "covar transforms closed-form densities and results of univariate maps")
    return _derive(root.input, g.xreplace({X.var: root.g}), y, timeout, relations)  # verified once, by the caller
