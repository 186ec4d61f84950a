"""The catalog: every density agrees with scipy, integrates to 1, and samples correctly."""
from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.integrate as si
import scipy.stats as st
import sympy
import sympy.stats as ss

from covar.errors import CovarError, InvalidDensity, ParseError
from covar.laws.families import FAMILIES, Family, NamedLaw, get_family
from covar.laws.sympy_stats import law_of

x = sympy.Symbol("x", real=True)

# Concrete parameters for each continuous family (deliberately not "nice" values).
CONTINUOUS = {
    "Normal": (0.3, 1.7),
    "LogNormal": (0.2, 0.6),
    "Uniform": (-1.0, 2.5),
    "Exponential": (1.5,),
    "Gamma": (2.5, 3.0),
    "ChiSquared": (3.0,),
    "Chi": (3.0,),
    "StudentT": (4.5,),
    "Cauchy": (0.5, 2.0),
    "Laplace": (-1.0, 0.7),
    "Logistic": (0.5, 1.3),
    "Gumbel": (0.5, 2.0),
    "Weibull": (1.5, 2.5),
    "Pareto": (1.2, 3.0),
    "Rayleigh": (1.3,),
    "Levy": (0.5, 1.2),
    "Arcsin": (-1.0, 2.0),
    "Beta": (2.5, 1.5),
    "BetaPrime": (2.5, 3.5),
    "FisherF": (3.0, 7.0),
    "HalfNormal": (1.4,),
    "InverseGamma": (3.0, 2.0),
    "ExpGamma": (2.5, 1.5),
}
DISCRETE = {
    "Poisson": (3.5,),
    "Binomial": (7, 0.35),
    "Geometric": (0.3,),
    "Geometric0": (0.3,),
    "DiscreteUniform": (-2, 4),
}


def _numeric_pdf(fam: Family, params: tuple) -> callable:
    expr = fam.pdf(x, *[sympy.nsimplify(p) for p in params])
    return sympy.lambdify(x, expr, modules=["scipy", "numpy"])


def test_catalog_is_complete_and_read_only():
    assert set(CONTINUOUS) | set(DISCRETE) == set(FAMILIES)
    with pytest.raises(TypeError):
        FAMILIES["Normal"] = None  # type: ignore[index]
    for name, fam in FAMILIES.items():
        assert fam.name == name
        assert len(fam.params) == len(fam.assumptions)
        assert fam.discrete == (name in DISCRETE)


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_pdf_matches_scipy(name):
    fam, params = get_family(name), CONTINUOUS[name]
    ref = fam.scipy(*params)
    pts = ref.ppf(np.array([0.03, 0.2, 0.45, 0.7, 0.95]))
    f = _numeric_pdf(fam, params)
    np.testing.assert_allclose([float(f(p)) for p in pts], ref.pdf(pts), rtol=1e-10)


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")  # heavy tails
@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_pdf_integrates_to_one(name):
    fam, params = get_family(name), CONTINUOUS[name]
    f = _numeric_pdf(fam, params)
    supp = fam.support(*params)
    lo, hi = float(supp.inf), float(supp.sup)
    # Finite central part by quad; the two tails (mass 1e-9 each by scipy) are too thin to
    # matter at this tolerance but keep the integrand away from exp overflow.
    ref = fam.scipy(*params)
    a, b = max(lo, ref.ppf(1e-9)), min(hi, ref.ppf(1 - 1e-9))
    qs = [1e-9, 1e-7, 1e-5, 1e-3, 0.05, 0.25, 0.5, 0.75, 0.95, 0.999, 1 - 1e-5, 1 - 1e-7, 1 - 1e-9]
    cuts = np.unique(np.clip(ref.ppf(qs), a, b))
    if np.isfinite(lo) and np.isfinite(hi):  # bounded: quad copes with end singularities itself
        a, b, cuts = lo, hi, [lo, float(ref.median()), hi]
    total = sum(si.quad(lambda t: float(f(t)), u, v, limit=200)[0] for u, v in zip(cuts, cuts[1:]))
    tails = (1e-9 if a > lo else 0.0) + (1e-9 if b < hi else 0.0)
    assert total + tails == pytest.approx(1.0, abs=1e-7)


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_sampler_agrees_with_scipy(name):
    fam, params = get_family(name), CONTINUOUS[name]
    draws = fam.sample(np.random.default_rng(1234), 20000, *params)
    assert draws.shape == (20000,) and np.all(np.isfinite(draws))
    supp = fam.support(*params)
    assert draws.min() >= float(supp.inf) and draws.max() <= float(supp.sup)
    assert st.kstest(draws, fam.scipy(*params).cdf).pvalue > 1e-3


@pytest.mark.parametrize("name", sorted(DISCRETE))
def test_pmf_matches_scipy_and_sums_to_one(name):
    fam, params = get_family(name), DISCRETE[name]
    ref = fam.scipy(*params)
    k = sympy.Symbol("k", integer=True)
    pmf = sympy.lambdify(k, fam.pdf(k, *[sympy.nsimplify(p) for p in params]), "scipy")
    supp = fam.support(*params)
    lo = int(supp.inf)
    hi = int(supp.sup) if supp.sup.is_finite else lo + 200
    ks = np.arange(lo, hi + 1)
    vals = np.array([float(pmf(int(v))) for v in ks])
    # Far-tail terms underflow differently in the two formulas; compare where they are > 1e-200.
    np.testing.assert_allclose(vals, ref.pmf(ks), rtol=1e-9, atol=1e-200)
    assert vals.sum() == pytest.approx(1.0, abs=1e-12)
    assert int(ks[0]) in supp and int(ks[-1]) in supp and (lo - 1) not in supp


@pytest.mark.parametrize("name", sorted(DISCRETE))
def test_discrete_sampler_frequencies(name):
    fam, params = get_family(name), DISCRETE[name]
    ref = fam.scipy(*params)
    draws = fam.sample(np.random.default_rng(99), 20000, *params)
    assert np.all(draws == np.round(draws))
    # Chi-square goodness of fit on cells with healthy expected counts, rest pooled.
    ks = np.arange(int(ref.ppf(1e-9)), int(ref.ppf(1 - 1e-9)) + 1)
    expected = ref.pmf(ks) * draws.size
    keep = expected > 20
    observed = np.array([(draws == v).sum() for v in ks[keep]])
    rest = draws.size - expected[keep].sum()
    obs = np.append(observed, draws.size - observed.sum()) if rest > 1e-6 else observed
    exp_ = np.append(expected[keep], rest) if rest > 1e-6 else expected[keep]
    assert st.chisquare(obs, exp_).pvalue > 1e-3


def test_symbolic_parameters_and_supports():
    k, th = sympy.symbols("k theta", positive=True)
    assert get_family("Gamma").pdf(x, k, 1 / th) == x ** (k - 1) * sympy.exp(-x / th) / (
        th ** k * sympy.gamma(k))
    a, b = sympy.symbols("a b", real=True)
    assert get_family("Uniform").support(a, b) == sympy.Interval(a, b)
    assert get_family("Exponential").support(2) == sympy.Interval(0, sympy.oo)
    assert get_family("Beta").support(2, 3) == sympy.Interval(0, 1)
    assert get_family("Geometric").support(sympy.Rational(1, 3)) == sympy.Range(1, sympy.oo)
    n = sympy.Symbol("n", positive=True, integer=True)
    assert get_family("Binomial").support(n, sympy.Rational(1, 2)) == sympy.Range(0, n + 1)
    syms = get_family("Binomial").symbols()
    assert syms[0].is_integer and syms[0].is_positive and syms[1].is_positive


def test_get_family_is_case_insensitive_and_errors_name_known_families():
    assert get_family("halfnormal") is FAMILIES["HalfNormal"]
    assert get_family("EXPGAMMA").name == "ExpGamma"
    with pytest.raises(ParseError) as err:
        get_family("Nomral")
    msg = str(err.value)
    assert "Nomral" in msg and "Normal" in msg and "ExpGamma" in msg
    with pytest.raises(ParseError, match="takes 2 parameter"):
        get_family("Normal").pdf(x, 0)


@pytest.mark.parametrize(
    "rv, name, args",
    [
        (lambda: ss.Normal("X", 1, 2), "Normal", (1, 2)),
        (lambda: ss.Gamma("X", 3, 2), "Gamma", (3, sympy.Rational(1, 2))),
        (lambda: ss.Gumbel("X", 2, 1), "Gumbel", (1, 2)),
        (lambda: ss.Weibull("X", 2, 3), "Weibull", (2, 3)),
        (lambda: ss.GammaInverse("X", 3, 2), "InverseGamma", (3, 2)),
        (lambda: ss.Arcsin("X", 0, 1), "Arcsin", (0, 1)),
        (lambda: ss.Levy("X", 0, 1), "Levy", (0, 1)),
        (lambda: ss.Pareto("X", 1, 3), "Pareto", (1, 3)),
        (lambda: ss.Geometric("X", sympy.Rational(1, 3)), "Geometric", (sympy.Rational(1, 3),)),
        (lambda: ss.Binomial("X", 5, sympy.Rational(1, 4)), "Binomial", (5, sympy.Rational(1, 4))),
        (lambda: ss.DiscreteUniform("X", [3, 1, 2]), "DiscreteUniform", (1, 3)),
    ],
)
def test_from_stats_maps_parameter_order(rv, name, args):
    X = rv()
    law = law_of(X)
    fam, got = law.entry, law.args
    assert law == NamedLaw(name, args) and fam.name == name and got == args
    if not fam.discrete:
        # The sympy.stats density and covar's density are the same function.
        mine = sympy.lambdify(x, fam.pdf(x, *got), "mpmath")
        theirs = sympy.lambdify(x, ss.density(X)(x), "mpmath")
        lo = float(fam.support(*got).inf)
        for p in (0.2, 0.5, 0.9):
            t = p if lo == -np.inf or fam.support(*got).sup == 1 else lo + 3 * p
            assert float(mine(t)) == pytest.approx(float(theirs(t)), rel=1e-12)


def test_from_stats_rejects_variants_covar_lacks():
    assert law_of(ss.Gumbel("X", 2, 1, minimum=True)) is None
    assert law_of(ss.DiscreteUniform("X", [1, 2, 5])) is None
    assert law_of(ss.Nakagami("X", 1, 1)) is None


# -- NamedLaw: a catalog member as a value ------------------------------------------------------
def test_named_law_is_a_value_with_a_label():
    a = sympy.Symbol("alpha", positive=True)
    law = NamedLaw("expgamma", (a, 2))
    assert law.name == "ExpGamma" and law.args == (a, sympy.Integer(2))
    assert str(law) == law.label == "ExpGamma(alpha, 2)"
    assert law.entry is FAMILIES["ExpGamma"]
    assert law == NamedLaw("ExpGamma", (a, sympy.Integer(2))) and hash(law) == hash(NamedLaw("ExpGamma", (a, 2)))
    assert law != NamedLaw("ExpGamma", (a, 3)) and law != "ExpGamma(alpha, 2)"
    assert NamedLaw("Normal", (0.5, 2.0)).label == "Normal(0.5, 2.0)"


def test_named_law_refuses_unknown_names_and_wrong_arity():
    with pytest.raises(ParseError, match="unknown distribution"):
        NamedLaw("Nomral", (0, 1))
    with pytest.raises(ParseError, match="takes 2 parameter"):
        NamedLaw("Normal", (0,))


def test_named_law_subs_re_evaluates_and_checks_the_arguments():
    a, b = sympy.symbols("alpha beta", positive=True)
    law = NamedLaw("ExpGamma", (a, b))
    assert law.subs({"alpha": 2}) == NamedLaw("ExpGamma", (2, b))
    assert str(law.subs({a: 2, b: sympy.Rational(1, 2)})) == "ExpGamma(2, 1/2)"
    assert law.subs({"unrelated": 5}) == law
    with pytest.raises(InvalidDensity, match="beta must be > 0"):
        law.subs({"beta": -1})


def test_named_law_samples_with_the_catalog_sampler():
    lam = sympy.Symbol("lam", positive=True)
    law = NamedLaw("Exponential", (2 * lam,))
    draws = law.sample(np.random.default_rng(1), 200_000, lam=2.0)
    assert draws.shape == (200_000,) and abs(draws.mean() - 0.25) <= 0.005
    with pytest.raises(CovarError, match="needs a value for lam"):
        law.sample(np.random.default_rng(1), 3)


@pytest.mark.parametrize("name", list(FAMILIES))
def test_named_law_json_round_trip(name):
    fam = get_family(name)
    law = NamedLaw(name, fam.symbols())
    data = json.loads(json.dumps(law.to_dict()))
    assert data == {"name": name, "args": list(fam.params)}
    assert NamedLaw.from_dict(data, {s.name: s for s in fam.symbols()}) == law


@pytest.mark.parametrize("bad", [None, "Normal(0, 1)", {"name": "Normal"}, {"name": "Normal", "args": [0, 1]},
                                 {"name": 3, "args": []}, {"name": "Normal", "args": ["0", "1"], "x": 1},
                                 {"name": "Normal", "args": ["0", "__import__('os')"]},
                                 {"name": "Normal", "args": ["0"]}, {"name": "Nope", "args": []}])
def test_named_law_from_dict_refuses_malformed_documents(bad):
    with pytest.raises(ParseError):
        NamedLaw.from_dict(bad)
