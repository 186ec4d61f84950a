"""Moments with symbolic parameters: E[g(X)^k], the variance, oo where a moment diverges and nan
where it is undefined, as a Piecewise over the parameters.

Each problem states its answer by hand (a textbook formula and the condition where it holds) and
a sampler of g(X) written with numpy: at parameter values drawn in each region of the answer,
covar's closed form must equal the hand formula, and the Monte Carlo estimate from the samples
(where the moment and the one that bounds its sampling error exist); where the hand answer is
infinite or undefined, covar's must be too (never a number).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
import sympy as sp
from scipy import special

import covar
from covar.errors import CovarError

Params = dict[str, float]


@dataclass(frozen=True)
class Problem:
    name: str
    law: str
    g: str
    what: int | str                       # k for E[Y^k], or "var"
    truth: Callable[[Params], float]      # the hand answer (math.inf / math.nan outside its region)
    sample: Callable[[np.random.Generator, Params, int], np.ndarray]   # draws of Y = g(X)
    finite: dict[str, tuple[float, float]]   # ranges where the moment exists and Monte Carlo is sound
    infinite: dict[str, tuple[float, float]] | None = None   # ranges where it is oo or nan
    assume: str | None = None


def _lognormal(r, p, n):
    return r.lognormal(p["mu"], p["sigma"], n)


def _student(r, p, n):
    return r.standard_t(p["nu"], n)


PROBLEMS = [
    Problem("lognormal-mean", "LogNormal(mu, sigma)", "x", 1,
            lambda p: math.exp(p["mu"] + p["sigma"] ** 2 / 2), _lognormal,
            {"mu": (-1.0, 1.0), "sigma": (0.2, 0.8)}),
    Problem("lognormal-variance", "LogNormal(mu, sigma)", "x", "var",
            lambda p: (math.exp(p["sigma"] ** 2) - 1) * math.exp(2 * p["mu"] + p["sigma"] ** 2), _lognormal,
            {"mu": (-1.0, 1.0), "sigma": (0.2, 0.45)}),
    Problem("pareto-third-moment", "Pareto(xm, alpha)", "x", 3,
            lambda p: p["alpha"] * p["xm"] ** 3 / (p["alpha"] - 3) if p["alpha"] > 3 else math.inf,
            lambda r, p, n: p["xm"] * (1 + r.pareto(p["alpha"], n)),
            {"xm": (0.5, 2.0), "alpha": (7.5, 9.0)}, {"xm": (0.5, 2.0), "alpha": (0.4, 2.9)}),
    Problem("beta-reciprocal", "Beta(a, b)", "1/x", 1,
            lambda p: (p["a"] + p["b"] - 1) / (p["a"] - 1) if p["a"] > 1 else math.inf,
            lambda r, p, n: 1 / r.beta(p["a"], p["b"], n),
            {"a": (3.5, 5.0), "b": (0.5, 3.0)}, {"a": (0.3, 0.95), "b": (0.5, 3.0)}),
    Problem("beta-reciprocal-square", "Beta(a, b)", "1/x**2", 1,
            lambda p: ((p["a"] + p["b"] - 1) * (p["a"] + p["b"] - 2) / ((p["a"] - 1) * (p["a"] - 2))
                       if p["a"] > 2 else math.inf),
            lambda r, p, n: r.beta(p["a"], p["b"], n) ** -2.0,
            {"a": (6.0, 8.0), "b": (0.5, 3.0)}, {"a": (0.5, 1.9), "b": (0.5, 3.0)}),
    Problem("uniform-negative-power", "Uniform(0, 1)", "x**(-a)", 1,
            lambda p: 1 / (1 - p["a"]) if p["a"] < 1 else math.inf,
            lambda r, p, n: r.uniform(0, 1, n) ** -p["a"],
            {"a": (0.05, 0.35)}, {"a": (1.0, 2.5)}, assume="a > 0"),
    Problem("inverse-gamma-mean", "Gamma(alpha, beta)", "1/x", 1,
            lambda p: p["beta"] / (p["alpha"] - 1) if p["alpha"] > 1 else math.inf,
            lambda r, p, n: 1 / r.gamma(p["alpha"], 1 / p["beta"], n),
            {"alpha": (3.5, 5.0), "beta": (0.5, 2.0)}, {"alpha": (0.3, 0.95), "beta": (0.5, 2.0)}),
    Problem("inverse-gamma-variance", "Gamma(alpha, beta)", "1/x", "var",
            lambda p: (p["beta"] ** 2 / ((p["alpha"] - 1) ** 2 * (p["alpha"] - 2)) if p["alpha"] > 2
                       else math.inf if p["alpha"] > 1 else math.nan),
            lambda r, p, n: 1 / r.gamma(p["alpha"], 1 / p["beta"], n),
            {"alpha": (6.0, 8.0), "beta": (0.5, 2.0)}, {"alpha": (1.1, 1.9), "beta": (0.5, 2.0)}),
    Problem("weibull-mean", "Weibull(lam, k)", "x", 1,
            lambda p: p["lam"] * math.gamma(1 + 1 / p["k"]),
            lambda r, p, n: p["lam"] * r.weibull(p["k"], n),
            {"lam": (0.5, 2.0), "k": (0.8, 3.0)}),
    Problem("student-square", "StudentT(nu)", "x**2", 1,
            lambda p: p["nu"] / (p["nu"] - 2) if p["nu"] > 2 else math.inf,
            lambda r, p, n: _student(r, p, n) ** 2,
            {"nu": (6.5, 9.0)}, {"nu": (0.5, 1.95)}),
    Problem("student-mean", "StudentT(nu)", "x", 1,
            lambda p: 0.0 if p["nu"] > 1 else math.nan, _student,
            {"nu": (3.0, 6.0)}, {"nu": (0.3, 0.95)}),
    # F(2a, 2b) is (b/a) B/(1 - B) for B ~ Beta(a, b): mean d2/(d2 - 2) = b/(b - 1) for b > 1
    Problem("f-mean", "Beta(a, b)", "b*x/(a*(1 - x))", 1,
            lambda p: p["b"] / (p["b"] - 1) if p["b"] > 1 else math.inf,
            lambda r, p, n: r.f(2 * p["a"], 2 * p["b"], n),
            {"a": (0.8, 3.0), "b": (3.5, 5.0)}, {"a": (0.8, 3.0), "b": (0.3, 0.95)}),
    Problem("exponential-root", "Exponential(lam)", "sqrt(x)", 1,
            lambda p: math.sqrt(math.pi / p["lam"]) / 2,
            lambda r, p, n: np.sqrt(r.exponential(1 / p["lam"], n)),
            {"lam": (0.3, 3.0)}),
    Problem("normal-exp-variance", "Normal(mu, sigma)", "exp(x)", "var",
            lambda p: (math.exp(p["sigma"] ** 2) - 1) * math.exp(2 * p["mu"] + p["sigma"] ** 2),
            lambda r, p, n: np.exp(r.normal(p["mu"], p["sigma"], n)),
            {"mu": (-1.0, 1.0), "sigma": (0.2, 0.45)}),
    Problem("cauchy-mean", "Cauchy(m, g)", "x", 1,
            lambda p: math.nan, lambda r, p, n: p["m"] + p["g"] * r.standard_cauchy(n),
            {}, {"m": (-2.0, 2.0), "g": (0.2, 3.0)}),
    Problem("chi-square-reciprocal", "ChiSquared(k)", "1/x", 1,
            lambda p: 1 / (p["k"] - 2) if p["k"] > 2 else math.inf,
            lambda r, p, n: 1 / r.chisquare(p["k"], n),
            {"k": (7.0, 10.0)}, {"k": (0.5, 1.9)}),
    Problem("lognormal-third-moment", "LogNormal(mu, sigma)", "x", 3,
            lambda p: math.exp(3 * p["mu"] + 9 * p["sigma"] ** 2 / 2), _lognormal,
            {"mu": (-0.5, 0.5), "sigma": (0.1, 0.3)}),
]


def _draw(ranges: dict[str, tuple[float, float]], rng: np.random.Generator) -> Params:
    return {name: float(rng.uniform(lo, hi)) for name, (lo, hi) in ranges.items()}


def _result(problem: Problem) -> sp.Expr:
    kwargs = {"assume": problem.assume} if problem.assume else {}
    Y = covar.transform(problem.law, problem.g, **kwargs)
    return Y.variance if problem.what == "var" else Y.moment(problem.what)


def _at(expr: sp.Expr, p: Params) -> sp.Expr:
    return expr.xreplace({s: sp.Float(p[s.name], 30) for s in expr.free_symbols if s.name in p})


def _monte_carlo(problem: Problem, p: Params, rng: np.random.Generator, n: int = 400_000) -> tuple[float, float]:
    """The estimate of the moment from samples of g(X), and its standard error."""
    ys = problem.sample(rng, p, n)
    if problem.what == "var":
        halves = [np.var(part, ddof=1) for part in np.split(ys, 40)]
        return float(np.var(ys, ddof=1)), float(np.std(halves, ddof=1) / math.sqrt(40))
    values = ys ** problem.what
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(n))


@pytest.mark.parametrize("problem", PROBLEMS, ids=[p.name for p in PROBLEMS])
def test_symbolic_moment_matches_hand_formula_and_monte_carlo(problem: Problem) -> None:
    result = _result(problem)
    assert isinstance(result, sp.Expr) and not result.has(sp.Integral)
    rng = np.random.default_rng(sum(map(ord, problem.name)))
    for _ in range(2 if problem.finite else 0):
        p = _draw(problem.finite, rng)
        want = problem.truth(p)
        got = complex(_at(result, p).evalf())
        assert abs(got.imag) <= 1e-12 and abs(got.real - want) <= 1e-8 * max(1.0, abs(want)), (p, got, want)
        estimate, error = _monte_carlo(problem, p, rng)
        assert abs(estimate - want) <= 5 * error + 1e-3 * abs(want), (p, estimate, error, want)
    for _ in range(2 if problem.infinite else 0):
        p = _draw(problem.infinite, rng)
        want = problem.truth(p)
        got = _at(result, p)
        if math.isnan(want):
            assert got is sp.nan, (p, got)
        else:
            assert got == sp.oo, (p, got)


def test_beta_reciprocal_reads_as_a_piecewise_over_the_parameter() -> None:
    a, b = sp.symbols("a b", positive=True)
    got = covar.transform("Beta(a, b)", "1/x").mean
    assert isinstance(got, sp.Piecewise)
    (value, condition), (rest, otherwise) = got.args
    assert sp.simplify(value - (a + b - 1) / (a - 1)) == 0
    assert condition == (a > 1) and rest == sp.oo and otherwise == sp.true


def test_uniform_power_condition_is_solved_for_the_parameter() -> None:
    a = sp.Symbol("a", positive=True)
    got = covar.transform("Uniform(0, 1)", "x**(-a)", assume="a > 0").mean
    assert got.args[0][1] == (a < 1) and got.args[1][0] == sp.oo


def test_cauchy_mean_is_never_a_number() -> None:
    for law in ("Cauchy(0, 1)", "StudentT(1)"):
        assert covar.transform(law, "x").mean is sp.nan


def test_tail_exponent_reads_decay_at_plus_infinity() -> None:
    # an integrand that decays exponentially at +oo must not be called divergent there
    from covar.univariate.moments import _diverges_at, _end_condition

    y = sp.Symbol("y", positive=True)
    assert not _diverges_at(sp.exp(-y), y, sp.oo, -1)
    assert not _diverges_at(y ** 3 * sp.exp(-y), y, sp.oo, -1)
    assert _diverges_at(1 / y, y, sp.oo, -1) and not _diverges_at(y ** -2, y, sp.oo, -1)
    assert _diverges_at(1 / y, y, sp.Integer(0), 1)
    a = sp.Symbol("a", positive=True)
    assert _end_condition(y ** (-a), y, sp.oo, -1) == (-a < -1)


def test_undecidable_boundary_is_refused_not_guessed() -> None:
    # y^(-a) / log(y)^2 at +oo: exponent -a, but at a = 1 the log decides; covar must not guess
    from covar.univariate.moments import _end_condition

    y = sp.Symbol("y", positive=True)
    a = sp.Symbol("a", positive=True)
    assert _end_condition(y ** (-a) / sp.log(y) ** 2, y, sp.oo, -1) is None


def test_moment_failing_its_check_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # a closed form that disagrees with the derived density never leaves the library
    from covar.univariate import moments

    monkeypatch.setattr(moments, "_value_where", lambda *args: sp.Integer(7))
    with pytest.raises(CovarError, match="failed verification"):
        covar.transform("Uniform(0, 1)", "x**(-a)", assume="a > 0").moment(1)


def test_divergence_claim_is_checked_numerically(monkeypatch: pytest.MonkeyPatch) -> None:
    # a convergent moment claimed infinite is caught by the truncated integrals
    from covar.univariate import moments

    monkeypatch.setattr(moments, "_finite_when", lambda side: sp.false if side else sp.true)
    Y = covar.transform("Beta(a, b)", "1/x")
    claimed = moments._by_tails(Y, 1)
    assert claimed == sp.oo
    why = moments._check(Y, 1, claimed)
    assert why is not None and "settle" in why


def test_special_function_values_agree() -> None:
    # Weibull's mean through scipy's gamma, a second independent evaluation of the hand formula
    got = _at(covar.transform("Weibull(lam, k)", "x").mean, {"lam": 1.3, "k": 1.7})
    assert abs(float(got) - 1.3 * special.gamma(1 + 1 / 1.7)) <= 1e-10


def test_unreadable_tail_falls_back_to_sympy_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    # numeric parameters: when no tail exponent can be read, sympy's own one-sided values decide
    from covar.univariate import moments

    monkeypatch.setattr(moments, "_finite_when", lambda side: None)
    assert moments._by_tails(covar.parse_density("Cauchy(0, 1)"), 1) is sp.nan
    assert moments._by_tails(covar.transform("Exponential(2)", "3*x"), 2) == sp.Rational(9, 2)
    assert moments._by_tails(covar.transform("Uniform(0, 1)", "1/x"), 1) == sp.oo
