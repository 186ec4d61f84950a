"""More reach (issue 11): parameter cases of pmf inputs, moments whose existence depends on a
parameter, CDF records through JSON. Each law is checked numerically: pmfs against the input
pmf summed over all preimages (tests/reference.py) and against samples of g(X); moments by
Monte Carlo at parameters where they exist; CDFs against the empirical CDF of g(X)."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
import sympy as sp
from scipy import stats

import covar
from covar.render.serialize import from_dict, from_json, to_json
from reference import bind, reference_pmf, symbolic_pmf_values


# -- pmf inputs: a symbolic constant decides the cases ------------------------------------------

@dataclass(frozen=True)
class PmfCase:
    name: str
    density: str
    g: str
    assume: str
    g_np: Callable[[np.ndarray, dict], np.ndarray]
    draws: tuple[dict, ...]          # parameter values, one or more per case of the answer
    sample: Callable[[np.random.Generator, int, dict], np.ndarray]


def _poisson(rng, n, p):
    return rng.poisson(p.get("lam", 3.0), n).astype(float)


def _geometric(rng, n, p):
    return rng.geometric(p["p"], n).astype(float)


PMF_CASES = [
    PmfCase("poisson-max-c", "Poisson(lam)", "Max(x, c)", "c integer",
            lambda x, p: np.maximum(x, p["c"]), ({"lam": 2.5, "c": 3}, {"lam": 1.7, "c": -2}, {"lam": 4.0, "c": 0}),
            _poisson),
    PmfCase("poisson-min-c", "Poisson(lam)", "Min(x, c)", "c integer",
            lambda x, p: np.minimum(x, p["c"]), ({"lam": 2.5, "c": 2}, {"lam": 1.7, "c": -1}, {"lam": 3.0, "c": 0}),
            _poisson),
    PmfCase("poisson-max-c-positive", "Poisson(lam)", "Max(x, c)", "c integer, c > 0",
            lambda x, p: np.maximum(x, p["c"]), ({"lam": 3.5, "c": 4},), _poisson),
    PmfCase("poisson-min-c-positive", "Poisson(lam)", "Min(x, c)", "c integer, c > 0",
            lambda x, p: np.minimum(x, p["c"]), ({"lam": 3.5, "c": 2},), _poisson),
    PmfCase("poisson3-max-c", "Poisson(3)", "Max(x, c)", "c integer",
            lambda x, p: np.maximum(x, p["c"]), ({"c": 5}, {"c": -3}), _poisson),
    PmfCase("geometric-max-c", "Geometric(p)", "Max(x, c)", "c integer",
            lambda x, p: np.maximum(x, p["c"]), ({"p": 0.3, "c": 4}, {"p": 0.6, "c": 1}, {"p": 0.45, "c": -1}),
            _geometric),
    PmfCase("geometric-min-c", "Geometric(p)", "Min(x, c)", "c integer, c > 1",
            lambda x, p: np.minimum(x, p["c"]), ({"p": 0.3, "c": 3},), _geometric),
    PmfCase("poisson-scaled-c-positive", "Poisson(lam)", "c*x", "c > 0",
            lambda x, p: p["c"] * x, ({"lam": 2.0, "c": 0.5},), _poisson),
    PmfCase("poisson-scaled-c-negative", "Poisson(lam)", "c*x", "c < 0",
            lambda x, p: p["c"] * x, ({"lam": 2.0, "c": -1.5},), _poisson),
    PmfCase("poisson-shift-c", "Poisson(lam)", "x + c", "c integer",
            lambda x, p: x + p["c"], ({"lam": 2.0, "c": -3}, {"lam": 1.0, "c": 4}), _poisson),
    PmfCase("geometric-shift-c", "Geometric(p)", "x + c", "c real",
            lambda x, p: x + p["c"], ({"p": 0.4, "c": 0.75},), _geometric),
]


@pytest.fixture(scope="module")
def pmf_laws():
    class Laws(dict):
        def __missing__(self, name):
            case = next(c for c in PMF_CASES if c.name == name)
            self[name] = covar.transform(case.density, case.g, assume=case.assume)
            return self[name]
    return Laws()


@pytest.mark.parametrize("case", PMF_CASES, ids=lambda c: c.name)
def test_pmf_cases_match_preimage_sums_and_samples(case: PmfCase, pmf_laws) -> None:
    Y = pmf_laws[case.name]
    assert Y.discrete and Y.pdf is not None
    X = covar.parse_density(case.density)
    rng = np.random.default_rng(11)
    for values in case.draws:
        xs = case.sample(rng, 20_000, values)
        ys = case.g_np(xs, values)
        points = np.unique(ys)[:12]
        got = symbolic_pmf_values(Y, points, values)
        want = reference_pmf(X.pdf, X.var, X.support, lambda v: case.g_np(v, values), points,
                             {k: v for k, v in values.items() if k != "c"})
        assert np.all(np.abs(got - want) <= 1e-9 + 1e-9 * np.abs(want)), (case.name, values, got, want)
        # mass: the pmf summed over the support (all the sampled values, and far into the tail)
        grid = np.unique(np.concatenate([points, case.g_np(np.arange(0.0, 120.0), values)]))
        total = float(np.sum(symbolic_pmf_values(Y, grid, values)))
        assert abs(total - 1.0) <= 1e-8, (case.name, values, total)
        # samples of g(X): frequencies against the pmf
        freq = np.array([np.mean(ys == v) for v in points])
        assert np.all(np.abs(freq - got) <= 5 * np.sqrt(got * (1 - got) / len(ys)) + 1e-3), (case.name, values)


def test_integer_split_keeps_integer_cases() -> None:
    Y = covar.transform("Poisson(lam)", "Max(x, c)", assume="c integer")
    record = Y.derivation
    assert len(record.cases) == 3  # c > 0, c = 0, c < 0
    for case in record.cases:
        for _, new in case.substitution:
            assert all(s.is_integer for s in new.free_symbols if s.name in ("c", "t")), case.substitution


# -- moments whose existence depends on a parameter ------------------------------------------------

@dataclass(frozen=True)
class MomentCase:
    name: str
    density: str
    g: str
    condition: str                    # where the mean is finite
    finite_at: dict                   # parameters where it is (Monte Carlo checks the value)
    infinite_at: dict                 # parameters where it is not
    beyond: object                    # the mean there: sp.oo or sp.nan
    sample: Callable[[np.random.Generator, int, dict], np.ndarray]
    g_np: Callable[[np.ndarray], np.ndarray]


MOMENT_CASES = [
    MomentCase("pareto-unit", "Pareto(1, alpha)", "x", "alpha > 1", {"alpha": 3.5}, {"alpha": 0.7}, sp.oo,
               lambda r, n, p: stats.pareto(p["alpha"]).rvs(n, random_state=r), lambda x: x),
    MomentCase("pareto-scale", "Pareto(xm, alpha)", "x", "alpha > 1", {"alpha": 4.0, "xm": 2.0},
               {"alpha": 1.0, "xm": 2.0}, sp.oo,
               lambda r, n, p: stats.pareto(p["alpha"], scale=p["xm"]).rvs(n, random_state=r), lambda x: x),
    MomentCase("student-t", "StudentT(nu)", "x", "nu > 1", {"nu": 5.0}, {"nu": 0.8}, sp.nan,
               lambda r, n, p: stats.t(p["nu"]).rvs(n, random_state=r), lambda x: x),
    MomentCase("exp-of-exponential", "Exponential(lam)", "exp(x)", "lam > 1", {"lam": 3.5}, {"lam": 0.5}, sp.oo,
               lambda r, n, p: r.exponential(1 / p["lam"], n), np.exp),
    MomentCase("inverse-gamma", "Gamma(k, theta)", "1/x", "k > 1", {"k": 4.0, "theta": 2.0},
               {"k": 0.6, "theta": 2.0}, sp.oo,
               lambda r, n, p: r.gamma(p["k"], 1 / p["theta"], n), lambda x: 1 / x),
    MomentCase("inverse-chi-squared", "ChiSquared(k)", "1/x", "k > 2", {"k": 7.0}, {"k": 1.5}, sp.oo,
               lambda r, n, p: r.chisquare(p["k"], n), lambda x: 1 / x),
]


@pytest.fixture(scope="module")
def moment_laws():
    class Laws(dict):
        def __missing__(self, name):
            case = next(c for c in MOMENT_CASES if c.name == name)
            self[name] = covar.transform(case.density, case.g)
            return self[name]
    return Laws()


@pytest.mark.parametrize("case", MOMENT_CASES, ids=lambda c: c.name)
def test_conditional_means_are_piecewise_never_integrals(case: MomentCase, moment_laws) -> None:
    Y = moment_laws[case.name]
    mean = Y.mean
    assert not mean.has(sp.Integral, sp.Sum), mean
    assert isinstance(mean, sp.Piecewise), mean
    finite = bind(mean, case.finite_at)
    value = float(sp.N(finite))
    xs = case.g_np(case.sample(np.random.default_rng(5), 400_000, case.finite_at))
    assert math.isfinite(value)
    assert abs(value - xs.mean()) <= 6 * xs.std() / math.sqrt(len(xs)), (case.name, value, xs.mean())
    beyond = bind(mean, case.infinite_at)
    assert beyond == case.beyond, (case.name, beyond)


def test_variance_per_case_of_a_pareto() -> None:
    Y = covar.transform("Pareto(1, alpha)", "x")
    v = Y.variance
    assert not v.has(sp.Integral)
    assert bind(v, {"alpha": 1.5}) == sp.oo  # finite mean, infinite second moment
    assert bind(v, {"alpha": 0.5}) is sp.nan  # no finite mean
    alpha = 5.0
    want = alpha / ((alpha - 1) ** 2 * (alpha - 2))
    assert abs(float(sp.N(bind(v, {"alpha": alpha}))) - want) <= 1e-12


def test_moment_with_parameter_dependent_existence_is_right_or_refused() -> None:
    """E[(T²)²] of a StudentT(ν): 3ν²/((ν-2)(ν-4)) for ν > 4, infinite otherwise — or, when
    sympy cannot settle a case, a refusal naming the condition (never a wrong value)."""
    Y = covar.transform("StudentT(nu)", "x**2")
    try:
        m = Y.moment(2)
    except covar.NoClosedForm as exc:
        assert "nu > 4" in str(exc)
        return
    nu = next(s for s in m.free_symbols if s.name == "nu")
    assert m.subs(nu, 6) == sp.Rational(27, 2)
    assert m.subs(nu, 3) == sp.oo and m.subs(nu, sp.Rational(3, 2)) == sp.oo


# -- CDF records through JSON --------------------------------------------------------------------

CDF_CASES = [
    ("Exponential(lam)", "2*x", {"lam": 1.3}, lambda r, n, p: 2 * r.exponential(1 / p["lam"], n)),
    ("Uniform(-1, 2)", "x**2", {}, lambda r, n, p: r.uniform(-1, 2, n) ** 2),
    ("Normal(0, 1)", "Max(0, x)", {}, lambda r, n, p: np.maximum(0, r.standard_normal(n))),
    ("Gamma(alpha, beta)", "log(x)", {"alpha": 2.5, "beta": 1.5},
     lambda r, n, p: np.log(r.gamma(p["alpha"], 1 / p["beta"], n))),
    ("Poisson(3)", "Mod(x, 2)", {}, lambda r, n, p: np.mod(r.poisson(3, n), 2).astype(float)),
]


@pytest.mark.parametrize("density, g, values, sample", CDF_CASES, ids=[f"{d}-{g}" for d, g, *_ in CDF_CASES])
def test_cdf_record_round_trip_and_samples(density, g, values, sample) -> None:
    Y = covar.transform(density, g)
    record = Y.cdf_record
    assert record.cdf is not None
    text = covar.to_json(record)
    assert json.loads(text)["record"]["kind"] == "cdf"
    back = from_json(text)
    assert type(back).__name__ == "CdfRecord" and back.law.cdf is back.cdf
    assert len(back.display()) == len(record.display())
    ys = sample(np.random.default_rng(3), 40_000, values)
    F = sp.lambdify(Y.var, bind(back.cdf, values), "mpmath")
    for t in np.quantile(ys, [0.1, 0.3, 0.5, 0.7, 0.9]):
        got = float(F(float(t)))
        want = float(np.mean(ys <= t))
        assert abs(got - want) <= 0.015, (density, g, t, got, want)


def test_cdf_record_read_back_is_checked() -> None:
    Y = covar.transform("Exponential(1)", "2*x")
    data = json.loads(to_json(Y.cdf_record))
    data["record"]["cdf"] = "Piecewise((0, y < 0), (1 - exp(-y), True))"  # the CDF of 2X is 1 - exp(-y/2)
    with pytest.raises(covar.CovarError, match="failed verification"):
        from_dict(data)


def test_cli_cdf_json_carries_the_record() -> None:
    from click.testing import CliRunner

    from covar.cli.main import cli

    out = CliRunner().invoke(cli, ["derive", "Exponential(lam)", "2*x", "--cdf", "--format", "json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    record = from_dict(doc["cdf_record"])
    lam = 0.8
    for t in (0.5, 2.0, 7.0):
        want = 1 - math.exp(-lam * t / 2)
        assert abs(float(sp.N(bind(record.cdf, {"lam": lam}).subs(record.law.var, t))) - want) <= 1e-12


# -- case-split supports are shown case by case ------------------------------------------------------

def test_case_split_support_shown_per_case() -> None:
    from covar.render.latex import derivation_latex
    from covar.render.text import render_result
    from covar.univariate.cases import support_by_case

    Y = covar.transform("Uniform(-a, b)", "x**2", assume="a>0, b>0")
    cases = support_by_case(Y)
    assert len(cases) == 3 and not any(where.has(sp.Piecewise) for _, where in cases)
    a, b = sorted(Y.params, key=lambda s: s.name)
    # each case's support holds the case's mass: check it numerically at a draw inside the case
    for values, (cond, where) in zip(({"a": 1.0, "b": 2.0}, {"a": 1.5, "b": 1.5}, {"a": 2.0, "b": 0.5}), cases):
        assert bool(bind(cond, values))
        hull = bind(where, values)
        assert abs(float(hull.sup) - max(values["a"], values["b"]) ** 2) <= 1e-12
    text = render_result(Y)
    assert "Piecewise" not in text and "by case" in text
    assert r"\begin{cases}" not in derivation_latex(Y).split(r"\paragraph{Result.}")[1].split("support")[1]
    doc = json.loads(Y.to_json())
    assert len(doc["support_by_case"]) == 3
    assert covar.from_json(Y.to_json()).support == Y.support
