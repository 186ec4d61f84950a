"""Symbolic parameters that decide a direction or an order (issue 11): every case is derived.

Each problem is derived once; then, at parameter values from every case (equality cases such
as a = b included), the symbolic pdf the user reads is compared with the independent
reference (f_X summed over all preimages, tests/reference.py), its mass with 1 minus the
atoms, its atoms and its CDF with samples of g(X) drawn here with numpy.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np
import pytest
import sympy as sp
from scipy import integrate

from covar.render.text import phrase
import covar
from covar.errors import ParseError, UnsupportedTransform
from covar.record import CaseSplit
from covar.render.serialize import from_json, to_json
from covar.univariate.cases import draws_by_case

import reference


@dataclass(frozen=True)
class CaseProblem:
    id: str
    density: str
    g: str
    assume: str
    draw: Callable[[np.random.Generator, int, dict], np.ndarray]
    g_np: Callable[[np.ndarray, dict], np.ndarray]
    values: tuple[dict, ...]  # parameter values, one set in each case
    cases: int  # cases in the record
    one_formula: bool = False  # the cases agree on one formula (f_X(y/c)/|c|)


def _normal(rng, n, v):
    return rng.normal(0.0, 1.0, n)


def _exp1(rng, n, v):
    return rng.exponential(1.0, n)


def _unif01(rng, n, v):
    return rng.uniform(0.0, 1.0, n)


def _unif11(rng, n, v):
    return rng.uniform(-1.0, 1.0, n)


def _unif0b(rng, n, v):
    return rng.uniform(0.0, v["b"], n)


def _scale(xs, v):
    return v["c"] * xs


PROBLEMS = [
    CaseProblem("normal-cx", "Normal(0, 1)", "c*x", "c != 0", _normal, _scale,
                ({"c": 1.7}, {"c": -0.6}), 2, one_formula=True),
    CaseProblem("exponential-cx", "Exponential(1)", "c*x", "c != 0", _exp1, _scale,
                ({"c": 0.8}, {"c": -1.5}), 2),
    CaseProblem("uniform-cx", "Uniform(0, 1)", "c*x", "c != 0", _unif01, _scale,
                ({"c": 2.0}, {"c": -0.5}), 2),
    CaseProblem("gamma-cx", "Gamma(2, 1)", "c*x", "c != 0", lambda rng, n, v: rng.gamma(2.0, 1.0, n), _scale,
                ({"c": 1.3}, {"c": -0.7}), 2),
    CaseProblem("exponential-cx-zero", "Exponential(1)", "c*x", "c real", _exp1, _scale,
                ({"c": 0.8}, {"c": 0.0}, {"c": -1.5}), 3),
    CaseProblem("uniform-square", "Uniform(-a, b)", "x**2", "a > 0, b > 0",
                lambda rng, n, v: rng.uniform(-v["a"], v["b"], n), lambda xs, v: xs**2,
                ({"a": 0.7, "b": 1.3}, {"a": 0.9, "b": 0.9}, {"a": 1.4, "b": 0.5}), 3),
    CaseProblem("exponential-max", "Exponential(1)", "Max(x, c)", "c real", _exp1,
                lambda xs, v: np.maximum(xs, v["c"]), ({"c": 0.6}, {"c": 0.0}, {"c": -0.8}), 3),
    CaseProblem("exponential-min", "Exponential(1)", "Min(x, c)", "c real", _exp1,
                lambda xs, v: np.minimum(xs, v["c"]), ({"c": 0.6}, {"c": 0.0}, {"c": -0.8}), 3),
    CaseProblem("uniform-max-real", "Uniform(-1, 1)", "Max(x, c)", "c real", _unif11,
                lambda xs, v: np.maximum(xs, v["c"]),
                ({"c": -1.5}, {"c": -1.0}, {"c": 0.3}, {"c": 1.0}, {"c": 1.7}), 5),
    CaseProblem("uniform-b-max", "Uniform(0, b)", "Max(x, c)", "c > 0, b > 0", _unif0b,
                lambda xs, v: np.maximum(xs, v["c"]),
                ({"b": 1.0, "c": 0.4}, {"b": 0.8, "c": 0.8}, {"b": 0.5, "c": 0.9}), 3),
    CaseProblem("uniform-b-min", "Uniform(0, b)", "Min(x, c)", "c > 0, b > 0", _unif0b,
                lambda xs, v: np.minimum(xs, v["c"]),
                ({"b": 1.0, "c": 0.4}, {"b": 0.8, "c": 0.8}, {"b": 0.5, "c": 0.9}), 3),
    CaseProblem("uniform-b-max-stated", "Uniform(0, b)", "Max(x, c)", "0 < c < b", _unif0b,
                lambda xs, v: np.maximum(xs, v["c"]), ({"b": 1.2, "c": 0.5}, {"b": 2.0, "c": 1.9}), 1),
    CaseProblem("normal-exp-cx", "Normal(0, 1)", "exp(c*x)", "c != 0", _normal,
                lambda xs, v: np.exp(v["c"] * xs), ({"c": 0.5}, {"c": -1.2}), 2, one_formula=True),
    CaseProblem("exponential-exp-cx", "Exponential(1)", "exp(c*x)", "c != 0", _exp1,
                lambda xs, v: np.exp(v["c"] * xs), ({"c": 0.7}, {"c": -0.9}), 2),
    CaseProblem("exponential-lam-affine", "Exponential(lam)", "c*x + 1", "c != 0",
                lambda rng, n, v: rng.exponential(1 / v["lam"], n), lambda xs, v: v["c"] * xs + 1,
                ({"lam": 1.5, "c": -2.0}, {"lam": 0.5, "c": 1.0}), 2),
    CaseProblem("uniform-reciprocal", "Uniform(0, 1)", "c/x", "c != 0", _unif01, lambda xs, v: v["c"] / xs,
                ({"c": 2.0}, {"c": -1.0}), 2),
    CaseProblem("normal-shifted-scale", "Normal(0, 1)", "(c - 1)*x", "c real", _normal,
                lambda xs, v: (v["c"] - 1) * xs, ({"c": 2.0}, {"c": 1.0}, {"c": 0.0}), 3),
]
SLOW = [
    CaseProblem("uniform-shifted-square", "Uniform(-1, 1)", "(x - c)**2", "c real", _unif11,
                lambda xs, v: (xs - v["c"]) ** 2,
                ({"c": -1.4}, {"c": -1.0}, {"c": -0.5}, {"c": 0.0}, {"c": 0.3}, {"c": 1.0}, {"c": 1.6}), 7),
]
BY_ID = {p.id: p for p in PROBLEMS + SLOW}


@lru_cache(maxsize=None)
def derived(problem_id: str) -> covar.Density:
    p = BY_ID[problem_id]
    return covar.transform(p.density, p.g, assume=p.assume)


def _number(expr, values: dict) -> float:
    return reference._to_float(sp.N(reference.bind(expr, values), 30))


def _cdf(Y, values: dict, q: float) -> float:
    """P(Y <= q) from the symbolic pdf (quad split at the cell ends) plus the atoms at or below q."""
    f = reference.fast_symbolic(Y, values)
    ends = [e for e in reference.cell_ends(Y, values) if e < q]
    edges = [-np.inf, *ends, q]
    total = sum(integrate.quad(f, a, b, limit=400, epsabs=1e-10)[0] for a, b in zip(edges, edges[1:]) if a < b)
    return total + sum(_number(m, values) for point, m in Y.atoms.items() if _number(point, values) <= q)


def _parameter_conditions(Y) -> list:
    """The conditions of Y.pdf's Piecewise branches that mention a parameter."""
    return [cond for e in sp.preorder_traversal(Y.pdf) if isinstance(e, sp.Piecewise)
            for _, cond in e.args if cond.free_symbols - {Y.var}]


def _check_case(Y, p: CaseProblem, values: dict, rng: np.random.Generator) -> None:
    ys = p.g_np(p.draw(rng, 40_000, values), values)
    reference.assert_mass_one(Y, values, tol=1e-4)
    points = [_number(k, values) for k in Y.atoms]
    for point, mass in Y.atoms.items():
        freq = float(np.mean(np.isclose(ys, _number(point, values), rtol=0, atol=1e-12)))
        assert abs(freq - _number(mass, values)) <= 0.01, (p.id, values, point, freq)
    X = Y.derivation.input
    if not len(reference.probe_points(ys, 9, avoid=points)):
        return  # every sample sits on an atom (g is constant in this case): mass and atoms say it all
    fx, x_range = reference.interval_law(X.pdf, X.var, X.support, values)
    probes = reference.probe_points(ys, 9, avoid=points)
    want = reference.reference_pdf(fx, lambda t: p.g_np(t, values), probes, x_range)
    got = reference.symbolic_pdf_values(Y, probes, values)
    reference.assert_close(got, want, probes, f"{p.id} at {values}: symbolic pdf vs reference", 1e-5, 1e-9)
    fast = np.asarray(Y.numpy()(probes, **values), dtype=float)
    reference.assert_close(fast, got, probes, f"{p.id} at {values}: numpy() vs symbolic pdf", 1e-8, 1e-12)
    for q in np.quantile(ys, [0.2, 0.5, 0.8]):
        if any(abs(q - a) <= 1e-9 for a in points):
            continue
        empirical = float(np.mean(ys <= q))
        assert abs(_cdf(Y, values, float(q)) - empirical) <= 0.015, (p.id, values, q)


@pytest.mark.parametrize("p", PROBLEMS + [pytest.param(s, marks=pytest.mark.slow) for s in SLOW],
                         ids=[p.id for p in PROBLEMS + SLOW])
def test_every_case_against_samples_and_reference(p: CaseProblem) -> None:
    Y = derived(p.id)
    assert isinstance(Y.derivation, CaseSplit)
    assert len(Y.derivation.cases) == p.cases
    params = {s.name for s in Y.params}
    conditions = {s.name for case in Y.derivation.cases for c in case.conditions for s in c.free_symbols}
    assert conditions <= params | {s.name for s in Y.derivation.input.params}
    if p.one_formula:
        assert Y.pdf.has(sp.Abs) and not _parameter_conditions(Y)
    elif p.cases > 1:  # a Piecewise over the parameters' conditions, one branch per distinct case law
        outer = Y.pdf
        assert isinstance(outer, sp.Piecewise)
        assert all(cond.free_symbols and not cond.has(Y.var) for _, cond in outer.args)
    rng = np.random.default_rng(20261130)
    for values in p.values:
        _check_case(Y, p, values, rng)


def test_record_has_one_step_per_case_and_renders() -> None:
    Y = derived("uniform-square")
    steps = Y.derivation.display()
    titles = ["".join(str(part) for part in s.title) for s in steps]
    assert sum(t.startswith("Case ") for t in titles) == 3
    assert any("a < b" in t or "b > a" in t for t in titles) and any("Eq(a, b)" in t or "Eq(b, a)" in t for t in titles)
    text = Y.derivation.text()
    assert "Case 2" in text and "Together" in text
    assert "\\paragraph" in Y.latex()


@pytest.mark.parametrize("pid", ["uniform-square", "uniform-max-real", "normal-cx"])
def test_json_round_trip(pid: str) -> None:
    Y = derived(pid)
    Z = from_json(to_json(Y))  # read back and verified again, drawing in every case
    assert isinstance(Z.derivation, CaseSplit) and len(Z.derivation.cases) == len(Y.derivation.cases)
    for values in BY_ID[pid].values:  # the same law in every case (sympy may reorder a > b as b < a)
        ys = np.linspace(-2.3, 2.9, 41)
        assert np.allclose(reference.symbolic_pdf_values(Z, ys, values),
                           reference.symbolic_pdf_values(Y, ys, values), rtol=1e-12, atol=0)
        atoms = [sorted((_number(k, values), _number(m, values)) for k, m in law.atoms.items()) for law in (Z, Y)]
        assert np.allclose(np.array(atoms[0], dtype=float), np.array(atoms[1], dtype=float), rtol=1e-12, atol=0)


def test_gate_draws_land_in_every_case_including_equalities() -> None:
    Y = derived("uniform-square")
    pools = draws_by_case(Y.derivation, sorted(Y.params, key=lambda s: s.name), 8, 1)
    assert pools is not None and len(pools) == 3
    for case, pool in zip(Y.derivation.cases, pools):
        assert pool
        for values in pool:
            assert all(bool(c.xreplace(values)) for c in case.conditions), (case.conditions, values)
    note = phrase(Y.derivation.notes[-1])
    assert note.startswith("verified numerically for 3 parameter draw")


def test_subs_picks_the_case() -> None:
    Y = derived("exponential-cx")
    Z = Y.subs({"c": -2})
    ys = np.array([-3.0, -0.5, 0.5])
    assert np.allclose(Z.numpy()(ys), [np.exp(-1.5) / 2, np.exp(-0.25) / 2, 0.0])


def test_decided_from_the_assumptions_without_a_split() -> None:
    Y = covar.transform("Exponential(1)", "Max(x, c)", assume="c > 0")
    assert not isinstance(Y.derivation, CaseSplit)
    assert sp.simplify(Y.atoms[sp.Symbol("c", positive=True)] - (1 - sp.exp(-sp.Symbol("c", positive=True)))) == 0
    Y = covar.transform("Uniform(0, b)", "Max(x, b/2)", assume="b > 0")
    b = sp.Symbol("b", positive=True)
    assert Y.atoms == {b / 2: sp.Rational(1, 2)}
    Y = derived("uniform-b-max-stated")  # 0 < c < b: one case, no Piecewise over the parameters
    assert all(cond.has(Y.var) for cond in _parameter_conditions(Y))
    assert "c < b" in phrase(Y.derivation.notes[0])


def test_refuses_only_when_the_cases_cannot_be_enumerated() -> None:
    with pytest.raises(UnsupportedTransform, match=r"sin\(c\)"):
        covar.transform("Normal(0, 1)", "sin(c)*x", assume="c real")
    with pytest.raises(ParseError, match="neither the density nor the map"):
        covar.transform("Uniform(0, b)", "Max(x, c)", assume="c > 0, c < d")
