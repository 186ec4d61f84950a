"""Built once, reused: Y.to_scipy() per set of parameter values, FrozenDensity's CDF table on
first use, and a coupling layer's grouped numpy evaluation (one group whatever its constants)."""
from __future__ import annotations

import time

import numpy as np
import pytest
import sympy as sp

import covar
from covar.errors import InvalidDensity
from covar.flows import AffineCoupling, default_symbols
from covar.flows.coupling import _GroupedColumns


def test_to_scipy_is_built_once_per_values_and_still_checks_each_call():
    Y = covar.transform("Normal(mu, sigma)", "exp(x)")
    rv = Y.to_scipy(mu=0.5, sigma=0.4)
    start = time.process_time()
    again = Y.to_scipy(mu=0.5, sigma=0.4)
    assert time.process_time() - start < 0.01
    assert again is rv and Y.to_scipy(mu=np.float64(0.5), sigma=0.4) is rv
    other = Y.to_scipy(mu=0.0, sigma=1.0)
    assert other is not rv
    assert float(other.cdf(1.0)) == pytest.approx(0.5, abs=1e-12)
    assert float(rv.cdf(np.exp(0.5))) == pytest.approx(0.5, abs=1e-12)
    with pytest.raises(InvalidDensity):
        Y.to_scipy(mu=0.5, sigma=-0.4)  # refused every time, never served from the cache


def test_frozen_density_builds_its_table_only_when_asked():
    Y = covar.transform("Uniform(0, 1)", "x**2 + x**3")
    rv = Y.to_scipy()
    assert "_table" not in rv.__dict__  # pdf, rvs and the closed-form cdf need no table
    ys = np.array([0.1, 0.7, 1.5])
    # y = x**2 + x**3 is increasing on (0, 1): P(Y <= y) = the x with x**2 + x**3 = y
    roots = [min(r.real for r in np.roots([1, 1, 0, -y]) if abs(r.imag) < 1e-12 and 0 <= r.real <= 1)
             for y in ys]
    assert np.all(np.abs(rv.cdf(ys) - np.array(roots)) <= 1e-10)
    assert "_table" not in rv.__dict__
    qs = np.array([0.05, 0.5, 0.95])
    assert np.all(np.abs(rv.ppf(qs) - (qs**2 + qs**3)) <= 1e-9)


def _layer(d: int) -> AffineCoupling:
    """s_k = w_k tanh(z_a + z_b/2) with w_k running over 1/10 .. 7/10, 1/2 among them."""
    z = default_symbols("z", d)
    A = [z[i] for i in range(d) if i % 2]
    n = len(A)
    s = tuple(sp.Rational(k % 7 + 1, 10) * sp.tanh(A[k] + A[(k + 1) % n] / 2) for k in range(d - n))
    t = tuple(A[k] / 3 + sp.Rational(1, 2) for k in range(d - n))
    return AffineCoupling(tuple(i % 2 for i in range(d)), s, t, inputs=z)


def test_coupling_components_share_one_group_and_match_numpy():
    d = 32
    layer = _layer(d)
    grouped = _GroupedColumns(layer.s, layer.inputs)
    assert len(grouped._groups) == 1  # w = 1/2 equals the 1/2 inside tanh: still the same form
    A = np.arange(1, d, 2)
    k = np.arange(d // 2)
    w = (k % 7 + 1) / 10
    Z = np.random.default_rng(3).normal(size=(32, d))
    hand = w * np.tanh(Z[:, A[k]] + Z[:, A[(k + 1) % len(A)]] / 2)
    assert np.all(np.abs(grouped(Z) - hand) <= 1e-14)
    assert np.all(np.abs(layer.numpy_log_det()(Z) - hand.sum(axis=1)) <= 1e-12)
    Y = layer.numpy_forward()(Z)
    assert np.all(np.abs(layer.numpy_inverse()(Y) - Z) <= 1e-12)
    # the symbolic log-det the user reads, at a point
    point = dict(zip(layer.inputs, Z[0]))
    assert abs(float(layer.log_det_jacobian.xreplace(point)) - hand[0].sum()) <= 1e-12


def test_a_component_free_of_z_is_broadcast_over_the_batch():
    z = default_symbols("z", 2)
    layer = AffineCoupling((1, 0), s=(sp.Rational(3, 4),), t=(z[0],), inputs=z)
    Z = np.array([[0.0, 1.0], [2.0, -1.0], [1.0, 0.5]])
    assert np.all(layer.numpy_log_det()(Z) == 0.75)
    assert np.all(np.abs(layer.numpy_forward()(Z)[:, 1] - (Z[:, 1] * np.exp(0.75) + Z[:, 0])) <= 1e-14)
