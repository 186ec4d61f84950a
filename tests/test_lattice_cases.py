"""Parameter cases and symbolic lattices for pmfs (issue 11): c*x with c of unknown sign, maps of a
Binomial(n, p) with n a symbol. Each result's symbolic pmf (what the user reads) is checked at
parameter values inside its case against an exact enumeration of X's support, its total mass, and
the frequencies of numpy samples of g(X)."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy import stats

import covar
import covar.render.serialize
import covar.render.text
from covar.errors import UnsupportedTransform
from covar.univariate.cases import support_by_case
from tests.reference import reference_pmf

_DRAWS = {
    "Poisson": lambda rng, v, size: rng.poisson(v.get("lam", 2.0), size),
    "Geometric": lambda rng, v, size: rng.geometric(v["p"], size),
    "Binomial": lambda rng, v, size: rng.binomial(int(v["n"]), v["p"], size),
    "DiscreteUniform": lambda rng, v, size: rng.integers(int(v.get("a", 0)), int(v["b"]) + 1, size),
}

# (X, g, assume, parameter values inside one case, g with numpy)
PROBLEMS = [
    ("Poisson(2)", "c*x", "c != 0", {"c": 2.5}, lambda x, v: v["c"] * x),
    ("Poisson(2)", "c*x", "c != 0", {"c": -1.75}, lambda x, v: v["c"] * x),
    ("Poisson(2)", "c*x", None, {"c": 0.0}, lambda x, v: 0.0 * x),
    ("Poisson(lam)", "c*x", None, {"lam": 3.0, "c": -0.5}, lambda x, v: v["c"] * x),
    ("Poisson(lam)", "c*x", None, {"lam": 1.2, "c": 0.75}, lambda x, v: v["c"] * x),
    ("Geometric(p)", "c*x + 1", None, {"p": 0.3, "c": 1.5}, lambda x, v: v["c"] * x + 1),
    ("Geometric(p)", "c*x + 1", None, {"p": 0.4, "c": 0.0}, lambda x, v: 0.0 * x + 1),
    ("Poisson(lam)", "x + c", None, {"lam": 1.5, "c": 0.3}, lambda x, v: x + v["c"]),
    ("Binomial(n, p)", "n - x", None, {"n": 7, "p": 0.3}, lambda x, v: v["n"] - x),
    ("Binomial(n, p)", "2*x", None, {"n": 6, "p": 0.4}, lambda x, v: 2 * x),
    ("Binomial(n, p)", "x + c", None, {"n": 5, "p": 0.6, "c": -0.75}, lambda x, v: x + v["c"]),
    ("Binomial(n, p)", "x**2", None, {"n": 5, "p": 0.45}, lambda x, v: x ** 2),
    ("Binomial(n, p)", "Min(x, 3)", None, {"n": 2, "p": 0.5}, lambda x, v: np.minimum(x, 3)),
    ("Binomial(n, p)", "Min(x, 3)", None, {"n": 3, "p": 0.35}, lambda x, v: np.minimum(x, 3)),
    ("Binomial(n, p)", "Min(x, 3)", None, {"n": 8, "p": 0.6}, lambda x, v: np.minimum(x, 3)),
    ("Binomial(n, p)", "Max(x, 2)", None, {"n": 1, "p": 0.7}, lambda x, v: np.maximum(x, 2)),
    ("Binomial(n, p)", "Min(x, c)", "c integer", {"n": 5, "p": 0.3, "c": -2}, lambda x, v: np.minimum(x, v["c"])),
    ("Binomial(n, p)", "Max(x, 2)", None, {"n": 6, "p": 0.3}, lambda x, v: np.maximum(x, 2)),
    ("Binomial(n, p)", "Mod(x, 2)", None, {"n": 9, "p": 0.3}, lambda x, v: np.mod(x, 2)),
    ("Binomial(n, p)", "(-1)**x", None, {"n": 4, "p": 0.55}, lambda x, v: (-1.0) ** x),
    ("Binomial(n, p)", "floor(x/2)", None, {"n": 7, "p": 0.5}, lambda x, v: np.floor(x / 2)),
    ("Binomial(n, p)", "c*x", None, {"n": 4, "p": 0.3, "c": -2.5}, lambda x, v: v["c"] * x),
    ("Binomial(n, p)", "Max(x, k)", "k integer", {"n": 6, "p": 0.4, "k": 2}, lambda x, v: np.maximum(x, v["k"])),
    ("Binomial(n, p)", "Max(x, k)", "k integer", {"n": 5, "p": 0.4, "k": 7}, lambda x, v: np.maximum(x, v["k"])),
    ("Binomial(n, p)", "Max(x, k)", "k integer", {"n": 5, "p": 0.4, "k": -1}, lambda x, v: np.maximum(x, v["k"])),
    ("Binomial(n, p)", "Min(x, k)", "k integer, k > 0", {"n": 8, "p": 0.55, "k": 3},
     lambda x, v: np.minimum(x, v["k"])),
    ("DiscreteUniform(a, b)", "b - x", None, {"a": -2, "b": 4}, lambda x, v: v["b"] - x),
    ("DiscreteUniform(a, b)", "2*x", None, {"a": 1, "b": 5}, lambda x, v: 2 * x),
    ("DiscreteUniform(a, b)", "Min(x, 2)", None, {"a": -1, "b": 6}, lambda x, v: np.minimum(x, 2)),
    ("DiscreteUniform(a, b)", "Min(x, 2)", None, {"a": 3, "b": 6}, lambda x, v: np.minimum(x, 2)),
]


def symbolic_pmf_values(Y, ys, values: dict) -> np.ndarray:
    """Y's symbolic pmf at ys with every number exact (c = 3/2, y = 5/2): the lattice test
    h(y) = floor(h(y)) is then decided exactly, as it is for a reader with exact numbers."""
    exact = {s: sp.Rational(str(values[s.name])) for s in Y.pdf.free_symbols if s.name in values}
    expr = Y.pdf.xreplace(exact)
    assert expr.free_symbols <= {Y.var}, expr.free_symbols
    return np.array([float(sp.N(expr.subs(Y.var, sp.Rational(str(float(v)))), 30)) for v in ys])


def _derived(X: str, g: str, assume: str | None):
    return covar.transform(X, g, assume=assume) if assume else covar.transform(X, g)


def _input_points(X, values: dict) -> np.ndarray:
    """X's support points at these values (the first 60 of an infinite one)."""
    sup = X.support.xreplace({s: values[s.name] for s in X.support.free_symbols})
    start = int(sup.inf)
    stop = int(sup.sup) if sup.sup.is_finite else start + 60
    return np.arange(start, stop + 1, dtype=float)


@pytest.mark.parametrize("X_text, g_text, assume, values, g", PROBLEMS,
                         ids=[f"{p[0]}-{p[1]}-{'-'.join(f'{k}={v}' for k, v in p[3].items())}" for p in PROBLEMS])
def test_pmf_in_its_case(X_text, g_text, assume, values, g):
    Y = _derived(X_text, g_text, assume)
    X = covar.parse_density(X_text)
    values = {k: v for k, v in values.items() if k in {s.name for s in Y.params} | {s.name for s in X.params}}
    bound = {k: v for k, v in values.items() if k in {s.name for s in X.params}}
    points = np.unique(np.round(g(_input_points(X, values), values), 12))
    got = symbolic_pmf_values(Y, points, values)
    want = reference_pmf(X.pdf, X.var, X.support, lambda xs: g(xs, values), points, bound)
    assert np.all(np.abs(got - want) <= 1e-9), (points, got, want)
    assert abs(got.sum() - 1) <= 1e-8  # total mass 1 in this case
    # off the lattice the pmf is 0
    off = symbolic_pmf_values(Y, points[:3] + 0.37, values)
    assert np.all(off == 0), off
    # against numpy samples of g(X)
    rng = np.random.default_rng(20261130)
    size = 40_000
    ys = np.round(g(_DRAWS[X_text.split("(")[0]](rng, values, size).astype(float), values), 12)
    seen, counts = np.unique(ys, return_counts=True)
    p = symbolic_pmf_values(Y, seen, values)
    assert np.all(p > 0), seen[p <= 0]
    big = p * size >= 5
    observed = np.append(counts[big], counts[~big].sum())
    expected = np.append(p[big], 1 - p[big].sum()) * size
    keep = expected > 0
    if keep.sum() >= 2:
        observed, expected = observed[keep], expected[keep]
        assert stats.chisquare(observed, expected * observed.sum() / expected.sum()).pvalue > 1e-4


def test_n_minus_x_is_named_binomial():
    Y = covar.transform("Binomial(n, p)", "n - x")
    assert str(Y.family) == "Binomial(n, 1 - p)"
    assert isinstance(Y.support, sp.Range) and Y.support.start == 0


def test_shifted_discrete_uniform_is_named():
    assert str(covar.transform("DiscreteUniform(a, b)", "x + 3").family) == "DiscreteUniform(a + 3, b + 3)"
    assert str(covar.transform("DiscreteUniform(a, b)", "b - x").family) == "DiscreteUniform(0, -a + b)"


def test_sign_cases_are_listed_with_their_supports():
    Y = covar.transform("Poisson(2)", "c*x")
    by_case = support_by_case(Y)
    conditions = {str(cond) for cond, _ in by_case}
    assert conditions == {"c > 0", "c < 0", "Eq(c, 0)"}
    assert dict((str(cond), where) for cond, where in by_case)["Eq(c, 0)"] == sp.FiniteSet(0)
    text = covar.render.text.render_result(Y)
    assert "by case" in text and "c = 0" in text
    assert "support_by_case" in covar.render.serialize.to_dict(Y)


def test_small_integer_range_splits_into_values():
    Y = covar.transform("Binomial(n, p)", "Min(x, 3)")
    conditions = {str(sp.And(*case.conditions)) for case in Y.derivation.cases}
    assert {"Eq(n, 1)", "Eq(n, 2)", "Eq(n, 3)", "n > 3"} <= conditions


def test_symbolic_run_refusal_names_the_parameter():
    with pytest.raises(UnsupportedTransform, match=r"in the case n > 2, written with t = n - 2"):
        covar.transform("Binomial(n, p)", "(x - 2)**2")


@pytest.mark.parametrize("c", [sp.Rational(-1, 2), sp.Rational(3, 4), sp.Integer(0)])
def test_exp_of_c_x_each_case(c):
    """exp(c*x) of a Poisson: P(Y = exp(c*k)) = P(X = k) for c != 0, a point mass at 1 for c = 0;
    the symbolic pmf at exact points of each case, and its total mass."""
    Y = covar.transform("Poisson(lam)", "exp(c*x)")
    lam = sp.Rational(11, 10)
    pmf = Y.pdf.xreplace({s: {"lam": lam, "c": c}[s.name] for s in Y.pdf.free_symbols if s.name != Y.var.name})
    total = 0.0
    for k in range(40):
        got = float(pmf.subs(Y.var, sp.exp(c * k)))
        want = float(lam ** k * sp.exp(-lam) / sp.factorial(k)) if c != 0 else (1.0 if k == 0 else None)
        if want is not None:
            assert abs(got - want) <= 1e-12
            total += got
    assert abs(total - 1) <= 1e-9
    assert float(pmf.subs(Y.var, sp.Rational(1, 3))) == 0
