"""The catalog of named distributions covar can read, sample and recognise.

Each :class:`Family` knows its density (pmf for discrete families) as a sympy expression,
its support as a sympy Set, a numpy sampler, the equivalent frozen ``scipy.stats``
distribution, and how ``sympy.stats`` orders the same parameters.

Parametrisations (x is the variable; every continuous support is reported CLOSED):

========================  =====================================================  ====================
family                    density                                                support
========================  =====================================================  ====================
Normal(mu, sigma)         exp(-(x-mu)^2/(2 sigma^2)) / (sigma sqrt(2 pi))         (-oo, oo)
LogNormal(mu, sigma)      exp(-(log x-mu)^2/(2 sigma^2)) / (x sigma sqrt(2 pi))   [0, oo)
Uniform(a, b)             1/(b-a)                                                [a, b]
Exponential(rate)         rate exp(-rate x)                                      [0, oo)
Gamma(alpha, beta)        beta^alpha x^(alpha-1) exp(-beta x)/Gamma(alpha)       [0, oo)   beta = RATE
ChiSquared(k)             x^(k/2-1) exp(-x/2) / (2^(k/2) Gamma(k/2))             [0, oo)
Chi(k)                    x^(k-1) exp(-x^2/2) / (2^(k/2-1) Gamma(k/2))           [0, oo)
StudentT(nu)              Gamma((nu+1)/2)/(sqrt(nu pi) Gamma(nu/2))
                          * (1 + x^2/nu)^(-(nu+1)/2)                             (-oo, oo)
Cauchy(x0, gamma)         1/(pi gamma (1 + ((x-x0)/gamma)^2))                    (-oo, oo)
Laplace(mu, b)            exp(-|x-mu|/b)/(2b)                                    (-oo, oo)
Logistic(mu, s)           exp(-(x-mu)/s) / (s (1 + exp(-(x-mu)/s))^2)            (-oo, oo)
Gumbel(mu, beta)          exp(-z - exp(-z))/beta, z = (x-mu)/beta  (maximum)     (-oo, oo)
Weibull(lam, k)           k/lam (x/lam)^(k-1) exp(-(x/lam)^k)   (scale, shape)   [0, oo)
Pareto(xm, alpha)         alpha xm^alpha / x^(alpha+1)                           [xm, oo)
Rayleigh(sigma)           x/sigma^2 exp(-x^2/(2 sigma^2))                        [0, oo)
Levy(mu, c)               sqrt(c/(2 pi)) exp(-c/(2(x-mu))) / (x-mu)^(3/2)        [mu, oo)
Arcsin(a, b)              1/(pi sqrt((x-a)(b-x)))                                [a, b]
Beta(a, b)                x^(a-1) (1-x)^(b-1) Gamma(a+b)/(Gamma(a) Gamma(b))     [0, 1]
BetaPrime(a, b)           x^(a-1) (1+x)^(-a-b) Gamma(a+b)/(Gamma(a) Gamma(b))    [0, oo)
FisherF(d1, d2)           (d1/d2)^(d1/2) x^(d1/2-1) (1 + d1 x/d2)^(-(d1+d2)/2)
                          / B(d1/2, d2/2)                                        [0, oo)   Snedecor's F
HalfNormal(sigma)         sqrt(2)/(sigma sqrt(pi)) exp(-x^2/(2 sigma^2))         [0, oo)
InverseGamma(alpha, beta) beta^alpha x^(-alpha-1) exp(-beta/x)/Gamma(alpha)      [0, oo)   beta = SCALE
ExpGamma(alpha, beta)     beta^alpha exp(alpha x - beta exp(x))/Gamma(alpha)     (-oo, oo) log of Gamma(alpha, rate beta)
Poisson(lam)              lam^k exp(-lam)/k!                                     {0, 1, 2, ...}
Binomial(n, p)            C(n, k) p^k (1-p)^(n-k)                                {0, ..., n}
Geometric(p)              p (1-p)^(k-1)                                          {1, 2, 3, ...}
Geometric0(p)             p (1-p)^k    (failures before the first success)       {0, 1, 2, ...}
DiscreteUniform(a, b)     1/(b-a+1)                                              {a, ..., b}
========================  =====================================================  ====================

The scipy equivalents are listed in each entry below (e.g. Gamma(alpha, beta) is
``scipy.stats.gamma(alpha, scale=1/beta)``; ExpGamma is ``loggamma(alpha, loc=-log(beta))``).
``sympy.stats`` orders some parameters differently (``Gamma(k, theta)`` takes a SCALE,
``Gumbel(beta, mu)`` takes the scale first); :meth:`Family.from_stats_args` converts (the
one adapter, :mod:`covar.laws.sympy_stats`, uses it).

A :class:`Family` is a catalog ENTRY; a :class:`NamedLaw` is one member of it with its
arguments (``Gamma(alpha, 2)``): the value ``Density.family`` holds.

>>> get_family("gamma").pdf(sympy.Symbol("x"), 2, 3)
9*x*exp(-3*x)
>>> get_family("Exponential").support(2)
Interval(0, oo)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np
import sympy
from sympy import Abs, Interval, Range, exp, gamma, log, oo, pi, sqrt

from covar.errors import CovarError, InvalidDensity, ParseError
from covar.text.values import as_expression, as_sympy

if TYPE_CHECKING:  # pragma: no cover
    from covar.laws.density import Density


class _ScipyStats:
    """scipy.stats, imported on first use: it costs about a second and derivations never need it."""

    def __getattr__(self, name: str) -> Any:
        import scipy.stats

        return getattr(scipy.stats, name)


_st = _ScipyStats()

__all__ = ["Family", "NamedLaw", "Constraint", "FAMILIES", "get_family", "symbol_constraint", "MAX_SHAPE",
           "MAX_LOCATION_SCALE"]

#: Largest |value| of a numeric shape or count parameter: these enter gamma functions, exact
#: factorials, binomials and exponents, whose exact values explode (ChiSquared(7e8) needs the
#: factorial of 3.5e8). The parser bounds numbers by the same reasoning.
MAX_SHAPE = 1_000
#: Largest |value| of a numeric location or scale parameter.
MAX_LOCATION_SCALE = 10 ** 6
#: Most points of a DiscreteUniform support.
MAX_SUPPORT_POINTS = 10_000

# shape and count parameters, per family (bounded by MAX_SHAPE)
_SHAPES: Mapping[str, frozenset[str]] = MappingProxyType({
    "Gamma": frozenset({"alpha"}), "ChiSquared": frozenset({"k"}), "Chi": frozenset({"k"}),
    "StudentT": frozenset({"nu"}), "Weibull": frozenset({"k"}), "Pareto": frozenset({"alpha"}),
    "Beta": frozenset({"a", "b"}), "InverseGamma": frozenset({"alpha"}),
    "BetaPrime": frozenset({"a", "b"}), "FisherF": frozenset({"d1", "d2"}),
    "ExpGamma": frozenset({"alpha"}), "Poisson": frozenset({"lam"}), "Binomial": frozenset({"n"}),
})


def _relations(name: str, args: Sequence[sympy.Expr]) -> list[tuple[Any, str]]:
    """Conditions between parameters beyond each one's own assumptions: (condition, message)."""
    if name in ("Uniform", "Arcsin"):
        a, b = args
        return [(sympy.Lt(a, b), f"needs a < b, got a = {a}, b = {b}")]
    if name == "DiscreteUniform":
        a, b = args
        return [(sympy.Le(a, b), f"needs a <= b, got a = {a}, b = {b}"),
                (sympy.Le(b - a, MAX_SUPPORT_POINTS - 1),
                 f"has at most {MAX_SUPPORT_POINTS} points here, got b - a + 1 = {b - a + 1}")]
    return []


_CONSTRAINTS = {"positive": "> 0", "nonnegative": ">= 0", "negative": "< 0", "nonpositive": "<= 0",
                "nonzero": "!= 0"}
_HOLDS: Mapping[str, Callable[[float], bool]] = MappingProxyType({
    "positive": lambda v: v > 0, "negative": lambda v: v < 0, "nonnegative": lambda v: v >= 0,
    "nonpositive": lambda v: v <= 0, "nonzero": lambda v: v != 0,
    "integer": lambda v: float(v).is_integer(), "real": lambda v: v == v})


def describe_constraint(facts: Mapping[str, bool]) -> str:
    """A parameter's assumptions as the constraint a user reads: '> 0', 'an integer >= 0'.

    >>> describe_constraint({"positive": True, "integer": True})
    'an integer > 0'
    """
    bound = " ".join(_CONSTRAINTS[f] for f, wanted in facts.items() if wanted and f in _CONSTRAINTS)
    if facts.get("integer"):
        return f"an integer {bound}".strip()
    return bound or "real"


@dataclass(frozen=True)
class Constraint:
    """What a number given to one parameter must be: its assumptions (``facts``, as on its
    sympy symbol) and, for a probability, an upper bound. The one source of every message
    that says a parameter value is out of range (the catalog, the CLI's -p, to_scipy).

    >>> p = get_family("Binomial").constraint("p")
    >>> p.text, p.admits(0.5), p.admits(1.5), p.example
    ('a probability in (0, 1]', True, False, 0.25)
    >>> Constraint.of_symbol(sympy.Symbol("n", integer=True, nonnegative=True)).text
    'an integer >= 0'
    """

    facts: Mapping[str, bool]
    upper: int | None = None

    @classmethod
    def of_symbol(cls, symbol: sympy.Symbol) -> "Constraint":
        """The constraint a symbol's own assumptions state: its strongest sign (positive
        rather than the nonnegative and nonzero it implies) and whether it is an integer."""
        sign = next((f for f in _CONSTRAINTS if getattr(symbol, f"is_{f}")), None)
        return cls({**({sign: True} if sign else {}), **({"integer": True} if symbol.is_integer else {})})

    @property
    def text(self) -> str:
        """The constraint as the user reads it: '> 0', 'an integer > 0', 'a probability in (0, 1]'."""
        if self.upper is None:
            return describe_constraint(self.facts)
        if self.upper == 1 and self.facts.get("positive") and len(self.facts) == 1:
            return "a probability in (0, 1]"
        return f"{describe_constraint(self.facts)} and <= {self.upper}"

    def admits(self, value: float) -> bool:
        """Whether the number ``value`` meets the constraint (nan never does)."""
        return value == value and all(_HOLDS[f](value) for f, wanted in self.facts.items() if wanted) \
            and (self.upper is None or value <= self.upper)

    @property
    def example(self) -> float:
        """A value inside the constraint, for the messages' "give e.g." and the family sheets."""
        if self.upper is not None:
            return self.upper / 4
        if self.facts.get("negative") or self.facts.get("nonpositive"):
            return -2.0
        return 2.0 if any(self.facts.get(f) for f in ("positive", "nonnegative", "nonzero")) else 0.0


def symbol_constraint(symbol: sympy.Symbol, laws: Sequence["NamedLaw | None"] = ()) -> Constraint:
    """The constraint on a value of ``symbol``: the catalog's when the symbol is itself an
    argument of one of ``laws`` (p of Binomial(10, p) is a probability), else its own assumptions.

    >>> p = sympy.Symbol("p", positive=True)
    >>> symbol_constraint(p, [NamedLaw("Geometric", (p,))]).text, symbol_constraint(p).text
    ('a probability in (0, 1]', '> 0')
    """
    for law in (law for law in laws if law is not None):
        for name, arg in zip(law.entry.params, law.args):
            if arg == symbol:
                return law.entry.constraint(name)
    return Constraint.of_symbol(symbol)


def parameter_constraints(density: "Density") -> dict[str, Constraint]:
    """The constraint on each parameter of ``density``, by name: the catalog's where the
    parameter is an argument of the law or of an input it was derived from, else its own
    assumptions (the CLI's -p check and to_scipy both read them here).

    >>> import covar
    >>> Y = covar.transform("Binomial(10, p)", "2*x")
    >>> parameter_constraints(Y)["p"].text
    'a probability in (0, 1]'
    """
    steps = getattr(density.derivation, "steps", ())
    laws = [getattr(getattr(step, "input", None), "family", None) for step in steps] + [density.family]
    return {symbol.name: symbol_constraint(symbol, laws) for symbol in density.params}


# Parameter assumption sets, shared read-only (MappingProxyType keeps the catalog immutable).
_REAL = MappingProxyType({"real": True})
_POS = MappingProxyType({"positive": True})
_POS_INT = MappingProxyType({"positive": True, "integer": True})
_NONNEG_INT = MappingProxyType({"nonnegative": True, "integer": True})
_INT = MappingProxyType({"integer": True})
# A probability: sympy has no "in [0, 1]" assumption; positive is the closest honest one, and
# the family's ``upper`` bound 1 completes it.
_PROB = MappingProxyType({"positive": True})
_AT_MOST_ONE = MappingProxyType({"p": 1})

_LINE = Interval(-oo, oo)
_HALF = Interval(0, oo)


@dataclass(frozen=True, eq=False)
class Family:
    """One named distribution: density, support, sampler, scipy twin, sympy.stats mapping.

    ``params`` are the parameter names in covar's order; ``assumptions`` gives, per
    parameter, the sympy assumptions a symbol for it should carry. ``stats_class`` is the
    name of the matching ``sympy.stats`` distribution class (None when sympy has none) and
    ``stats_args`` converts that class's ``args`` into covar's order (None when the sympy
    object is a variant covar does not have, e.g. a minimum-Gumbel).

    >>> fam = get_family("Normal")
    >>> fam.params, fam.discrete
    (('mu', 'sigma'), False)
    >>> float(fam.scipy(0.0, 1.0).pdf(0.0)) == float(fam.pdf(sympy.Symbol("x"), 0, 1).subs("x", 0))
    True
    """

    name: str
    params: tuple[str, ...]
    assumptions: tuple[Mapping[str, bool], ...]
    discrete: bool
    pdf_fn: Callable[..., sympy.Expr] = field(repr=False)
    support_fn: Callable[..., sympy.Set] = field(repr=False)
    sampler: Callable[..., np.ndarray] = field(repr=False)
    scipy_fn: Callable[..., Any] = field(repr=False)
    stats_class: str | None = None
    stats_args: Callable[[tuple], tuple | None] | None = field(default=None, repr=False)
    cdf_fn: Callable[..., sympy.Expr] | None = field(default=None, repr=False)
    upper: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}), repr=False)

    def _check_arity(self, args: Sequence[Any]) -> None:
        if len(args) != len(self.params):
            raise ParseError(
                f"{self.name} takes {len(self.params)} parameter(s) "
                f"({', '.join(self.params)}), got {len(args)}"
            )

    def constraint(self, name: str) -> Constraint:
        """The constraint on parameter ``name`` (its assumptions, and a probability's bound 1).

        >>> get_family("Binomial").constraint("n").text
        'an integer > 0'
        """
        return Constraint(self.assumptions[self.params.index(name)], self.upper.get(name))

    def example_args(self) -> tuple[float, ...]:
        """Argument values inside the family's domain: each parameter's example, spread apart
        so that relations such as a < b hold.

        >>> get_family("Uniform").example_args(), get_family("Binomial").example_args()
        ((0.0, 1.0), (2.0, 0.25))
        """
        constraints = [self.constraint(p) for p in self.params]
        return tuple(c.example if c.upper is not None else c.example + i for i, c in enumerate(constraints))

    def check_args(self, args: Sequence[Any]) -> None:
        """Refuse parameters outside the family's domain or too large to compute with.

        Numbers are checked exactly: a violated assumption (``Normal(0, 0)``: sigma must be
        > 0) or relation (``Uniform(2, 1)``) is an :class:`InvalidDensity`; a value above
        :data:`MAX_SHAPE` / :data:`MAX_LOCATION_SCALE` is a :class:`ParseError`. Symbolic
        arguments pass when sympy cannot decide (their assumptions come from the catalog).

        >>> get_family("Normal").check_args((0, 0))
        Traceback (most recent call last):
        ...
        covar.errors.InvalidDensity: Normal(0, 0): sigma must be > 0, got 0
        """
        self._check_arity(args)
        values = tuple(as_sympy(a, what=f"parameter {name}") for name, a in zip(self.params, args))
        call = f"{self.name}({', '.join(sympy.sstr(v) for v in values)})"
        shapes = _SHAPES.get(self.name, frozenset())
        for name, value, facts in zip(self.params, values, self.assumptions):
            if not isinstance(value, sympy.Expr) or value.has(sympy.nan, sympy.zoo):
                raise InvalidDensity(f"{call}: {name} must be a real number or expression, got {value}")
            if value.is_number:
                if value.is_finite is not True or value.is_real is not True:
                    raise InvalidDensity(f"{call}: {name} must be a finite real number, got {value}")
                limit = MAX_SHAPE if name in shapes else MAX_LOCATION_SCALE
                if sympy.Gt(abs(value), limit) is sympy.true:
                    kind = "a shape or count" if name in shapes else "a location or scale"
                    raise ParseError(
                        f"{call}: {name} is {kind} parameter and covar accepts |{name}| <= {limit}; "
                        "rescale the problem or keep the parameter as a symbol")
            constraint = self.constraint(name)
            broken = any(getattr(value, f"is_{fact}") is (not wanted)
                         or (value.is_number and getattr(value, f"is_{fact}") is not wanted)
                         for fact, wanted in facts.items())
            if broken or (constraint.upper is not None and sympy.Gt(value, constraint.upper) is sympy.true):
                raise InvalidDensity(f"{call}: {name} must be {constraint.text}, got {value}")
        for condition, message in _relations(self.name, values):
            if condition is sympy.false:
                raise InvalidDensity(f"{call} {message}")

    def pdf(self, var: sympy.Symbol, *args: Any) -> sympy.Expr:
        """Density (pmf when discrete) in ``var``; valid on :meth:`support` only.

        >>> get_family("Exponential").pdf(sympy.Symbol("x"), 2)
        2*exp(-2*x)
        """
        self._check_arity(args)
        return self.pdf_fn(var, *(as_expression(a) for a in args))

    def cdf(self, var: sympy.Symbol, *args: Any) -> sympy.Expr | None:
        """P(X <= var) as a sympy expression valid on :meth:`support` (a pmf's uses floor(var));
        None when the catalog gives no closed form. Every use is verified numerically
        (:mod:`covar.univariate.cdf`). Beta and Binomial have none here: their regularised
        incomplete beta function is mis-evaluated by sympy's mpmath printer, which the checks use.

        >>> get_family("Exponential").cdf(sympy.Symbol("x"), 2)
        1 - exp(-2*x)
        """
        self._check_arity(args)
        if self.cdf_fn is None:
            return None
        return self.cdf_fn(var, *(as_expression(a) for a in args))

    def support(self, *args: Any) -> sympy.Set:
        """Support as a sympy Set: a closed Interval, or a Range for discrete families.

        >>> get_family("Pareto").support(1, 3)
        Interval(1, oo)
        """
        self._check_arity(args)
        return self.support_fn(*(as_expression(a) for a in args))

    def sample(self, rng: np.random.Generator, size: int, *args: float) -> np.ndarray:
        """``size`` draws with numpy's Generator ``rng`` (float parameters).

        >>> get_family("Uniform").sample(np.random.default_rng(0), 3, 2.0, 2.5).shape
        (3,)
        """
        self._check_arity(args)
        return np.asarray(self.sampler(rng, int(size), *(float(a) for a in args)))

    def scipy(self, *args: float) -> Any:
        """The equivalent frozen ``scipy.stats`` distribution.

        >>> round(float(get_family("Gamma").scipy(2.0, 4.0).mean()), 12)
        0.5
        """
        self._check_arity(args)
        return self.scipy_fn(*(float(a) for a in args))

    def symbols(self) -> tuple[sympy.Symbol, ...]:
        """Fresh symbols named after the parameters, with the family's assumptions.

        >>> get_family("Gamma").symbols()[1].is_positive
        True
        """
        return tuple(sympy.Symbol(n, **dict(a)) for n, a in zip(self.params, self.assumptions))

    def from_stats_args(self, args: tuple) -> tuple[sympy.Expr, ...] | None:
        """covar's parameters from a ``sympy.stats`` distribution's ``args`` (None: not this family).

        >>> th = sympy.Symbol("theta", positive=True)
        >>> get_family("Gamma").from_stats_args((2, th))
        (2, 1/theta)
        """
        if self.stats_args is None:
            return None
        got = self.stats_args(tuple(as_sympy(a) for a in args))
        return None if got is None else tuple(as_sympy(a) for a in got)


# ---------------------------------------------------------------------------------------
# numpy samplers that need more than one Generator call (kept small and exact)
def _sample_levy(rng: np.random.Generator, size: int, mu: float, c: float) -> np.ndarray:
    # Levy(mu, c) is mu + c/Z^2 for Z standard normal.
    z = rng.standard_normal(size)
    return mu + c / (z * z)


def _sample_arcsin(rng: np.random.Generator, size: int, a: float, b: float) -> np.ndarray:
    # sin^2 of a uniform angle is Arcsine(0, 1).
    return a + (b - a) * np.sin(0.5 * np.pi * rng.random(size)) ** 2


def _sample_expgamma(rng: np.random.Generator, size: int, alpha: float, beta: float) -> np.ndarray:
    # log Gamma(alpha) = log Gamma(alpha+1) + log(U)/alpha: avoids log(0) when alpha is small.
    g = rng.gamma(alpha + 1.0, 1.0, size)
    return np.log(g) + np.log(rng.random(size)) / alpha - np.log(beta)


def _discrete_uniform_stats(args: tuple) -> tuple | None:
    # sympy.stats.DiscreteUniform takes a list of items; only consecutive integers map back.
    items = sorted(args, key=lambda v: float(v)) if all(a.is_number for a in args) else None
    if not items or not all(i.is_integer for i in items):
        return None
    if [int(i) for i in items] != list(range(int(items[0]), int(items[0]) + len(items))):
        return None
    return (items[0], items[-1])


def _build() -> Mapping[str, Family]:
    """Build the catalog once; returned read-only."""
    F = Family
    fams = [
        F("Normal", ("mu", "sigma"), (_REAL, _POS), False,
          lambda x, mu, s: exp(-(x - mu) ** 2 / (2 * s ** 2)) / (s * sqrt(2 * pi)),
          lambda mu, s: _LINE,
          lambda r, n, mu, s: r.normal(mu, s, n),
          lambda mu, s: _st.norm(loc=mu, scale=s),
          "NormalDistribution", lambda a: a,
          cdf_fn=lambda x, mu, s: (1 + sympy.erf((x - mu) / (s * sqrt(2)))) / 2),
        F("LogNormal", ("mu", "sigma"), (_REAL, _POS), False,
          lambda x, mu, s: exp(-(log(x) - mu) ** 2 / (2 * s ** 2)) / (x * s * sqrt(2 * pi)),
          lambda mu, s: _HALF,
          lambda r, n, mu, s: r.lognormal(mu, s, n),
          lambda mu, s: _st.lognorm(s, scale=np.exp(mu)),
          "LogNormalDistribution", lambda a: a,
          cdf_fn=lambda x, mu, s: (1 + sympy.erf((log(x) - mu) / (s * sqrt(2)))) / 2),
        F("Uniform", ("a", "b"), (_REAL, _REAL), False,
          lambda x, a, b: 1 / (b - a),
          lambda a, b: Interval(a, b),
          lambda r, n, a, b: r.uniform(a, b, n),
          lambda a, b: _st.uniform(loc=a, scale=b - a),
          "UniformDistribution", lambda a: a,
          cdf_fn=lambda x, a, b: (x - a) / (b - a)),
        F("Exponential", ("rate",), (_POS,), False,
          lambda x, lam: lam * exp(-lam * x),
          lambda lam: _HALF,
          lambda r, n, lam: r.exponential(1.0 / lam, n),
          lambda lam: _st.expon(scale=1.0 / lam),
          "ExponentialDistribution", lambda a: a,
          cdf_fn=lambda x, lam: 1 - exp(-lam * x)),
        F("Gamma", ("alpha", "beta"), (_POS, _POS), False,
          lambda x, al, be: be ** al * x ** (al - 1) * exp(-be * x) / gamma(al),
          lambda al, be: _HALF,
          lambda r, n, al, be: r.gamma(al, 1.0 / be, n),
          lambda al, be: _st.gamma(al, scale=1.0 / be),
          # sympy.stats.Gamma(k, theta): theta is a scale, covar's beta a rate.
          "GammaDistribution", lambda a: (a[0], 1 / a[1]),
          cdf_fn=lambda x, al, be: sympy.lowergamma(al, be * x) / gamma(al)),
        F("ChiSquared", ("k",), (_POS,), False,
          lambda x, k: x ** (k / 2 - 1) * exp(-x / 2) / (2 ** (k / 2) * gamma(k / 2)),
          lambda k: _HALF,
          lambda r, n, k: r.chisquare(k, n),
          lambda k: _st.chi2(k),
          "ChiSquaredDistribution", lambda a: a,
          cdf_fn=lambda x, k: sympy.lowergamma(k / 2, x / 2) / gamma(k / 2)),
        F("Chi", ("k",), (_POS,), False,
          lambda x, k: x ** (k - 1) * exp(-x ** 2 / 2) / (2 ** (k / 2 - 1) * gamma(k / 2)),
          lambda k: _HALF,
          lambda r, n, k: np.sqrt(r.chisquare(k, n)),
          lambda k: _st.chi(k),
          "ChiDistribution", lambda a: a,
          cdf_fn=lambda x, k: sympy.lowergamma(k / 2, x ** 2 / 2) / gamma(k / 2)),
        F("StudentT", ("nu",), (_POS,), False,
          lambda x, nu: gamma((nu + 1) / 2) / (sqrt(nu * pi) * gamma(nu / 2))
          * (1 + x ** 2 / nu) ** (-(nu + 1) / 2),
          lambda nu: _LINE,
          lambda r, n, nu: r.standard_t(nu, n),
          lambda nu: _st.t(nu),
          "StudentTDistribution", lambda a: a),
        F("Cauchy", ("x0", "gamma"), (_REAL, _POS), False,
          lambda x, x0, g: 1 / (pi * g * (1 + ((x - x0) / g) ** 2)),
          lambda x0, g: _LINE,
          lambda r, n, x0, g: x0 + g * r.standard_cauchy(n),
          lambda x0, g: _st.cauchy(loc=x0, scale=g),
          "CauchyDistribution", lambda a: a,
          cdf_fn=lambda x, x0, g: sympy.atan((x - x0) / g) / pi + sympy.Rational(1, 2)),
        F("Laplace", ("mu", "b"), (_REAL, _POS), False,
          lambda x, mu, b: exp(-Abs(x - mu) / b) / (2 * b),
          lambda mu, b: _LINE,
          lambda r, n, mu, b: r.laplace(mu, b, n),
          lambda mu, b: _st.laplace(loc=mu, scale=b),
          "LaplaceDistribution", lambda a: a,
          cdf_fn=lambda x, mu, b: sympy.Piecewise((exp((x - mu) / b) / 2, x < mu), (1 - exp(-(x - mu) / b) / 2, True))),
        F("Logistic", ("mu", "s"), (_REAL, _POS), False,
          lambda x, mu, s: exp(-(x - mu) / s) / (s * (1 + exp(-(x - mu) / s)) ** 2),
          lambda mu, s: _LINE,
          lambda r, n, mu, s: r.logistic(mu, s, n),
          lambda mu, s: _st.logistic(loc=mu, scale=s),
          "LogisticDistribution", lambda a: a,
          cdf_fn=lambda x, mu, s: 1 / (1 + exp(-(x - mu) / s))),
        F("Gumbel", ("mu", "beta"), (_REAL, _POS), False,
          lambda x, mu, be: exp(-(x - mu) / be - exp(-(x - mu) / be)) / be,
          lambda mu, be: _LINE,
          lambda r, n, mu, be: r.gumbel(mu, be, n),
          lambda mu, be: _st.gumbel_r(loc=mu, scale=be),
          # sympy.stats.Gumbel(beta, mu, minimum): scale first; the minimum variant is not ours.
          "GumbelDistribution",
          lambda a: None if len(a) > 2 and bool(a[2]) else (a[1], a[0]),
          cdf_fn=lambda x, mu, be: exp(-exp(-(x - mu) / be))),
        F("Weibull", ("lam", "k"), (_POS, _POS), False,
          lambda x, lam, k: k / lam * (x / lam) ** (k - 1) * exp(-(x / lam) ** k),
          lambda lam, k: _HALF,
          lambda r, n, lam, k: lam * r.weibull(k, n),
          lambda lam, k: _st.weibull_min(k, scale=lam),
          # sympy.stats.Weibull(alpha, beta) is (scale, shape), the same order as covar.
          "WeibullDistribution", lambda a: a,
          cdf_fn=lambda x, lam, k: 1 - exp(-(x / lam) ** k)),
        F("Pareto", ("xm", "alpha"), (_POS, _POS), False,
          lambda x, xm, al: al * xm ** al / x ** (al + 1),
          lambda xm, al: Interval(xm, oo),
          # numpy's pareto is the Lomax (shifted) form.
          lambda r, n, xm, al: xm * (1.0 + r.pareto(al, n)),
          lambda xm, al: _st.pareto(al, scale=xm),
          "ParetoDistribution", lambda a: a,
          cdf_fn=lambda x, xm, al: 1 - (xm / x) ** al),
        F("Rayleigh", ("sigma",), (_POS,), False,
          lambda x, s: x / s ** 2 * exp(-x ** 2 / (2 * s ** 2)),
          lambda s: _HALF,
          lambda r, n, s: r.rayleigh(s, n),
          lambda s: _st.rayleigh(scale=s),
          "RayleighDistribution", lambda a: a,
          cdf_fn=lambda x, s: 1 - exp(-x ** 2 / (2 * s ** 2))),
        F("Levy", ("mu", "c"), (_REAL, _POS), False,
          lambda x, mu, c: sqrt(c / (2 * pi)) * exp(-c / (2 * (x - mu))) / (x - mu) ** sympy.Rational(3, 2),
          lambda mu, c: Interval(mu, oo),
          _sample_levy,
          lambda mu, c: _st.levy(loc=mu, scale=c),
          "LevyDistribution", lambda a: a,
          cdf_fn=lambda x, mu, c: sympy.erfc(sqrt(c / (2 * (x - mu))))),
        F("Arcsin", ("a", "b"), (_REAL, _REAL), False,
          lambda x, a, b: 1 / (pi * sqrt((x - a) * (b - x))),
          lambda a, b: Interval(a, b),
          _sample_arcsin,
          lambda a, b: _st.arcsine(loc=a, scale=b - a),
          "ArcsinDistribution", lambda a: a,
          cdf_fn=lambda x, a, b: 2 * sympy.asin(sqrt((x - a) / (b - a))) / pi),
        F("Beta", ("a", "b"), (_POS, _POS), False,
          lambda x, a, b: x ** (a - 1) * (1 - x) ** (b - 1) * gamma(a + b) / (gamma(a) * gamma(b)),
          lambda a, b: Interval(0, 1),
          lambda r, n, a, b: r.beta(a, b, n),
          lambda a, b: _st.beta(a, b),
          "BetaDistribution", lambda a: a),
        F("BetaPrime", ("a", "b"), (_POS, _POS), False,
          lambda x, a, b: x ** (a - 1) * (1 + x) ** (-a - b) * gamma(a + b) / (gamma(a) * gamma(b)),
          lambda a, b: _HALF,
          lambda r, n, a, b: (lambda u: u / (1 - u))(r.beta(a, b, n)),
          lambda a, b: _st.betaprime(a, b),
          "BetaPrimeDistribution", lambda a: a),
        F("FisherF", ("d1", "d2"), (_POS, _POS), False,
          lambda x, d1, d2: (d1 / d2) ** (d1 / 2) * x ** (d1 / 2 - 1) * (1 + d1 * x / d2) ** (-(d1 + d2) / 2)
          * gamma((d1 + d2) / 2) / (gamma(d1 / 2) * gamma(d2 / 2)),
          lambda d1, d2: _HALF,
          lambda r, n, d1, d2: r.f(d1, d2, n),
          lambda d1, d2: _st.f(d1, d2),
          "FDistributionDistribution", lambda a: a),
        F("HalfNormal", ("sigma",), (_POS,), False,
          lambda x, s: sqrt(2) * exp(-x ** 2 / (2 * s ** 2)) / (s * sqrt(pi)),
          lambda s: _HALF,
          lambda r, n, s: np.abs(r.normal(0.0, s, n)),
          lambda s: _st.halfnorm(scale=s),
          None, None,
          cdf_fn=lambda x, s: sympy.erf(x / (s * sqrt(2)))),
        F("InverseGamma", ("alpha", "beta"), (_POS, _POS), False,
          lambda x, al, be: be ** al * x ** (-al - 1) * exp(-be / x) / gamma(al),
          lambda al, be: _HALF,
          lambda r, n, al, be: be / r.gamma(al, 1.0, n),
          lambda al, be: _st.invgamma(al, scale=be),
          # sympy.stats.GammaInverse(a, b): b is the scale, as here.
          "GammaInverseDistribution", lambda a: a,
          cdf_fn=lambda x, al, be: sympy.uppergamma(al, be / x) / gamma(al)),
        F("ExpGamma", ("alpha", "beta"), (_POS, _POS), False,
          lambda y, al, be: be ** al * exp(al * y - be * exp(y)) / gamma(al),
          lambda al, be: _LINE,
          _sample_expgamma,
          lambda al, be: _st.loggamma(al, loc=-np.log(be)),
          None, None,
          cdf_fn=lambda y, al, be: sympy.lowergamma(al, be * exp(y)) / gamma(al)),
        F("Poisson", ("lam",), (_POS,), True,
          lambda k, lam: lam ** k * exp(-lam) / sympy.factorial(k),
          lambda lam: Range(0, oo),
          lambda r, n, lam: r.poisson(lam, n),
          lambda lam: _st.poisson(lam),
          "PoissonDistribution", lambda a: a,
          cdf_fn=lambda k, lam: sympy.uppergamma(sympy.floor(k) + 1, lam) / sympy.factorial(sympy.floor(k))),
        F("Binomial", ("n", "p"), (_POS_INT, _PROB), True,
          lambda k, n, p: sympy.binomial(n, k) * p ** k * (1 - p) ** (n - k),
          lambda n, p: Range(0, n + 1),
          lambda r, size, n, p: r.binomial(int(n), p, size),
          lambda n, p: _st.binom(int(n), p),
          # sympy.stats.Binomial(n, p, succ, fail): only the 1/0 coding is covar's Binomial.
          "BinomialDistribution",
          lambda a: (a[0], a[1]) if len(a) < 4 or (a[2] == 1 and a[3] == 0) else None,
          upper=_AT_MOST_ONE),
        F("Geometric", ("p",), (_PROB,), True,
          lambda k, p: p * (1 - p) ** (k - 1),
          lambda p: Range(1, oo),
          lambda r, n, p: r.geometric(p, n),
          lambda p: _st.geom(p),
          "GeometricDistribution", lambda a: a,
          cdf_fn=lambda k, p: 1 - (1 - p) ** sympy.floor(k), upper=_AT_MOST_ONE),
        # the number of failures before the first success: Geometric(p) - 1 (floor of an Exponential)
        F("Geometric0", ("p",), (_PROB,), True,
          lambda k, p: p * (1 - p) ** k,
          lambda p: Range(0, oo),
          lambda r, n, p: r.geometric(p, n) - 1,
          lambda p: _st.geom(p, loc=-1),
          None, None,
          cdf_fn=lambda k, p: 1 - (1 - p) ** (sympy.floor(k) + 1), upper=_AT_MOST_ONE),
        F("DiscreteUniform", ("a", "b"), (_INT, _INT), True,
          lambda k, a, b: 1 / (b - a + 1),
          lambda a, b: Range(a, b + 1),
          lambda r, n, a, b: r.integers(int(a), int(b), n, endpoint=True),
          lambda a, b: _st.randint(int(a), int(b) + 1),
          "DiscreteUniformDistribution", _discrete_uniform_stats,
          cdf_fn=lambda k, a, b: (sympy.floor(k) - a + 1) / (b - a + 1)),
    ]
    return MappingProxyType({f.name: f for f in fams})


#: Read-only catalog, keyed by canonical family name.
FAMILIES: Mapping[str, Family] = _build()
_BY_LOWER: Mapping[str, Family] = MappingProxyType({k.lower(): v for k, v in FAMILIES.items()})


def get_family(name: str) -> Family:
    """The catalog entry called ``name`` (case-insensitive).

    >>> get_family("chisquared").name
    'ChiSquared'
    >>> get_family("Nope")
    Traceback (most recent call last):
    ...
    covar.errors.ParseError: unknown distribution 'Nope'; known: Normal, LogNormal, ...
    """
    fam = _BY_LOWER.get(str(name).lower())
    if fam is None:
        raise ParseError(f"unknown distribution {name!r}; known: {', '.join(FAMILIES)}")
    return fam


@dataclass(frozen=True)
class NamedLaw:
    """One member of a catalog family: the entry's name and its sympy arguments.

    This is what ``Density.family`` holds: the law a density was recognised as (or was
    named as), e.g. ``Gamma(alpha, 2)``. ``str()`` gives the display label; :meth:`subs`
    re-evaluates the arguments; :meth:`sample` draws with the catalog's sampler; JSON goes
    through :meth:`to_dict` / :meth:`from_dict`. Equality compares the name and the sympy
    arguments (never a display label).

    >>> a = sympy.Symbol("alpha", positive=True)
    >>> law = NamedLaw("expgamma", (a, 3))
    >>> law
    NamedLaw('ExpGamma', (alpha, 3))
    >>> str(law), str(law.subs({"alpha": 2}))
    ('ExpGamma(alpha, 3)', 'ExpGamma(2, 3)')
    >>> law.entry.params
    ('alpha', 'beta')
    """

    name: str
    args: tuple[sympy.Expr, ...]

    def __post_init__(self) -> None:
        entry = get_family(self.name)  # ParseError for a name the catalog lacks
        args = tuple(as_expression(a, what=f"{entry.name} argument") for a in self.args)
        entry._check_arity(args)
        object.__setattr__(self, "name", entry.name)
        object.__setattr__(self, "args", args)

    @property
    def entry(self) -> Family:
        """The catalog entry (density, support, sampler, scipy twin) of this law."""
        return get_family(self.name)

    @property
    def label(self) -> str:
        """Display label such as ``Normal(c + mu, sigma)`` (a float argument reads 0.5)."""
        return f"{self.name}({', '.join(sympy.sstr(a, full_prec=False) for a in self.args)})"

    def __str__(self) -> str:
        return self.label

    def __repr__(self) -> str:
        return f"NamedLaw({self.name!r}, ({', '.join(sympy.sstr(a) for a in self.args)}{',' * (len(self.args) == 1)}))"

    @property
    def free_symbols(self) -> set[sympy.Symbol]:
        """The parameters the arguments mention."""
        return set().union(*(a.free_symbols for a in self.args))

    def density(self, var: sympy.Symbol) -> "Density":
        """The Density of this law in ``var``: the catalog's pdf (pmf) on its support, after the
        exact domain checks of :meth:`Family.check_args` (so it needs no numeric validation).

        >>> NamedLaw("Exponential", (2,)).density(sympy.Symbol("x", real=True))
        Density(pdf=2*exp(-2*x), var=x, support=Interval(0, oo), family=Exponential(2))
        """
        from covar.laws.density import Density

        entry = self.entry
        entry.check_args(self.args)
        return Density(entry.pdf(var, *self.args), var, entry.support(*self.args), discrete=entry.discrete,
                       family=self, validate=False)

    def subs(self, values: Mapping[Any, Any]) -> "NamedLaw":
        """The same family with arguments re-evaluated at ``values`` (symbols or names as keys).

        The new arguments must still be valid for the family (:meth:`Family.check_args`).

        >>> mu, s = sympy.symbols("mu s", positive=True)
        >>> NamedLaw("Normal", (mu, s)).subs({mu: 1, "s": 2})
        NamedLaw('Normal', (1, 2))
        >>> NamedLaw("Normal", (mu, s)).subs({"s": 0})
        Traceback (most recent call last):
        ...
        covar.errors.InvalidDensity: Normal(mu, 0): sigma must be > 0, got 0
        """
        by_name = {s.name: s for s in self.free_symbols}
        repl = {}
        for key, value in values.items():
            sym = by_name.get(key) if isinstance(key, str) else key
            if sym is not None:
                repl[sym] = as_expression(value, what="value")
        law = NamedLaw(self.name, tuple(a.xreplace(repl) for a in self.args))
        law.entry.check_args(law.args)
        return law

    def sample(self, rng: np.random.Generator, size: int, **params: float) -> np.ndarray:
        """``size`` draws with the catalog's sampler, parameters given by name.

        >>> NamedLaw("Uniform", (0, sympy.Symbol("b"))).sample(np.random.default_rng(0), 2, b=3.0).shape
        (2,)
        """
        from covar.numeric.verify import to_float

        missing = sorted(s.name for s in self.free_symbols if s.name not in params)
        if missing:
            raise CovarError(f"sampling {self} needs a value for {', '.join(missing)}")
        values = {s: params[s.name] for s in self.free_symbols}
        return self.entry.sample(rng, size, *(to_float(a, values) for a in self.args))

    def to_dict(self, write: Callable[[sympy.Expr], str] = sympy.sstr) -> dict[str, Any]:
        """JSON-ready ``{"name": ..., "args": [text, ...]}``; ``write`` turns an argument into text.

        >>> NamedLaw("Gamma", (2, sympy.Rational(1, 2))).to_dict()
        {'name': 'Gamma', 'args': ['2', '1/2']}
        """
        return {"name": self.name, "args": [write(a) for a in self.args]}

    @classmethod
    def from_dict(cls, data: Any, symbols: Mapping[str, sympy.Basic] | None = None) -> "NamedLaw":
        """The law written by :meth:`to_dict`; the arguments are read by covar's whitelist
        parser (``symbols`` gives the document's symbols with their assumptions).

        >>> NamedLaw.from_dict({"name": "Gamma", "args": ["2", "1/2"]})
        NamedLaw('Gamma', (2, 1/2))
        >>> NamedLaw.from_dict({"name": "Gamma", "args": "2"})
        Traceback (most recent call last):
        ...
        covar.errors.ParseError: a family must be {"name": str, "args": [str, ...]}, got {'name': 'Gamma', 'args': '2'}
        """
        shape_ok = (isinstance(data, Mapping) and set(data) == {"name", "args"}
                    and isinstance(data["name"], str) and isinstance(data["args"], list)
                    and all(isinstance(a, str) for a in data["args"]))
        if not shape_ok:
            shown = repr(data) if len(repr(data)) <= 80 else repr(data)[:77] + "..."
            raise ParseError(f'a family must be {{"name": str, "args": [str, ...]}}, got {shown}')
        return cls(data["name"], tuple(as_expression(a, symbols, what="family argument") for a in data["args"]))
