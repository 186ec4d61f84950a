"""The compiled backend (numba kernels generated from covar's own formula): faithful to the
symbolic pdf evaluated in mpmath, rejected when it is not, optional (nothing changes without
numba), and built once per evaluator. No timings of the kernel itself: benchmarks/bench_numpy.py.
"""
from __future__ import annotations

import sys
import time

import mpmath
import numpy as np
import pytest
import sympy as sp

import covar
from covar.errors import CovarError
from covar.numeric import compiled_kernel, evaluate
from covar.numeric.verify import close_each
from reference import symbolic_pdf_values
from test_evaluate_speed import CONTINUOUS, N_CHECKED, RTOL, _assert_agree

N_POINTS = 2 * evaluate._BLOCK + 5


def _law(density: str, g: str):
    return covar.transform(covar.parse_density(density), g)


@pytest.mark.parametrize("density, g, values, span", CONTINUOUS, ids=[f"{d} {g}" for d, g, _, _ in CONTINUOUS])
def test_kernel_agrees_with_the_symbolic_pdf_in_mpmath(density, g, values, span):
    pytest.importorskip("numba")
    Y = _law(density, g)
    ys = np.random.default_rng(0).uniform(*span, N_POINTS)
    pdf, logpdf = Y.numpy(backend="numba"), Y.logpdf_numpy(backend="numba")
    got, got_log = pdf(ys, **values), logpdf(ys, **values)
    # every law here has a formula the kernel writes (masked, multi-cell, with parameters)
    assert pdf.backend == logpdf.backend == "numba"
    assert got.shape == got_log.shape == ys.shape
    idx = np.random.default_rng(1).choice(len(ys), N_CHECKED, replace=False)
    want = symbolic_pdf_values(Y, ys[idx], values)  # the pdf the user reads, in mpmath
    _assert_agree(got[idx], want, ys[idx], f"kernel pdf of {g} of {density}")
    with np.errstate(divide="ignore"):
        want_log = np.log(want)
    # 1e-12 absolute in log space is 1e-12 relative in the density itself
    _assert_agree(got_log[idx], want_log, ys[idx], f"kernel logpdf of {g} of {density}", atol=RTOL)
    # and everywhere the same values as the numpy path, up to round-off
    plain = Y.numpy(backend="numpy")(ys, **values)
    assert np.array_equal(got == 0, plain == 0) and np.all(close_each(got[got != 0], plain[plain != 0], 1e-9))


def test_nan_points_cell_ends_and_infinities_match_the_numpy_path():
    pytest.importorskip("numba")
    Y = _law("Uniform(-1, 2)", "x**2")
    ys = np.array([0.0, 1.0, 4.0, np.nan, -np.inf, np.inf, 0.5, 2.0])
    for kind in ("numpy", "logpdf_numpy"):
        fast, plain = getattr(Y, kind)(backend="numba"), getattr(Y, kind)(backend="numpy")
        assert np.array_equal(fast(ys), plain(ys)) and fast.backend == "numba"
    # an open cell: a nan point is not finite inside the cell, so the call takes the numpy path
    Z = _law("Normal(0, 1)", "2*x + 1")
    assert np.array_equal(Z.numpy(backend="numba")(np.array([np.nan, 1.0])), Z.numpy(backend="numpy")(np.array([np.nan, 1.0])),
                          equal_nan=True)


def test_without_numba_nothing_changes(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba now raises ImportError
    assert compiled_kernel.numba_module() is None
    Y = _law("ChiSquared(1)", "sqrt(x)")
    ys = np.linspace(-1.0, 6.0, compiled_kernel.LARGE + 3)
    f = Y.numpy()
    got = f(ys)
    assert f.backend == "numpy"  # decided on the large call: no kernel
    assert np.array_equal(got, Y.numpy(backend="numpy")(ys))
    with pytest.raises(CovarError, match=r"covar\[fast\]"):
        Y.logpdf_numpy(backend="numba")


def test_a_kernel_that_fails_the_probe_is_not_used(monkeypatch):
    pytest.importorskip("numba")
    monkeypatch.setitem(compiled_kernel._MATH, sp.exp, "expm1")  # a wrong kernel: exp(t) - 1
    Y = _law("ChiSquared(1)", "sqrt(x)")
    ys = np.linspace(-1.0, 6.0, 1001)
    f = Y.numpy(backend="numba")
    got = f(ys)
    assert f.backend == "numpy"
    assert np.array_equal(got, Y.numpy(backend="numpy")(ys))


def test_small_calls_do_not_compile_and_a_kernel_is_built_once(monkeypatch):
    pytest.importorskip("numba")
    Y = _law("Cauchy(0, 1)", "1/x")
    built = []
    real = evaluate._fused

    def counted(*args):
        built.append(args)
        return real(*args)

    monkeypatch.setattr(evaluate, "_fused", counted)
    f = Y.numpy()
    f(np.linspace(-3.0, 3.0, 1000))
    assert not built and f.backend == "undecided"  # a small call: no compile cost
    ys = np.linspace(-3.0, 3.0, compiled_kernel.LARGE)
    f(ys)
    f(ys)
    assert len(built) == 1 and f.backend in ("numba", "numpy")  # chosen where it is faster
    g = Y.logpdf_numpy(backend="numba")
    g(ys[:10])
    g(ys)
    assert len(built) == 2 and g.backend == "numba"
    first = Y.numpy(backend="numba")
    start = time.process_time()
    again = Y.numpy(backend="numba")
    assert time.process_time() - start < 1e-3  # built once per result and backend
    assert again is first


def test_array_parameters_take_the_numpy_path():
    pytest.importorskip("numba")
    Y = _law("Normal(mu, sigma)", "exp(x)")
    f = Y.numpy(backend="numba")
    sigmas = np.array([0.5, 1.0, 2.0])
    by_array = f(np.array([1.5, 1.5, 1.5]), mu=0.0, sigma=sigmas)
    one_by_one = [float(f(np.array([1.5, 2.0]), mu=0.0, sigma=s)[0]) for s in sigmas]
    assert np.all(close_each(by_array, np.array(one_by_one), RTOL))


def test_unknown_backend_is_refused():
    with pytest.raises(CovarError, match="backend"):
        _law("Normal(0, 1)", "2*x + 1").numpy(backend="fortran")


def test_logpdf_far_out_is_exact_and_not_root_finding():
    # log(y**2 + 1) overflows past 1e154: those points are redone in mpmath, not by root-finding
    # (whose bracket gave -242.36 at y = 1e100); the cell keeps its fast formula
    Y = _law("Cauchy(0, 1)", "1/x")
    cells = evaluate._compiled(Y, log=True)
    assert not any(c.costly for c in cells)
    ys = np.array([0.5, -3.0, 1e100, 1e160, -1e200, 1e300])
    with mpmath.workdps(30):
        want = np.array([float(-mpmath.log(mpmath.pi) - mpmath.log(1 + mpmath.mpf(v) ** 2)) for v in ys])
    for backend in ("numpy", "auto"):
        got = Y.logpdf_numpy(backend=backend)(ys)
        assert np.all(close_each(got, want, RTOL)), (backend, got, want)


def test_kernel_source_writes_only_whitelisted_nodes():
    y, k = sp.symbols("y k")
    cell = compiled_kernel.KernelCell
    assert compiled_kernel.kernel_source([cell(sp.erf(y), True, True, 0)], y, []) is None
    assert compiled_kernel.kernel_source([cell(y ** y, True, True, 0)], y, []) is None
    assert compiled_kernel.kernel_source([cell(sp.Symbol("z") * y, True, True, 0)], y, []) is None
    source = compiled_kernel.kernel_source(
        [cell(sp.Piecewise((y ** k, y < 1), (sp.Abs(y) ** sp.Rational(-3, 2), True)), False, False, 1)], y, [k])
    assert source is not None
    assert "v = ((y)**s0 if (y < 1.0) else (abs(y))**(-1.5))" in source
    assert "if y > e0 and y < e1 and y != e2:" in source
