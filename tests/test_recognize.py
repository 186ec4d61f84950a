"""Family recognition: right names for catalog densities and rearrangements, None otherwise."""
from __future__ import annotations

import dataclasses
import time

import pytest
import sympy.stats as ss
from sympy import (FiniteSet, Interval, Piecewise, Rational, S, Symbol, Union, exp, gamma, log,
                   oo, pi, sqrt, symbols)

from covar.laws.families import FAMILIES, NamedLaw, get_family
from covar.univariate.recognize import recognize

y = Symbol("y", real=True)
LINE, HALF = Interval(-oo, oo), Interval(0, oo)
mu, c = symbols("mu c", real=True)
sigma, lam, alpha, cpos = symbols("sigma lam alpha c", positive=True)
cneg = Symbol("c", negative=True)


def label(pdf, support):
    got = recognize(pdf, y, support)
    return None if got is None else got.label


# -- the public answers --------------------------------------------------------------------
@pytest.mark.parametrize(
    "pdf, support, expected",
    [
        # sqrt of ChiSquared(1)
        (exp(-y ** 2 / 2) * sqrt(2) / sqrt(pi), HALF, "HalfNormal(1)"),
        # x**2 of Normal(0, 1)
        (exp(-y / 2) / (sqrt(2) * sqrt(pi) * sqrt(y)), HALF, "ChiSquared(1)"),
        (sqrt(2) * sqrt(y) * exp(-y / 2) / (2 * sqrt(pi) * y), HALF, "ChiSquared(1)"),
        # exp of Normal(mu, sigma)
        (exp(-(log(y) - mu) ** 2 / (2 * sigma ** 2)) / (sqrt(2 * pi) * sigma * y), HALF,
         "LogNormal(mu, sigma)"),
        # tan of Uniform(-pi/2, pi/2)
        (1 / (pi * (y ** 2 + 1)), LINE, "Cauchy(0, 1)"),
        # log of Gamma(alpha, rate lam), three ways of writing it
        (lam ** alpha * exp(alpha * y - lam * exp(y)) / gamma(alpha), LINE, "ExpGamma(alpha, lam)"),
        (lam ** alpha * exp(y) ** alpha * exp(-lam * exp(y)) / gamma(alpha), LINE,
         "ExpGamma(alpha, lam)"),
        (lam ** alpha * exp(y * (alpha - 1)) * exp(-lam * exp(y)) * exp(y) / gamma(alpha), LINE,
         "ExpGamma(alpha, lam)"),
        # |X| for X ~ Normal(0, sigma)
        (sqrt(2) * exp(-y ** 2 / (2 * sigma ** 2)) / (sqrt(pi) * sigma), HALF, "HalfNormal(sigma)"),
        # x + c and c*x of Normal(mu, sigma)
        (exp(-(y - c - mu) ** 2 / (2 * sigma ** 2)) / (sqrt(2 * pi) * sigma), LINE,
         "Normal(c + mu, sigma)"),
        (exp(-(y / cpos - mu) ** 2 / (2 * sigma ** 2)) / (sqrt(2 * pi) * sigma * cpos), LINE,
         "Normal(c*mu, c*sigma)"),
        # a negative c flips nothing but the sign bookkeeping: the scale stays positive
        (exp(-(y / cneg - mu) ** 2 / (2 * sigma ** 2)) / (-sqrt(2 * pi) * sigma * cneg), LINE,
         "Normal(c*mu, -c*sigma)"),
    ],
)
def test_public_answers(pdf, support, expected):
    assert label(pdf, support) == expected


# -- every family from its own pdf -----------------------------------------------------------
CONTINUOUS = [name for name, fam in FAMILIES.items() if not fam.discrete]

NUMERIC = {
    "Normal": ((Rational(1, 2), 2), "Normal(1/2, 2)"),
    "LogNormal": ((-1, Rational(3, 2)), "LogNormal(-1, 3/2)"),
    "Uniform": ((-1, 3), "Uniform(-1, 3)"),
    "Exponential": ((3,), "Exponential(3)"),
    "Gamma": ((Rational(5, 2), 3), "Gamma(5/2, 3)"),
    "ChiSquared": ((3,), "ChiSquared(3)"),
    "Chi": ((3,), "Chi(3)"),
    "StudentT": ((5,), "StudentT(5)"),
    "Cauchy": ((1, 2), "Cauchy(1, 2)"),
    "Laplace": ((-1, Rational(7, 10)), "Laplace(-1, 7/10)"),
    "Logistic": ((Rational(1, 2), 2), "Logistic(1/2, 2)"),
    "Gumbel": ((1, 3), "Gumbel(1, 3)"),
    "Weibull": ((2, 3), "Weibull(2, 3)"),
    "Pareto": ((2, 3), "Pareto(2, 3)"),
    "Rayleigh": ((3,), "Rayleigh(3)"),
    "Levy": ((1, 2), "Levy(1, 2)"),
    "Arcsin": ((-1, 2), "Arcsin(-1, 2)"),
    "Beta": ((2, 3), "Beta(2, 3)"),
    "BetaPrime": ((Rational(5, 2), 3), "BetaPrime(5/2, 3)"),
    "FisherF": ((3, 7), "FisherF(3, 7)"),
    "HalfNormal": ((2,), "HalfNormal(2)"),
    "InverseGamma": ((3, 2), "InverseGamma(3, 2)"),
    "ExpGamma": ((2, 3), "ExpGamma(2, 3)"),
}


def test_numeric_table_covers_every_continuous_family():
    assert set(NUMERIC) == set(CONTINUOUS)


@pytest.mark.parametrize("name", CONTINUOUS)
def test_own_pdf_symbolic(name):
    fam = get_family(name)
    args = fam.symbols()
    got = recognize(fam.pdf(y, *args), y, fam.support(*args))
    assert got is not None
    assert got.name == name and got.args == args
    assert got.label == f"{name}({', '.join(fam.params)})"


@pytest.mark.parametrize("name", CONTINUOUS)
def test_own_pdf_numeric(name):
    fam = get_family(name)
    args, expected = NUMERIC[name]
    assert label(fam.pdf(y, *args), fam.support(*args)) == expected


@pytest.mark.parametrize("name", ["Normal", "Gamma", "Weibull", "Beta", "Gumbel", "Levy"])
def test_own_pdf_float_parameters(name):
    fam = get_family(name)
    args = tuple(float(a) for a in NUMERIC[name][0])
    got = recognize(fam.pdf(y, *args), y, fam.support(*args))
    assert got is not None and got.name == name
    assert [float(a) for a in got.args] == pytest.approx(list(args), rel=1e-12)
    assert got.label == f"{name}({', '.join(repr(a) for a in args)})"  # e.g. Normal(0.5, 2.0)


# -- sympy.stats forms (other orderings, other algebraic shapes) ------------------------------
be, th, al = symbols("beta theta alpha", positive=True)
k = Symbol("k", positive=True)


@pytest.mark.parametrize(
    "rv, expected",
    [
        (lambda: ss.Gumbel("X", be, mu), "Gumbel(mu, beta)"),
        (lambda: ss.Weibull("X", al, be), "Weibull(alpha, beta)"),
        (lambda: ss.Gamma("X", al, th), "Gamma(alpha, 1/theta)"),
        (lambda: ss.GammaInverse("X", al, be), "InverseGamma(alpha, beta)"),
        (lambda: ss.Logistic("X", mu, be), "Logistic(mu, beta)"),
        (lambda: ss.Laplace("X", mu, be), "Laplace(mu, beta)"),
        (lambda: ss.Cauchy("X", mu, be), "Cauchy(mu, beta)"),
        (lambda: ss.Levy("X", mu, be), "Levy(mu, beta)"),
        (lambda: ss.Arcsin("X", mu, mu + be), "Arcsin(mu, beta + mu)"),
        (lambda: ss.Pareto("X", be, al), "Pareto(beta, alpha)"),
        (lambda: ss.StudentT("X", k), "StudentT(k)"),
        (lambda: ss.Normal("X", mu, be), "Normal(mu, beta)"),
        (lambda: ss.LogNormal("X", mu, be), "LogNormal(mu, beta)"),
        (lambda: ss.Beta("X", al, be), "Beta(alpha, beta)"),  # uses the beta *function*
        (lambda: ss.ChiSquared("X", k), "ChiSquared(k)"),
        (lambda: ss.Chi("X", k), "Chi(k)"),
        (lambda: ss.Rayleigh("X", be), "Rayleigh(beta)"),
        (lambda: ss.Exponential("X", be), "Exponential(beta)"),
    ],
)
def test_sympy_stats_densities(rv, expected):
    X = rv()
    assert label(ss.density(X)(y), X.pspace.domain.set) == expected


# -- rearranged forms and the specificity rules ---------------------------------------------
@pytest.mark.parametrize(
    "pdf, support, expected",
    [
        # Normal with its exponent multiplied out
        (exp(-y ** 2 / 8 + y / 4 - Rational(1, 8)) / (2 * sqrt(2 * pi)), LINE, "Normal(1, 2)"),
        # Cauchy with a location and scale, written as a single fraction
        (2 / (pi * (y ** 2 - 2 * y + 5)), LINE, "Cauchy(1, 2)"),
        (exp(y) / (1 + exp(y)) ** 2, LINE, "Logistic(0, 1)"),
        (exp(-abs(y - 3)) / 2, LINE, "Laplace(3, 1)"),
        (exp(-y - exp(-y)), LINE, "Gumbel(0, 1)"),
        (y ** 2 * exp(-y) / 2, HALF, "Gamma(3, 1)"),
        (2 * y, Interval(0, 1), "Beta(2, 1)"),
        (1 / (pi * sqrt(y * (1 - y))), Interval(0, 1), "Arcsin(0, 1)"),
        (3 * y ** (-4), Interval(1, oo), "Pareto(1, 3)"),
        # products under a root or power, multiplied out into a quadratic
        (1 / (pi * sqrt(y - y ** 2)), Interval(0, 1), "Arcsin(0, 1)"),
        (1 / (pi * sqrt(-y ** 2 + y + 2)), Interval(-1, 2), "Arcsin(-1, 2)"),
        (30 * (y - y ** 2) ** 2, Interval(0, 1), "Beta(3, 3)"),
        (2 * exp(-2 * y), Interval.open(0, oo), "Exponential(2)"),  # open ends: same law
        (exp(-1 / (2 * y)) / (sqrt(2 * pi) * y ** Rational(3, 2)), HALF, "Levy(0, 1)"),
        (3 * y ** 2 * exp(-y ** 3), HALF, "Weibull(1, 3)"),
        # the preference rules
        (exp(-y / 2) / 2, HALF, "ChiSquared(2)"),                 # -2 log U
        (lam * exp(-lam * y), HALF, "Exponential(lam)"),          # not Gamma(1, lam)
        (y * exp(-y ** 2 / 2), HALF, "Rayleigh(1)"),               # not Chi(2), not Weibull
        (exp(-y ** 2 / 2) * sqrt(2 / pi), HALF, "HalfNormal(1)"),  # not Chi(1)
        (S.One, Interval(0, 1), "Uniform(0, 1)"),                  # not Beta(1, 1)
        (exp(y - exp(y)), LINE, "ExpGamma(1, 1)"),                 # log of Exponential(1)
    ],
)
def test_rearranged_and_preferred(pdf, support, expected):
    assert label(pdf, support) == expected


@pytest.mark.parametrize(
    "name, args, expected",
    [
        ("Gamma", (k / 2, Rational(1, 2)), "ChiSquared(k)"),
        ("Gamma", (1, lam), "Exponential(lam)"),
        ("Weibull", (lam, 1), "Exponential(1/lam)"),
        ("Weibull", (lam, 2), "Rayleigh(sqrt(2)*lam/2)"),
        ("Beta", (Rational(1, 2), Rational(1, 2)), "Arcsin(0, 1)"),
        ("StudentT", (1,), "Cauchy(0, 1)"),
        ("InverseGamma", (Rational(1, 2), be), "Levy(0, 2*beta)"),
        ("Chi", (1,), "HalfNormal(1)"),
        ("Chi", (2,), "Rayleigh(1)"),
    ],
)
def test_most_specific_name_wins(name, args, expected):
    fam = get_family(name)
    assert label(fam.pdf(y, *args), fam.support(*args)) == expected


def test_recognized_parameters_are_exact_sympy_objects():
    got = recognize(exp(-(y - c - mu) ** 2 / (2 * sigma ** 2)) / (sqrt(2 * pi) * sigma), y, LINE)
    assert got == NamedLaw("Normal", (c + mu, sigma)) and got.label == "Normal(c + mu, sigma)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.name = "Gamma"  # type: ignore[misc]


def test_parameter_names_that_shadow_functions():
    g = Symbol("gamma", positive=True)
    got = recognize(get_family("Gamma").pdf(y, g, 2), y, HALF)
    assert got is not None and got.label == "Gamma(gamma, 2)"


# -- negatives: a wrong name is worse than no name --------------------------------------------
@pytest.mark.parametrize(
    "pdf, support",
    [
        # a two-component Normal mixture
        ((exp(-y ** 2 / 2) + exp(-(y - 2) ** 2 / 2)) / (2 * sqrt(2 * pi)), LINE),
        # a Normal density restricted to a half-line (integrates to 1/2)
        (exp(-y ** 2 / 2) / sqrt(2 * pi), HALF),
        # right shape, wrong constant
        (exp(-y ** 2 / 2) / sqrt(pi), LINE),
        (exp(-abs(y)), LINE),
        (y ** 2 * exp(-y) / 3, HALF),
        # an Exponential shifted off 0: no catalog family has that support
        (exp(-(y - 1)), Interval(1, oo)),
        # a density on (-oo, 0] (the mirror image of an Exponential)
        (exp(y), Interval(-oo, 0)),
        # a polynomial density that is not a Beta (support [0, 2])
        (3 * y ** 2 / 8, Interval(0, 2)),
        # Gumbel-like but with mismatched rates
        (exp(-2 * y - exp(-y)), LINE),
        # exp(+y**2) is no density at all
        (exp(y ** 2) / 10, LINE),
        # a Normal on the whole line given on the wrong support
        (exp(-y ** 2 / 2) / sqrt(2 * pi), Interval(-1, 1)),
        # the symbolic Normal pdf on a half-line
        (exp(-(y - mu) ** 2 / (2 * sigma ** 2)) / (sqrt(2 * pi) * sigma), HALF),
        # an Arcsine shape whose roots are not the support's ends
        (1 / (pi * sqrt(y - y ** 2)), Interval(0, 2)),
        # a LogNormal missing its 1/y
        (exp(-log(y) ** 2 / 2) / sqrt(2 * pi), HALF),
    ],
)
def test_not_a_family(pdf, support):
    assert recognize(pdf, y, support) is None


def test_non_interval_supports_and_piecewise_are_rejected():
    normal = exp(-y ** 2 / 2) / sqrt(2 * pi)
    assert recognize(normal, y, Union(Interval(-2, -1), Interval(1, 2))) is None
    assert recognize(normal, y, FiniteSet(1, 2)) is None
    assert recognize(Piecewise((1, y > 0), (0, True)), y, Interval(0, 1)) is None


def test_symbolic_arcsine_multiplied_out():
    a, b = symbols("a b", real=True)
    got = recognize(1 / (pi * sqrt(-y ** 2 + (a + b) * y - a * b)), y, Interval(a, b))
    assert got is not None and got.label == "Arcsin(a, b)"


def test_reals_is_accepted_as_the_whole_line():
    assert label(exp(-y ** 2 / 2) / sqrt(2 * pi), S.Reals) == "Normal(0, 1)"


def test_labels():
    assert NamedLaw("normal", (c + mu, sigma)).label == "Normal(c + mu, sigma)"
    assert str(NamedLaw("ChiSquared", (1,))) == "ChiSquared(1)"
    assert str(NamedLaw("Cauchy", (0, 1))) == "Cauchy(0, 1)"
    assert NamedLaw("Normal", (0.5, 2.0)).label == "Normal(0.5, 2.0)"


def test_recognition_is_fast():
    cases = [
        (exp(-(y - c - mu) ** 2 / (2 * sigma ** 2)) / (sqrt(2 * pi) * sigma), LINE),
        (lam ** alpha * exp(alpha * y - lam * exp(y)) / gamma(alpha), LINE),
        (exp(-(log(y) - mu) ** 2 / (2 * sigma ** 2)) / (sqrt(2 * pi) * sigma * y), HALF),
        ((exp(-y ** 2 / 2) + exp(-(y - 2) ** 2 / 2)) / (2 * sqrt(2 * pi)), LINE),
    ]
    for pdf, support in cases:
        t0 = time.process_time()  # CPU seconds: a loaded machine does not inflate them
        recognize(pdf, y, support)
        assert time.process_time() - t0 < 0.3


# -- the recognised family is a value that subs and sampling use --------------------------------
def test_subs_re_evaluates_the_recognised_family():
    import covar

    Y = covar.transform(covar.parse_density("Gamma(alpha, beta)"), "log(x)")
    assert str(Y.family) == "ExpGamma(alpha, beta)"
    Z = Y.subs({"alpha": 2})
    assert str(Z.family) == "ExpGamma(2, beta)"
    assert Z.family == Y.family.subs({"alpha": 2}) and Z.family.args[0] == 2
    W = covar.parse_density("Gamma(alpha, beta)").subs({"alpha": 3, "beta": Rational(1, 2)})
    assert str(W.family) == "Gamma(3, 1/2)"


def test_subs_refuses_values_outside_the_family_domain():
    import covar

    Y = covar.transform(covar.parse_density("Gamma(alpha, beta)"), "log(x)")
    with pytest.raises(covar.InvalidDensity, match="alpha must be > 0"):
        Y.subs({"alpha": -1})


def test_sampling_a_recognised_result_never_reads_text(monkeypatch):
    import numpy as np
    from scipy import stats

    import covar
    import covar.text.calls as calls
    import covar.text.expressions as expressions

    Y = covar.transform(covar.parse_density("Gamma(alpha, beta)"), "log(x)")
    bare = covar.Density(Y.pdf, Y.var, Y.support, family=Y.family, validate=False)  # no derivation

    def refuse(*args, **kwargs):
        raise AssertionError("the text parser was called while sampling")

    monkeypatch.setattr(calls, "parse_call", refuse)
    monkeypatch.setattr(expressions, "parse_expr", refuse)
    ref = stats.loggamma(2.5, loc=-np.log(1.5)).cdf
    for D in (Y, bare):
        draws = D.sample(50_000, np.random.default_rng(3), alpha=2.5, beta=1.5)
        assert stats.kstest(draws, ref).pvalue > 1e-3
