"""Density: a probability density (or pmf) of one real variable, with support and atoms."""
from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping

import numpy as np
import sympy as sp

from covar.errors import InvalidDensity

if TYPE_CHECKING:  # pragma: no cover
    from covar.laws.families import NamedLaw
    from covar.numeric.evaluate import NumericEvaluator
    from covar.record import CdfRecord, LawSummary, Record


def as_real_symbol(var: sp.Symbol) -> sp.Symbol:
    """The same-named symbol declared real (transform rules need real variables)."""
    if var.is_real:
        return var
    return sp.Symbol(var.name, real=True)


class Shown:
    """The front ends every law shares (Density and JointDensity): LaTeX, JSON, Jupyter display.

    Each renders the law's summary and record; none depends on the kind of law.
    """

    def latex(self, document: bool = False) -> str:
        """LaTeX of the derivation (or of the law when there is none)."""
        from covar.render.latex import derivation_latex

        return derivation_latex(self, document=document)

    def to_json(self) -> str:
        """The law and its record chain as JSON (docs/json-schema.md)."""
        from covar.render.serialize import to_json

        return to_json(self)

    def plot(self, **options: Any) -> Any:
        """A matplotlib Figure of the map and the densities (covar.render.plot.figure.plot_law)."""
        from covar.render.plot.figure import plot_law

        return plot_law(self, **options)

    def _repr_latex_(self) -> str:
        from covar.render.notebook import latex_display

        return latex_display(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter display: plain text, LaTeX and HTML of the result."""
        from covar.render.notebook import mimebundle

        return mimebundle(self)


@dataclass(frozen=True, eq=False)
class Density(Shown):
    """The law of a real random variable: a pdf (or pmf) on a support, plus point masses.

    ``pdf`` is a sympy expression in ``var`` (for derived results a Piecewise that is 0 off the
    support); ``atoms`` maps points to masses for mixed laws such as max(0, X); ``discrete``
    marks a pmf on a Range/FiniteSet. ``pdf`` is None only for an honest numeric-only result,
    which still evaluates through :meth:`numpy`.

    >>> from sympy import symbols, exp, Interval, oo
    >>> x = symbols("x", real=True)
    >>> X = Density(exp(-x), x, Interval(0, oo))
    >>> X.support
    Interval(0, oo)
    >>> float(X.numpy()(np.array([0.0, 1.0]))[1])
    0.36787944117144233
    """

    kind: ClassVar[str] = "density"  # its name in JSON
    pdf: sp.Expr | None
    var: sp.Symbol
    support: sp.Set
    atoms: Mapping[sp.Expr, sp.Expr] = field(default_factory=dict)
    discrete: bool = False
    family: "NamedLaw | None" = None
    derivation: "Record | None" = None
    numeric: "NumericEvaluator | None" = None
    validate: bool = field(default=True, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.var, str) and self.var.isidentifier() and not self.var.startswith("_"):
            object.__setattr__(self, "var", sp.Symbol(self.var, real=True))  # Density("2*x", "x", "[0, 1]")
        if not isinstance(self.var, sp.Symbol):
            raise InvalidDensity(f"the variable must be a name such as 'x' or a sympy Symbol, got {self.var!r}")
        from covar.text.values import as_expression, as_set  # text is read by the whitelist parser only

        names = {self.var.name: as_real_symbol(self.var)}
        pdf = as_expression(self.pdf, names, what="pdf") if self.pdf is not None else None
        support = as_set(self.support, names) if isinstance(self.support, str) else self.support
        if support is True or support == sp.true:
            support = sp.Reals
        if not isinstance(support, sp.Set):
            raise InvalidDensity(
                f"the support must be a sympy Set such as Interval(0, oo), got {support!r}"
            )
        var = as_real_symbol(self.var)
        if pdf is not None and var is not self.var:
            pdf = pdf.xreplace({self.var: var})
        if support == sp.Reals:
            support = sp.Interval(-sp.oo, sp.oo)
        # sympy's named integer sets behave unlike Range (no start, no size): normalise them
        support = {sp.Naturals0: sp.Range(0, sp.oo), sp.Naturals: sp.Range(1, sp.oo),
                   sp.Integers: sp.Range(-sp.oo, sp.oo)}.get(support, support)
        support = _integer_range(support)
        if not self.discrete and not self.atoms and isinstance(support, (sp.Range, sp.FiniteSet)):
            object.__setattr__(self, "discrete", True)  # a law on integers (or points) is a pmf
        elif not isinstance(support, (sp.Range, sp.FiniteSet, sp.Interval)) and _on_integers(support):
            raise InvalidDensity(
                f"the support {support} is a set of integers, so the law is a pmf: give the support "
                "as one Range(a, b) (ends may be symbols or oo) or a FiniteSet(...)"
            )
        atoms = {as_expression(k, names, what="atom"): as_expression(v, names, what="atom mass")
                 for k, v in dict(self.atoms).items()}
        object.__setattr__(self, "pdf", pdf)
        object.__setattr__(self, "var", var)
        object.__setattr__(self, "support", support)
        object.__setattr__(self, "atoms", atoms)
        from covar.laws.families import NamedLaw

        if self.family is not None and not isinstance(self.family, NamedLaw):
            raise InvalidDensity(f"the family must be a covar.laws.families.NamedLaw or None, got {self.family!r}")
        if pdf is None and self.numeric is None:
            raise InvalidDensity("a density needs a pdf expression (or a numeric evaluator)")
        if self.validate:
            from covar.numeric.validation import validate_density

            validate_density(self)

    # -- descriptive -------------------------------------------------------------------
    @property
    def closed_form(self) -> bool:
        """False only for a numeric-only result (no pdf expression, numpy() by root-finding)."""
        return self.pdf is not None

    @property
    def params(self) -> tuple[sp.Symbol, ...]:
        """Free parameters (every symbol but the variable), sorted by name."""
        exprs = [self.pdf] if self.pdf is not None else []
        exprs += list(self.atoms.keys()) + list(self.atoms.values())
        syms: set[sp.Symbol] = set()
        for e in exprs:
            syms |= e.free_symbols
        syms |= getattr(self.support, "free_symbols", set())
        syms.discard(self.var)
        if self.numeric is not None:
            syms |= set(self.numeric.params)
        return tuple(sorted(syms, key=lambda s: s.name))

    @property
    def total_atom_mass(self) -> sp.Expr:
        return sp.Add(*self.atoms.values()) if self.atoms else sp.Integer(0)

    def summary(self) -> "LawSummary":
        """What front ends show as the result: f_Y(y) (or p_Y(y)) on the support, atoms, family."""
        from covar.record import LawSummary, function_label, letter

        return LawSummary(
            name=letter(self.var), label=function_label(self.var, self.discrete), pdf=self.pdf,
            support=self.support, where=sp.Contains(self.var, self.support, evaluate=False),
            atoms=tuple(self.atoms.items()), family=None if self.family is None else str(self.family),
            kind="pmf" if self.discrete else "density",
            numeric_method=self.numeric.method if self.numeric is not None else "")

    def __repr__(self) -> str:
        body = "numeric-only" if self.pdf is None else sp.sstr(self.pdf)
        extra = f", atoms={self.atoms}" if self.atoms else ""
        fam = f", family={self.family}" if self.family else ""
        kind = "pmf" if self.discrete else "pdf"
        return f"Density({kind}={body}, var={self.var}, support={self.support}{extra}{fam})"

    @classmethod
    def from_stats(cls, rv: Any, var: str = "x") -> "Density":
        """The Density of a univariate sympy.stats random variable.

        >>> import sympy.stats as st
        >>> Density.from_stats(st.Exponential("X", 2)).support
        Interval(0, oo)
        """
        from covar.laws.sympy_stats import density_of

        return density_of(rv, var)

    # -- numeric front ends ------------------------------------------------------------
    def numpy(self, backend: str = "auto") -> Callable[..., np.ndarray]:
        """Vectorised pdf: ``f(y_array, **params) -> ndarray`` (0 off the support; atoms excluded).
        ``backend="numba"`` compiles the formula with numba (``pip install covar[fast]``) on the
        first call; "auto" does so on a first call of 10^5 points or more when it is faster; "numpy"
        never. A kernel is used only if it agrees with mpmath (else numpy): ``f.backend`` says which."""
        from covar.numeric.evaluate import pdf_function

        # compiled (and checked) once per Density and backend: records are immutable
        return self._cached("_compiled_pdf" if backend == "auto" else f"_compiled_pdf_{backend}",
                            lambda: pdf_function(self, backend))

    def logpdf_numpy(self, backend: str = "auto") -> Callable[..., np.ndarray]:
        """Vectorised log-density computed in log space (-inf off the support); ``backend`` as for numpy()."""
        from covar.numeric.evaluate import logpdf_function

        return self._cached("_compiled_logpdf" if backend == "auto" else f"_compiled_logpdf_{backend}",
                            lambda: logpdf_function(self, backend))

    def sample(self, size: int, rng: np.random.Generator | None = None, **params: float) -> np.ndarray:
        """Draw samples: X's own sampler pushed through the map(s) for derived densities."""
        from covar.numeric.sampling import sample

        return sample(self, size, rng if rng is not None else np.random.default_rng(), **params)


    def to_scipy(self, **params: float) -> Any:
        """A frozen scipy.stats distribution of this law at the given parameter values, built
        once per set of values like numpy() (the same object is returned again)."""
        from covar.render.interop import to_scipy_once

        return to_scipy_once(self, self._cached("_scipy", dict), params)

    def to_stats(self, name: str = "Y") -> Any:
        """A sympy.stats random variable with this law (the named distribution when it has one)."""
        from covar.laws.sympy_stats import to_stats

        return to_stats(self, name)


    def subs(self, values: Mapping[Any, Any]) -> "Density":
        """The same law with parameters replaced by values (names or symbols as keys).

        The recognised family and the derivation record (down to the input law, which the
        verification gate samples through the maps) are re-evaluated too, so the result passes
        the gate as the law it now is.

        >>> from covar.text.inputs import parse_density
        >>> str(parse_density("Gamma(alpha, beta)").subs({"alpha": 2}).family)
        'Gamma(2, beta)'
        """
        from covar.text.values import as_expression

        by_name = {p.name: p for p in self.params}
        names = {**by_name, self.var.name: self.var}
        repl = {by_name.get(k, k) if isinstance(k, str) else k: as_expression(v, names, what="value")
                for k, v in values.items()}
        pdf = None if self.pdf is None else self.pdf.xreplace(repl)
        atoms = {k.xreplace(repl): v.xreplace(repl) for k, v in self.atoms.items()}
        support = self.support.xreplace(repl) if hasattr(self.support, "xreplace") else self.support
        family = None if self.family is None else self.family.subs(repl)
        derivation = None if self.derivation is None else _substituted(self.derivation, repl)
        from covar.numeric.verify import verify

        return verify(Density(pdf, self.var, support, atoms, self.discrete, family, derivation,
                              self.numeric, validate=False), "law after subs()")

    # -- distribution function and moments (covar.univariate.cdf, covar.univariate.moments) --
    def _cached(self, key: str, make: Callable[[], Any]) -> Any:
        """``make()`` once per Density (laws are immutable), kept under ``key``."""
        if key not in self.__dict__:
            object.__setattr__(self, key, make())
        return self.__dict__[key]

    @property
    def cdf_record(self) -> "CdfRecord":
        """How the CDF arose: display steps (``.text()``), the closed form, notes on what was verified."""
        from covar.univariate.cdf import derive_cdf

        return self._cached("_cdf_record", lambda: derive_cdf(self))

    @property
    def cdf(self) -> sp.Expr | None:
        """F(y) = P(Y <= y) as a Piecewise in ``var`` (0 below the support, 1 above it), atoms
        included; verified numerically against the density. None when it has no closed form
        (:meth:`cdf_numpy` then integrates numerically).

        >>> from sympy import symbols, exp, Interval, oo
        >>> x = symbols("x", real=True)
        >>> Density(exp(-x), x, Interval(0, oo)).cdf
        Piecewise((0, x < 0), (1 - exp(-x), True))
        """
        return self.cdf_record.cdf

    def cdf_numpy(self) -> Callable[..., np.ndarray]:
        """Vectorised CDF ``F(ys, **params) -> ndarray``: the compiled closed form, or quadrature.

        >>> from sympy import symbols, Interval
        >>> x = symbols("x", real=True)
        >>> Density(2 * x, x, Interval(0, 1)).cdf_numpy()(np.array([-1.0, 0.5, 3.0])).tolist()
        [0.0, 0.25, 1.0]
        """
        from covar.univariate.cdf import cdf_function

        return self._cached("_compiled_cdf", lambda: cdf_function(self, self.cdf))

    def moment(self, k: int) -> sp.Expr:
        """E[Y^k] in closed form (from the input law, checked against this density): ``oo`` or
        ``-oo`` when it diverges to one side, ``nan`` when it is undefined (a Cauchy's mean).
        Raises :class:`covar.errors.NoClosedForm` when covar cannot derive it.

        >>> from sympy import symbols, exp, Interval, oo
        >>> x = symbols("x", real=True)
        >>> Density(exp(-x), x, Interval(0, oo)).moment(3)
        6
        """
        from covar.univariate.moments import moment

        moments = self._cached("_moments", dict)
        if k not in moments:
            moments[k] = moment(self, k)
        return moments[k]

    @property
    def mean(self) -> sp.Expr:
        """E[Y] (see :meth:`moment`: ``nan`` when undefined, ``oo`` when infinite).

        >>> import covar
        >>> covar.transform("Uniform(0, 1)", "x**2").mean
        1/3
        """
        return self.moment(1)

    @property
    def variance(self) -> sp.Expr:
        """Var(Y) = E[Y^2] - E[Y]^2; ``oo`` when E[Y^2] is infinite, ``nan`` when the mean is not finite.

        >>> import covar
        >>> covar.transform("Normal(0, 1)", "2*x + 1").variance
        4
        """
        from covar.univariate.moments import variance

        return self._cached("_variance", lambda: variance(self))


def _on_integers(support: sp.Set) -> bool:
    """Whether sympy can show the support is a set of integers (False when it cannot order
    symbolic ends, e.g. Piecewise ends of a case split)."""
    try:
        return bool(support.is_subset(sp.Integers))
    except TypeError:  # sympy: "cannot determine truth value of Relational"
        return False


def _integer_range(support: sp.Set) -> sp.Set:
    """Integers ∩ [a, b] (as sympy leaves it for symbolic ends) as the Range it is."""
    if not isinstance(support, sp.Intersection) or sp.Integers not in support.args:
        return support
    rest = [s for s in support.args if s is not sp.Integers]
    if len(rest) != 1 or not isinstance(rest[0], sp.Interval):
        return support
    lo, hi = rest[0].start, rest[0].end
    first = lo if lo == -sp.oo else sp.ceiling(lo) + (1 if rest[0].left_open and lo.is_integer else 0)
    last = hi if hi == sp.oo else sp.floor(hi) - (1 if rest[0].right_open and hi.is_integer else 0)
    try:
        return sp.Range(first, last if last == sp.oo else last + 1)
    except ValueError:  # ends sympy cannot tell are integers
        return support


def _substituted(value: Any, repl: Mapping[sp.Basic, sp.Expr]) -> Any:
    """A record (or one of its fields) with parameters replaced: expressions, nested records,
    named laws and the input densities (each re-verified by its own :meth:`Density.subs`)."""
    from covar.laws.families import NamedLaw

    if isinstance(value, Density):
        return value.subs(repl)
    if isinstance(value, NamedLaw):
        return value.subs(repl)
    if isinstance(value, sp.Basic):
        return value.xreplace(repl)
    if isinstance(value, tuple):
        return tuple(_substituted(v, repl) for v in value)
    if isinstance(value, dict):
        return {_substituted(k, repl): _substituted(v, repl) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: _substituted(getattr(value, f.name), repl)
                                 for f in fields(value) if f.init})
    return value
