"""The fast numpy paths (blocks, cells chosen in place, y-free parts hoisted, powers as products)
agree with the symbolic pdf evaluated in mpmath, and compiled evaluators are built once.

No timings here: benchmarks/bench_numpy.py measures speed.
"""
from __future__ import annotations

import inspect
import re

import numpy as np
import pytest
import sympy as sp

import covar
from covar.numeric import evaluate
from covar.numeric.verify import close_each
from reference import symbolic_pdf_values, symbolic_pmf_values

RTOL = 1e-12
N_POINTS = 3 * evaluate._BLOCK + 17  # several blocks and a partial one
N_CHECKED = 60  # points per law compared with mpmath (mpmath is slow)

# (density, map, parameter values, (lo, hi) to draw points from): masked, multi-cell, mixed,
# unmasked, with parameters, and y**4 / 1/y**4 powers
CONTINUOUS = [
    ("Normal(1/2, 2/5)", "exp(x)", {}, (-1.0, 6.0)),
    ("ChiSquared(1)", "sqrt(x)", {}, (-3.0, 9.0)),  # half-normal (masked)
    ("Normal(0, 1)", "x**2", {}, (-1.0, 30.0)),  # chi2(1) via sqrt
    ("Gamma(2, 3/2)", "log(x)", {}, (-8.0, 2.5)),  # no mask
    ("Gamma(3, 2)", "1/x", {}, (-0.5, 8.0)),  # 1/y**4
    ("Normal(0, 1)", "Max(0, x)", {}, (-3.0, 8.0)),  # mixed: the ReLU's continuous part
    ("Uniform(-1, 2)", "x**2", {}, (-0.5, 4.5)),  # two cells, different formulas
    ("Exponential(1)", "x**(1/4)", {}, (-0.5, 2.2)),  # y**3 and y**4
    ("Cauchy(0, 1)", "1/x", {}, (-50.0, 50.0)),  # two cells, the same formula
    ("Logistic(0, 1)", "exp(x)", {}, (-1.0, 40.0)),
    ("Normal(mu, sigma)", "exp(x)", {"mu": 0.3, "sigma": 0.7}, (-1.0, 8.0)),  # constants from parameters
    ("Gamma(alpha, beta)", "1/x", {"alpha": 2.5, "beta": 1.5}, (-0.5, 6.0)),
]


def _law(density: str, g: str):
    return covar.transform(covar.parse_density(density), g)


def _points(lo: float, hi: float, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(lo, hi, N_POINTS)


def _checked_indices(n: int) -> np.ndarray:
    return np.random.default_rng(1).choice(n, N_CHECKED, replace=False)


def _assert_agree(got: np.ndarray, want: np.ndarray, ys: np.ndarray, what: str, atol: float = 0.0) -> None:
    """Equal where the reference is 0 or -inf (off the support), else within RTOL (and atol)."""
    off = (want == 0) | (want == -np.inf)
    assert np.array_equal(got[off], want[off]), f"{what}: {ys[off][got[off] != want[off]][:3]}"
    ok = close_each(got[~off], want[~off], RTOL, atol)
    assert np.all(ok), f"{what}: at {ys[~off][~ok][:3]} got {got[~off][~ok][:3]} want {want[~off][~ok][:3]}"


@pytest.mark.parametrize("density, g, values, span", CONTINUOUS, ids=[f"{d} {g}" for d, g, _, _ in CONTINUOUS])
def test_pdf_and_logpdf_agree_with_mpmath(density, g, values, span):
    Y = _law(density, g)
    ys = _points(*span)
    pdf, logpdf = Y.numpy()(ys, **values), Y.logpdf_numpy()(ys, **values)
    assert pdf.shape == logpdf.shape == ys.shape
    idx = _checked_indices(len(ys))
    want = symbolic_pdf_values(Y, ys[idx], values)
    _assert_agree(pdf[idx], want, ys[idx], f"pdf of {g} of {density}")
    with np.errstate(divide="ignore"):
        want_log = np.log(want)
    # 1e-12 absolute in log space is 1e-12 relative in the density itself
    _assert_agree(logpdf[idx], want_log, ys[idx], f"logpdf of {g} of {density}", atol=RTOL)


def test_cell_boundaries_and_nan_points_stay_off_the_support():
    Y = _law("Uniform(-1, 2)", "x**2")
    got = Y.numpy()(np.array([0.0, 1.0, 4.0, np.nan, -np.inf, np.inf]))
    assert np.array_equal(got[:3], [0.0, 0.0, 0.0]) and np.array_equal(got[3:], [0.0, 0.0, 0.0])
    assert np.all(Y.logpdf_numpy()(np.array([0.0, 1.0, 4.0])) == -np.inf)


def test_shapes_scalars_and_array_parameters():
    Y = _law("Normal(mu, sigma)", "exp(x)")
    f = Y.numpy()
    grid = np.linspace(0.1, 3.0, 12).reshape(3, 4)
    assert f(grid, mu=0.0, sigma=1.0).shape == (3, 4)
    assert f(1.5, mu=0.0, sigma=1.0).shape == ()
    sigmas = np.array([0.5, 1.0, 2.0])
    by_array = f(np.array([1.5, 1.5, 1.5]), mu=0.0, sigma=sigmas)
    one_by_one = [float(f(np.array([1.5]), mu=0.0, sigma=s)[0]) for s in sigmas]
    assert np.all(close_each(by_array, np.array(one_by_one), RTOL))


@pytest.mark.parametrize("density, g, support", [
    ("Poisson(3)", "x + 2", (0, 16)),  # a pmf derived from a pmf (the record's law)
    ("Binomial(5, 1/3)", None, (-2, 8)),  # a catalog pmf evaluated from its formula
])
def test_pmf_and_its_log_agree_with_mpmath(density, g, support):
    Y = covar.parse_density(density) if g is None else _law(density, g)
    lo, hi = support
    ys = np.concatenate([np.arange(lo, hi, dtype=float), [2.5, 3.25]])
    ys = np.tile(ys, N_POINTS // len(ys) + 1)[:N_POINTS]
    got, got_log = Y.numpy()(ys), Y.logpdf_numpy()(ys)
    first = np.concatenate([np.arange(lo, hi, dtype=float), [2.5, 3.25]])
    on_lattice = first == np.round(first)
    want = np.zeros(len(first))  # the formula alone says nothing between the lattice points
    want[on_lattice] = symbolic_pmf_values(Y, first[on_lattice])
    n = len(first)
    _assert_agree(got[:n], want, first, f"pmf of {density}")
    _assert_agree(got[-n:], np.tile(want, 2)[(N_POINTS % n):(N_POINTS % n) + n], ys[-n:], f"pmf of {density}, last block")
    with np.errstate(divide="ignore"):
        _assert_agree(got_log[:n], np.log(want), first, f"log-pmf of {density}", atol=RTOL)


def test_y_free_parts_are_hoisted_and_powers_become_products():
    y, s = sp.symbols("y s", positive=True)
    expr = sp.sqrt(2) * sp.exp(-y**4 / (2 * s**2)) / (s * sp.sqrt(sp.pi)) + sp.log(5) - sp.Rational(3, 2) * sp.log(2)
    body, constants = evaluate._hoisted(expr, y)
    assert len(constants) == 3 and not any(c.has(y) for c in constants.values())
    f = evaluate._compile_fast(expr, y, (s,))
    source = "".join(inspect.getsource(c.cell_contents) for c in f.__closure__ if inspect.isfunction(c.cell_contents))
    assert "**4" not in source and re.search(r"\((\w+)\*\1\*\1\*\1\)", source), source
    ys = np.array([0.25, 1.0, 1.7])
    want = [float(expr.subs({y: sp.Float(v, 30), s: sp.Rational(13, 10)}).evalf(30)) for v in ys]
    assert np.all(close_each(f(ys, 1.3), np.array(want), RTOL))


def test_compiled_evaluators_are_cached():
    Y = _law("ChiSquared(1)", "sqrt(x)")
    assert Y.numpy() is Y.numpy()
    assert Y.logpdf_numpy() is Y.logpdf_numpy()


def test_coupling_components_evaluated_together_agree_with_sympy():
    from covar.flows import AffineCoupling, default_symbols

    z = default_symbols("z", 6)
    # s: one template for the first two components, another for the third (z_b/2 comes first)
    s = (sp.Rational(3, 10) * sp.tanh(z[1] + z[3] / 2), sp.Rational(7, 10) * sp.tanh(z[3] + z[5] / 2),
         sp.Rational(1, 10) * sp.tanh(z[5] / 2 + z[1]))
    layer = AffineCoupling((0, 1, 0, 1, 0, 1), s, (z[1] / 3, z[3] ** 3, sp.Integer(2)), inputs=z)
    Z = np.random.default_rng(2).normal(size=(5, 6))
    ld, fwd = layer.numpy_log_det()(Z), layer.numpy_forward()(Z)
    for row, got_ld, got_fwd in zip(Z, ld, fwd):
        point = {zi: sp.Float(float(v), 30) for zi, v in zip(z, row)}
        assert close_each(got_ld, float(layer.log_det_jacobian.xreplace(point)), RTOL)
        want = np.array([float(e.xreplace(point)) for e in layer.forward])
        assert np.all(close_each(got_fwd, want, RTOL))


@pytest.mark.parametrize("density, g, values, span", CONTINUOUS, ids=[f"{d} {g}" for d, g, _, _ in CONTINUOUS])
def test_one_point_calls_agree_with_mpmath(density, g, values, span):
    """A call at one point takes the Python-float path (no arrays): same values as mpmath, as a
    0-d array for a number and shape (1,) for a one-element array, off the support too."""
    Y = _law(density, g)
    f, logf = Y.numpy(), Y.logpdf_numpy()
    ys = _points(*span, seed=3)[:8]
    want = symbolic_pdf_values(Y, ys, values)
    got = np.array([float(f(float(v), **values)) for v in ys])
    got_one = np.array([f(np.array([v]), **values)[0] for v in ys])
    with np.errstate(divide="ignore"):
        want_log = np.log(want)
    got_log = np.array([float(logf(float(v), **values)) for v in ys])
    assert f(float(ys[0]), **values).shape == () and f(ys[:1], **values).shape == (1,)
    _assert_agree(got, want, ys, f"pdf of {g} of {density} at one point")
    _assert_agree(got_one, want, ys, f"pdf of {g} of {density} at one point")
    _assert_agree(got_log, want_log, ys, f"logpdf of {g} of {density} at one point", atol=RTOL)


def test_most_laws_have_a_ufunc_chain_and_a_one_point_formula():
    """The fast paths are really taken (the other tests would pass on the slow ones too)."""
    laws = [_law(d, g) for d, g, _, _ in CONTINUOUS]
    cells = [c for Y in laws for log in (False, True) for c in evaluate._compiled(Y, log)]
    assert sum(c.chain is not None for c in cells) >= len(cells) - 2
    assert sum(c.point is not None for c in cells) >= len(cells) - 2


_Y, _A, _B = sp.symbols("y a b", positive=True)
CHAIN_FORMULAS = [
    _A - (_Y - 1)**2 / 8, _A * sp.exp(-_Y**2 / 2), _A / (_Y**2 + 1), (_Y + 1)**-2, -2 * sp.log(_Y + 1),
    2 * _Y + _A - 3 * sp.exp(_Y) / 2, 4 * _Y**3 * sp.exp(-_Y**4), _A * sp.exp(-2 / _Y) / _Y**4, _Y, -_Y, _A - _Y,
    sp.exp(3 * _Y) + sp.exp(_Y), sp.sqrt(_Y) * sp.log(_Y) / (_Y + 1)**sp.Rational(3, 2),
    _A * _Y**6 + _Y**7 - _Y**5 + _Y**8, _B * sp.erf(_Y) + sp.tanh(_Y / _A), (_Y**2 + 1)**3 / (_A + _Y**2 + 1), 1 / _Y,
    _B - _Y**2 - sp.exp(_Y), sp.exp(sp.exp(_Y)) - sp.exp(_Y), _Y**sp.Rational(2, 3) + sp.cbrt(_Y),
    # shared subexpressions, also read through a negated term and a denominator
    sp.exp(-_Y**2) - _Y**2, (_Y + 1)**2 * sp.exp((_Y + 1)**2) + 1 / (_Y + 1)**2,
    sp.exp(-_Y**2) * sp.log(1 - sp.exp(-_Y**2)) - sp.exp(-_Y**2)**2 + _Y**2 / (1 + _Y**2)**3 + (1 + _Y**2)**3,
]


@pytest.mark.parametrize("expr", CHAIN_FORMULAS, ids=[str(e) for e in CHAIN_FORMULAS])
def test_ufunc_chain_operations_agree_with_mpmath(expr):
    """Every kind of step the chain emits (squares, products for y**3..y**8, divisions, sums
    with only subtracted arrays, shared subexpressions, scipy ufuncs) against 30-digit values."""
    from covar.numeric.ufunc_chain import ufunc_chain

    chain = ufunc_chain(expr, _Y, (_A, _B), lambda av, bv: (av, bv))
    assert chain is not None, expr
    ys = np.array([0.05, 0.3, 1.0, 1.7, 2.9])
    got = chain(ys, 1.3, 0.7)
    want = np.array([float(expr.evalf(30, subs={_Y: sp.Float(v, 30), _A: sp.Float(1.3, 30), _B: sp.Float(0.7, 30)}))
                     for v in ys])
    assert np.all(close_each(got, want, RTOL)), (expr, got, want)


def test_kolmogorov_series_match_scipy():
    """The gate's KS p-value (no scipy.special import) against scipy's own Kolmogorov law."""
    from scipy.special import kolmogorov

    from covar.numeric.checks import _kolmogorov_survival

    ts = np.concatenate([np.linspace(0.02, 4.0, 200), [0.999999, 1.0, 1.000001, 8.0]])
    assert np.all(close_each(np.array([_kolmogorov_survival(t) for t in ts]), kolmogorov(ts), 1e-12, 1e-15))
    assert _kolmogorov_survival(0.0) == 1.0 and _kolmogorov_survival(float("nan")) == 1.0


def test_a_continuous_derive_does_not_import_scipy_special():
    """Importing scipy.special costs a cold `covar derive` about a fifth of its time."""
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = ("import sys, covar; covar.transform(covar.parse_density('Gamma(alpha, beta)'), 'log(x)'); "
            "print(sorted(m for m in sys.modules if m.startswith('scipy.special')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": root})
    assert out.stdout.strip() == "[]", out.stdout
