"""Adversarial problems for covar.transform, each checked against an independent simulation.

Every case derives Y = g(X) with covar and draws g(X) with numpy/scipy directly (never covar's
own sampler). A result must then

* integrate (continuous part, independent scipy quadrature) to 1 - sum(atoms),
* pass a KS test (>= 1e5 samples) and match atom frequencies (covar.numeric.checks),
* be 0 off Y.support, and hold every sample inside Y.support,
* for discrete laws: match the sample frequencies (chi-square) and sum to 1.

Known bugs are marked ``xfail(strict=True)`` so they flip when fixed.
"""
from __future__ import annotations

import math
import signal
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pytest
import sympy as sp
from scipy import integrate, stats

import covar
from covar.numeric.checks import check_against_samples

import reference

N = 100_000
x = sp.Symbol("x", real=True)
oo, pi, S = sp.oo, sp.pi, sp.S
R = sp.Interval(-oo, oo)
POS = sp.Interval(0, oo)
mu_r = sp.Symbol("mu", real=True)
a_p, b_p, s_p, c_p, k_p, lam_p = sp.symbols("a b sigma c k lam", positive=True)


# ------------------------------------------------------------------------------------------
# case description
# ------------------------------------------------------------------------------------------
@dataclass
class Case:
    id: str
    kind: str
    derive: Callable[[], Any]                   # -> covar.Density
    sample: Callable[[np.random.Generator, int], np.ndarray] | None  # samples of g(X)
    values: dict = field(default_factory=dict)
    support: Any = None                         # expected Y.support (sympy Set) when given
    atoms: dict | None = None                   # expected {point: mass} (numeric compare)
    closed_form: bool | None = None
    raises: type | None = None                  # expected CovarError subclass
    xfail: str | None = None
    limit: float = 30.0                         # seconds allowed for the derivation
    law: Any = None                             # X (Density / text / thunk) for the independent reference
    g_np: Callable[..., np.ndarray] | None = None  # g on numpy arrays, g_np(xs, **values)


CASES: list[Case] = []


def _xd(X):
    return X() if callable(X) else X


def add(id, kind, X, g, draw, g_np, values=None, xfail=None, **kw):
    """X: Density / text / thunk; draw(rng, n, **v) -> samples of X; g_np(xs, **v) -> g(xs)."""
    values = dict(values or {})

    def derive():
        Xd = _xd(X)
        if isinstance(Xd, str):
            Xd = covar.parse_density(Xd)
        return covar.transform(Xd, g)

    def sample(rng, n):
        return g_np(draw(rng, n, **values), **values)

    CASES.append(Case(id, kind, derive, sample, values, xfail=xfail, law=X, g_np=g_np, **kw))


def add_raw(id, kind, derive, sample, values=None, xfail=None, law=None, g_np=None, **kw):
    CASES.append(Case(id, kind, derive, sample, dict(values or {}), xfail=xfail, law=law, g_np=g_np, **kw))


def refuse(id, kind, thunk, exc=covar.CovarError, xfail=None):
    CASES.append(Case(id, kind, thunk, None, raises=exc, xfail=xfail))


def D(pdf, support, validate=True):
    return lambda: covar.Density(pdf, x, support, validate=validate)


def T(text):
    return lambda: covar.parse_density(text)


# samplers
nrm = lambda m=0.0, s=1.0: (lambda r, n, **v: r.normal(m, s, n))  # noqa: E731
uni = lambda lo, hi: (lambda r, n, **v: r.uniform(lo, hi, n))  # noqa: E731
expo = lambda rate=1.0: (lambda r, n, **v: r.exponential(1 / rate, n))  # noqa: E731
gam = lambda k, rate=1.0: (lambda r, n, **v: r.gamma(k, 1 / rate, n))  # noqa: E731
U01 = uni(0, 1)


# ------------------------------------------------------------------------------------------
# affine
# ------------------------------------------------------------------------------------------
add("std-normal-symbolic", "affine", lambda: covar.Density.from_stats(
    __import__("sympy.stats", fromlist=["Normal"]).Normal("X", mu_r, s_p)), (x - mu_r) / s_p,
    lambda r, n, **v: r.normal(v["mu"], v["sigma"], n), lambda t, **v: (t - v["mu"]) / v["sigma"],
    {"mu": -1.3, "sigma": 2.2}, support=R)
add("parse-normal-mu-sigma-standardise", "affine", T("Normal(mu, sigma)"), "(x - mu)/sigma",
    lambda r, n, **v: r.normal(v["mu"], v["sigma"], n), lambda t, **v: (t - v["mu"]) / v["sigma"],
    {"mu": 0.7, "sigma": 0.3}, support=R)
add("uniform-neg-scale", "affine", T("Uniform(0, 1)"), "-5*x + 2", U01, lambda t, **v: -5 * t + 2,
    support=sp.Interval(-3, 2))
add("gamma-neg-shift", "affine", T("Gamma(2, 3)"), "1 - x", gam(2, 3), lambda t, **v: 1 - t,
    support=sp.Interval(-oo, 1))
add("laplace-affine", "affine", T("Laplace(1, 2)"), "3*x - 4", lambda r, n, **v: r.laplace(1, 2, n),
    lambda t, **v: 3 * t - 4, support=R)
add("studentt-affine", "affine", T("StudentT(3)"), "x/2 + 1", lambda r, n, **v: r.standard_t(3, n),
    lambda t, **v: t / 2 + 1, support=R)
add("beta-affine", "affine", T("Beta(2, 5)"), "10*x - 3", lambda r, n, **v: r.beta(2, 5, n),
    lambda t, **v: 10 * t - 3, support=sp.Interval(-3, 7))
add("exp-symbolic-scale-pos", "affine", D(lam_p * sp.exp(-lam_p * x), POS), c_p * x,
    lambda r, n, **v: r.exponential(1 / v["lam"], n), lambda t, **v: v["c"] * t, {"lam": 1.5, "c": 0.4})
add("uniform-symbolic-ab", "affine", D(1 / (a_p + b_p), sp.Interval(-a_p, b_p)), 2 * x + 1,
    lambda r, n, **v: r.uniform(-v["a"], v["b"], n), lambda t, **v: 2 * t + 1, {"a": 1.2, "b": 0.5})
add("gumbel-neg", "affine", T("Gumbel(0, 1)"), "-x", lambda r, n, **v: r.gumbel(0, 1, n),
    lambda t, **v: -t, support=R)
add("cauchy-scale", "affine", T("Cauchy(0, 2)"), "x/2", lambda r, n, **v: 2 * r.standard_cauchy(n),
    lambda t, **v: t / 2, support=R)
add("pareto-shift", "affine", T("Pareto(1, 3)"), "x - 1", lambda r, n, **v: 1 + r.pareto(3, n),
    lambda t, **v: t - 1, support=POS)
add("rational-coeff", "affine", T("Normal(0, 1)"), "x/3 - 1/7", nrm(), lambda t, **v: t / 3 - 1 / 7, support=R)

# ------------------------------------------------------------------------------------------
# monotone
# ------------------------------------------------------------------------------------------
add("m2logU-chi2", "monotone", T("Uniform(0, 1)"), "-2*log(x)", U01, lambda t, **v: -2 * np.log(t),
    support=POS)
add("U-pow-1/3", "monotone", T("Uniform(0, 1)"), "x**(1/3)", U01, lambda t, **v: np.cbrt(t),
    support=sp.Interval(0, 1))
add("U-pow-symbolic-a", "monotone", D(S(1), sp.Interval(0, 1)), x ** (1 / a_p), U01,
    lambda t, **v: t ** (1 / v["a"]), {"a": 2.5})
add("U-pow-a-symbolic", "monotone", D(S(1), sp.Interval(0, 1)), x ** a_p, U01,
    lambda t, **v: t ** v["a"], {"a": 0.4})
add("recip-U", "monotone", T("Uniform(0, 1)"), "1/x", U01, lambda t, **v: 1 / t, support=sp.Interval(1, oo))
add("log1p-exp", "monotone", T("Exponential(1)"), "log(1 + x)", expo(), lambda t, **v: np.log1p(t), support=POS)
add("odds-U", "monotone", T("Uniform(0, 1)"), "x/(1 - x)", U01, lambda t, **v: t / (1 - t), support=POS)
add("odds-beta", "monotone", T("Beta(2, 3)"), "x/(1 - x)", lambda r, n, **v: r.beta(2, 3, n),
    lambda t, **v: t / (1 - t), support=POS)
add("sqrt-exp", "monotone", T("Exponential(2)"), "sqrt(x)", expo(2), lambda t, **v: np.sqrt(t), support=POS)
add("exp-neg-gamma", "monotone", T("Gamma(2, 1)"), "exp(-x)", gam(2), lambda t, **v: np.exp(-t),
    support=sp.Interval(0, 1))
add("boxcox-half", "monotone", T("Exponential(1)"), "2*(sqrt(x) - 1)", expo(), lambda t, **v: 2 * (np.sqrt(t) - 1),
    support=sp.Interval(-2, oo))
add("boxcox-lambda-sym", "monotone", D(sp.exp(-x), POS), (x**k_p - 1) / k_p, expo(),
    lambda t, **v: (t ** v["k"] - 1) / v["k"], {"k": 0.5})
add("boxcox-log", "monotone", T("LogNormal(0, 1)"), "log(x)", lambda r, n, **v: r.lognormal(0, 1, n),
    lambda t, **v: np.log(t), support=R)
add("logistic-of-normal-sym", "monotone", T("Normal(0, 2)"), "1/(1 + exp(-x))", nrm(0, 2),
    lambda t, **v: 1 / (1 + np.exp(-t)), support=sp.Interval(0, 1))
add("logit-beta", "monotone", T("Beta(2, 2)"), "log(x/(1-x))", lambda r, n, **v: r.beta(2, 2, n),
    lambda t, **v: np.log(t / (1 - t)), support=R)
add("arcsin-U", "monotone", T("Uniform(-1, 1)"), "asin(x)", uni(-1, 1), lambda t, **v: np.arcsin(t),
    support=sp.Interval(-pi / 2, pi / 2))
add("arccos-U", "monotone", T("Uniform(0, 1)"), "acos(x)", U01, lambda t, **v: np.arccos(t),
    support=sp.Interval(0, pi / 2))
add("atan-normal", "monotone", T("Normal(0, 1)"), "atan(x)", nrm(), lambda t, **v: np.arctan(t),
    support=sp.Interval(-pi / 2, pi / 2))
add("sin-monotone-piece", "monotone", T("Uniform(-1, 1)"), "sin(x)", uni(-1, 1), lambda t, **v: np.sin(t))
add("tan-small", "monotone", T("Uniform(0, 1)"), "tan(x)", U01, lambda t, **v: np.tan(t))
add("cosh-pos", "monotone", T("Exponential(1)"), "cosh(x)", expo(), lambda t, **v: np.cosh(t),
    support=sp.Interval(1, oo))
add("exp-rayleigh", "monotone", T("Rayleigh(1)"), "x**2", lambda r, n, **v: r.rayleigh(1, n),
    lambda t, **v: t**2, support=POS)
add("weibull-pow", "monotone", T("Weibull(2, 3)"), "x**3", lambda r, n, **v: 2 * r.weibull(3, n),
    lambda t, **v: t**3, support=POS)
add("pareto-recip", "monotone", T("Pareto(2, 3)"), "1/x", lambda r, n, **v: 2 * (1 + r.pareto(3, n)),
    lambda t, **v: 1 / t, support=sp.Interval(0, S.Half))
add("pareto-log", "monotone", T("Pareto(2, 3)"), "log(x/2)", lambda r, n, **v: 2 * (1 + r.pareto(3, n)),
    lambda t, **v: np.log(t / 2), support=POS)
add("lognormal-pow", "monotone", T("LogNormal(0, 1)"), "x**2", lambda r, n, **v: r.lognormal(0, 1, n),
    lambda t, **v: t**2, support=POS)
add("lognormal-recip", "monotone", T("LogNormal(1, 0.5)"), "1/x", lambda r, n, **v: r.lognormal(1, 0.5, n),
    lambda t, **v: 1 / t, support=POS)
add("gumbel-exp-neg", "monotone", T("Gumbel(0, 1)"), "exp(-x)", lambda r, n, **v: r.gumbel(0, 1, n),
    lambda t, **v: np.exp(-t), support=POS)
add("expneg-gamma-symbolic", "monotone", D(x ** (a_p - 1) * sp.exp(-x) / sp.gamma(a_p), POS), sp.exp(-x),
    lambda r, n, **v: r.gamma(v["a"], 1, n), lambda t, **v: np.exp(-t), {"a": 2.5})
add("cube-uniform", "monotone", T("Uniform(-1, 2)"), "x**3", uni(-1, 2), lambda t, **v: t**3,
    support=sp.Interval(-1, 8))
add("x3-plus-x", "monotone", T("Normal(0, 1)"), "x**3 + x", nrm(), lambda t, **v: t**3 + t, support=R)
add("sinh-laplace", "monotone", T("Laplace(0, 1)"), "sinh(x)", lambda r, n, **v: r.laplace(0, 1, n),
    lambda t, **v: np.sinh(t), support=R)
add("asinh-cauchy", "monotone", T("Cauchy(0, 1)"), "asinh(x)", lambda r, n, **v: r.standard_cauchy(n),
    lambda t, **v: np.arcsinh(t), support=R)
add("exp-of-exp", "monotone", T("Exponential(1)"), "exp(x)", expo(), lambda t, **v: np.exp(t),
    support=sp.Interval(1, oo))
add("log-uniform-ab", "monotone", T("Uniform(1, 3)"), "log(x)", uni(1, 3), lambda t, **v: np.log(t),
    support=sp.Interval(0, sp.log(3)))
add("sqrt-uniform-shift", "monotone", T("Uniform(2, 6)"), "sqrt(x - 2)", uni(2, 6), lambda t, **v: np.sqrt(t - 2),
    support=sp.Interval(0, 2))
add("neg-log-beta", "monotone", T("Beta(3, 1)"), "-log(x)", lambda r, n, **v: r.beta(3, 1, n),
    lambda t, **v: -np.log(t), support=POS)
add("exp-studentt", "monotone", T("StudentT(5)"), "atan(x)", lambda r, n, **v: r.standard_t(5, n),
    lambda t, **v: np.arctan(t))
add("chi2-sqrt", "monotone", T("ChiSquared(3)"), "sqrt(x)", lambda r, n, **v: r.chisquare(3, n),
    lambda t, **v: np.sqrt(t), support=POS)
add("tanh-logistic", "monotone", T("Logistic(0, 1)"), "tanh(x/2)", lambda r, n, **v: r.logistic(0, 1, n),
    lambda t, **v: np.tanh(t / 2), support=sp.Interval(-1, 1))
add("erf-normal", "monotone", T("Normal(0, 1)"), "erf(x/sqrt(2))", nrm(),
    lambda t, **v: __import__("scipy.special", fromlist=["erf"]).erf(t / np.sqrt(2)))
add("lambertw-like-pos", "monotone", T("Exponential(1)"), "x*exp(x)", expo(), lambda t, **v: t * np.exp(t),
    support=POS)
add("x-log-x-pos", "monotone", T("Uniform(1, 2)"), "x*log(x)", uni(1, 2), lambda t, **v: t * np.log(t))
add("rational-mobius", "monotone", T("Uniform(0, 1)"), "(2*x + 1)/(x + 3)", U01,
    lambda t, **v: (2 * t + 1) / (t + 3), support=sp.Interval(sp.Rational(1, 3), sp.Rational(3, 4)))
add("gamma-pow-symbolic-k", "monotone", D(sp.exp(-x), POS), x**k_p, expo(),
    lambda t, **v: t ** v["k"], {"k": 1.8})
add("normal-exp-symbolic-scale", "monotone", D(sp.exp(-x**2 / 2) / sp.sqrt(2 * pi), R), sp.exp(s_p * x), nrm(),
    lambda t, **v: np.exp(v["sigma"] * t), {"sigma": 0.6})
add("exp-neg-x2-halfnormal", "monotone", T("HalfNormal(1)"), "exp(-x**2)", lambda r, n, **v: np.abs(r.normal(0, 1, n)),
    lambda t, **v: np.exp(-t**2), support=sp.Interval(0, 1))

# ------------------------------------------------------------------------------------------
# many-to-one
# ------------------------------------------------------------------------------------------
add("square-uniform-sym-ab", "many-to-one", D(1 / (a_p + b_p), sp.Interval(-a_p, b_p)), x**2,
    lambda r, n, **v: r.uniform(-v["a"], v["b"], n), lambda t, **v: t**2, {"a": 1.0, "b": 2.0})
add("square-uniform-sym-ab-swapped", "many-to-one", D(1 / (a_p + b_p), sp.Interval(-a_p, b_p)), x**2,
    lambda r, n, **v: r.uniform(-v["a"], v["b"], n), lambda t, **v: t**2, {"a": 2.0, "b": 0.5})
add("abs-minus-c", "many-to-one", T("Normal(0, 1)"), "Abs(x - 1/2)", nrm(), lambda t, **v: np.abs(t - 0.5),
    support=POS)
add("abs-minus-c-uniform", "many-to-one", T("Uniform(0, 4)"), "Abs(x - 1)", uni(0, 4), lambda t, **v: np.abs(t - 1),
    support=sp.Interval(0, 3))
add("abs-symbolic-c", "many-to-one", D(sp.exp(-x**2 / 2) / sp.sqrt(2 * pi), R), sp.Abs(x - c_p), nrm(),
    lambda t, **v: np.abs(t - v["c"]), {"c": 0.8})
add("sin-uniform-0-pi", "many-to-one", T("Uniform(0, pi)"), "sin(x)", uni(0, np.pi), lambda t, **v: np.sin(t),
    support=sp.Interval(0, 1))
add("cos-uniform-2pi", "many-to-one", T("Uniform(0, 2*pi)"), "cos(x)", uni(0, 2 * np.pi), lambda t, **v: np.cos(t),
    support=sp.Interval(-1, 1))
add("sin-uniform-0-3", "many-to-one", T("Uniform(0, 3)"), "sin(x)", uni(0, 3), lambda t, **v: np.sin(t))
add("cos-uniform-4pi", "many-to-one", T("Uniform(0, 4*pi)"), "cos(x)", uni(0, 4 * np.pi), lambda t, **v: np.cos(t))
add("sin-normal", "many-to-one", T("Uniform(-5, 5)"), "sin(x)", uni(-5, 5), lambda t, **v: np.sin(t))
add("cosh-normal", "many-to-one", T("Normal(0, 1)"), "cosh(x)", nrm(), lambda t, **v: np.cosh(t),
    support=sp.Interval(1, oo))
add("cubic-x3-3x-normal", "many-to-one", T("Normal(0, 1)"), "x**3 - 3*x", nrm(), lambda t, **v: t**3 - 3 * t,
    support=R)
add("cubic-x3-3x-uniform", "many-to-one", T("Uniform(-2, 2)"), "x**3 - 3*x", uni(-2, 2), lambda t, **v: t**3 - 3 * t,
    support=sp.Interval(-2, 2))
add("recip-pole-uniform", "many-to-one", T("Uniform(0, 2)"), "1/(x - 1)", uni(0, 2), lambda t, **v: 1 / (t - 1),
    support=sp.Union(sp.Interval(-oo, -1), sp.Interval(1, oo)))
add("recip-normal", "many-to-one", T("Normal(0, 1)"), "1/x", nrm(), lambda t, **v: 1 / t, support=R)
add("recip-pole-normal-shift", "many-to-one", T("Normal(0, 1)"), "1/(x - 1)", nrm(), lambda t, **v: 1 / (t - 1))
add("exp-neg-x2-normal", "many-to-one", T("Normal(1, 1)"), "exp(-x**2)", nrm(1, 1), lambda t, **v: np.exp(-t**2),
    support=sp.Interval(0, 1))
add("square-shift-exp", "many-to-one", T("Exponential(1)"), "(x - 1)**2", expo(), lambda t, **v: (t - 1)**2,
    support=POS)
add("square-studentt", "many-to-one", T("StudentT(4)"), "x**2", lambda r, n, **v: r.standard_t(4, n),
    lambda t, **v: t**2, support=POS)
add("abs-cauchy", "many-to-one", T("Cauchy(0, 1)"), "Abs(x)", lambda r, n, **v: r.standard_cauchy(n),
    lambda t, **v: np.abs(t), support=POS)
add("square-laplace-shift", "many-to-one", T("Laplace(1, 1)"), "x**2", lambda r, n, **v: r.laplace(1, 1, n),
    lambda t, **v: t**2, support=POS)
add("x-plus-1/x", "many-to-one", T("Exponential(1)"), "x + 1/x", expo(), lambda t, **v: t + 1 / t,
    support=sp.Interval(2, oo))
add("quartic-double-well", "many-to-one", T("Normal(0, 1)"), "x**4 - 2*x**2", nrm(), lambda t, **v: t**4 - 2 * t**2,
    support=sp.Interval(-1, oo))
add("tan-0-2pi", "many-to-one", T("Uniform(0, 2*pi)"), "tan(x)", uni(0, 2 * np.pi), lambda t, **v: np.tan(t),
    support=R)
add("sin2-normal-wide", "many-to-one", T("Uniform(0, 5)"), "sin(x)**2", uni(0, 5), lambda t, **v: np.sin(t)**2)
add("gauss-bump-symbolic", "many-to-one", D(sp.exp(-x**2 / (2 * s_p**2)) / (s_p * sp.sqrt(2 * pi)), R),
    sp.exp(-x**2), lambda r, n, **v: r.normal(0, v["sigma"], n), lambda t, **v: np.exp(-t**2), {"sigma": 0.7})
add("square-symbolic-normal", "many-to-one", D(sp.exp(-x**2 / (2 * s_p**2)) / (s_p * sp.sqrt(2 * pi)), R),
    x**2, lambda r, n, **v: r.normal(0, v["sigma"], n), lambda t, **v: t**2, {"sigma": 1.7})
add("square-shifted-symbolic", "many-to-one", T("Normal(mu, 1)"), "x**2",
    lambda r, n, **v: r.normal(v["mu"], 1, n), lambda t, **v: t**2, {"mu": 0.9})
add("x-exp-neg-x", "many-to-one", T("Exponential(1)"), "x*exp(-x)", expo(), lambda t, **v: t * np.exp(-t),
    support=sp.Interval(0, sp.exp(-1)))
add("rational-bump", "many-to-one", T("Cauchy(0, 1)"), "1/(1 + x**2)", lambda r, n, **v: r.standard_cauchy(n),
    lambda t, **v: 1 / (1 + t**2), support=sp.Interval(0, 1))
add("x-over-1-plus-x2", "many-to-one", T("Normal(0, 1)"), "x/(1 + x**2)", nrm(), lambda t, **v: t / (1 + t**2),
    support=sp.Interval(-S.Half, S.Half))
add("abs-uniform-sym", "many-to-one", T("Uniform(-1, 1)"), "Abs(x)", uni(-1, 1), lambda t, **v: np.abs(t),
    support=sp.Interval(0, 1))
add("x2-plus-x", "many-to-one", T("Uniform(-2, 1)"), "x**2 + x", uni(-2, 1), lambda t, **v: t**2 + t,
    support=sp.Interval(-sp.Rational(1, 4), 2))
add("cos-normal", "many-to-one", T("Normal(0, 1)"), "cos(x)", nrm(), lambda t, **v: np.cos(t),
    support=sp.Interval(-1, 1))
add("abs-sin", "many-to-one", T("Uniform(-2, 2)"), "Abs(sin(x))", uni(-2, 2), lambda t, **v: np.abs(np.sin(t)))

# ------------------------------------------------------------------------------------------
# mixed: atoms
# ------------------------------------------------------------------------------------------
add("max-normal-c", "mixed-atom", T("Normal(0, 1)"), "Max(x, 1)", nrm(), lambda t, **v: np.maximum(t, 1),
    atoms={1: stats.norm.cdf(1)}, support=sp.Interval(1, oo))
add("min-normal-c", "mixed-atom", T("Normal(0, 1)"), "Min(x, -1/2)", nrm(), lambda t, **v: np.minimum(t, -0.5),
    atoms={-0.5: stats.norm.sf(-0.5)})
add("max-uniform-c", "mixed-atom", T("Uniform(0, 1)"), "Max(x, 1/4)", U01, lambda t, **v: np.maximum(t, 0.25),
    atoms={0.25: 0.25}, support=sp.Interval(S(1) / 4, 1))
add("min-exp-symbolic", "mixed-atom", D(sp.exp(-x), POS), sp.Min(x, c_p), expo(),
    lambda t, **v: np.minimum(t, v["c"]), {"c": 0.7}, atoms={0.7: np.exp(-0.7)})
add("relu-shift-normal", "mixed-atom", T("Normal(0, 1)"), "Max(0, x - 1)", nrm(), lambda t, **v: np.maximum(0, t - 1),
    atoms={0: stats.norm.cdf(1)})
add("relu-uniform", "mixed-atom", T("Uniform(-1, 2)"), "Max(0, x)", uni(-1, 2), lambda t, **v: np.maximum(0, t),
    atoms={0: 1 / 3}, support=sp.Interval(0, 2))
add("leaky-relu", "mixed-atom", T("Normal(0, 1)"), "Max(x, x/10)", nrm(), lambda t, **v: np.maximum(t, t / 10),
    atoms={}, support=R)
add("clip-uniform", "mixed-atom", T("Uniform(0, 1)"), "Min(Max(x, 1/4), 3/4)", U01,
    lambda t, **v: np.clip(t, 0.25, 0.75), atoms={0.25: 0.25, 0.75: 0.25})
add("clip-cauchy", "mixed-atom", T("Cauchy(0, 1)"), "Max(Min(x, 1), -1)", lambda r, n, **v: r.standard_cauchy(n),
    lambda t, **v: np.clip(t, -1, 1), atoms={-1: 0.25, 1: 0.25})
add("floor-uniform-shift", "mixed-atom", T("Uniform(-1/2, 5/2)"), "floor(x)", uni(-0.5, 2.5),
    lambda t, **v: np.floor(t), atoms={-1: 1 / 6, 0: 1 / 3, 1: 1 / 3, 2: 1 / 6})
add("ceiling-uniform", "mixed-atom", T("Uniform(0, 2)"), "ceiling(x)", uni(0, 2), lambda t, **v: np.ceil(t),
    atoms={1: 0.5, 2: 0.5})
add("floor-exp-truncated", "mixed-atom", T("Uniform(0, 5/2)"), "floor(2*x)", uni(0, 2.5),
    lambda t, **v: np.floor(2 * t), atoms={0: .2, 1: .2, 2: .2, 3: .2, 4: .2})
add("relu-squared-shift", "mixed-atom", T("Normal(0, 1)"), "Max(0, x)**2 + 1", nrm(),
    lambda t, **v: np.maximum(0, t)**2 + 1, atoms={1: 0.5})
add("abs-relu", "mixed-atom", T("Normal(0, 1)"), "Abs(Max(x, -1))", nrm(), lambda t, **v: np.abs(np.maximum(t, -1)),
    atoms={1: stats.norm.cdf(-1)})
add("min-two-maps", "mixed-atom", T("Uniform(0, 2)"), "Min(x, 2 - x)", uni(0, 2), lambda t, **v: np.minimum(t, 2 - t),
    atoms={}, support=sp.Interval(0, 1))
add("max-x-x2", "mixed-atom", T("Uniform(-1, 2)"), "Max(x, x**2)", uni(-1, 2), lambda t, **v: np.maximum(t, t**2),
    atoms={})
add("heaviside-like-sign", "mixed-atom", T("Normal(0, 1)"), "sign(x)", nrm(), lambda t, **v: np.sign(t),
    atoms={-1: 0.5, 1: 0.5})
add("constant-piece-piecewise", "mixed-atom", T("Normal(0, 1)"), "Piecewise((0, x < 0), (x, True))", nrm(),
    lambda t, **v: np.maximum(t, 0), atoms={0: 0.5})
add("clip-exp-symbolic-both", "mixed-atom", D(lam_p * sp.exp(-lam_p * x), POS), sp.Min(sp.Max(x, a_p), a_p + 1),
    lambda r, n, **v: r.exponential(1 / v["lam"], n), lambda t, **v: np.clip(t, v["a"], v["a"] + 1),
    {"lam": 0.8, "a": 0.5}, atoms={0.5: 1 - np.exp(-0.4), 1.5: np.exp(-1.2)})
add("max-exp-outside", "mixed-atom", T("Exponential(1)"), "Max(x, -1)", expo(), lambda t, **v: np.maximum(t, -1),
    atoms={}, support=POS)

# ------------------------------------------------------------------------------------------
# no closed-form inverse
# ------------------------------------------------------------------------------------------
add("x-plus-exp-x-uniform", "no-closed-inverse", T("Uniform(0, 1)"), "x + exp(x)", U01,
    lambda t, **v: t + np.exp(t))
add("x-plus-atan", "no-closed-inverse", T("Normal(0, 1)"), "x + atan(x)", nrm(), lambda t, **v: t + np.arctan(t))
add("x-plus-tanh-exp", "no-closed-inverse", T("Exponential(1)"), "x + tanh(x)", expo(), lambda t, **v: t + np.tanh(t))
add("quintic-uniform", "no-closed-inverse", T("Uniform(-1, 1)"), "x**5 + 2*x", uni(-1, 1), lambda t, **v: t**5 + 2 * t)
add("x-cos-wiggle", "no-closed-inverse", T("Uniform(0, 2)"), "x + 2*cos(x)", uni(0, 2), lambda t, **v: t + 2 * np.cos(t))
add("x-log-x-uniform", "no-closed-inverse", T("Uniform(0, 1)"), "x*log(x)", U01, lambda t, **v: t * np.log(t))
add("x-plus-sin-laplace", "no-closed-inverse", T("Laplace(0, 1)"), "x + sin(x)/2", lambda r, n, **v: r.laplace(0, 1, n),
    lambda t, **v: t + np.sin(t) / 2)
add("x-plus-x3-sinh", "no-closed-inverse", T("Normal(0, 1)"), "sinh(x) + x", nrm(), lambda t, **v: np.sinh(t) + t)

# ------------------------------------------------------------------------------------------
# compositions
# ------------------------------------------------------------------------------------------
def comp(id, X, g1, g2, draw, f_np, values=None, xfail=None, **kw):
    def derive():
        Xd = _xd(X)
        if isinstance(Xd, str):
            Xd = covar.parse_density(Xd)
        return covar.transform(covar.transform(Xd, g1), g2)

    add_raw(id, "composition", derive, lambda rng, n: f_np(draw(rng, n, **(values or {})), **(values or {})),
            values, xfail=xfail, law=X, g_np=f_np, **kw)


comp("comp-exp-then-log", "Normal(0, 1)", "exp(x)", "log(y)", nrm(), lambda t, **v: t, support=R)
comp("comp-square-then-sqrt", "Normal(0, 1)", "x**2", "sqrt(y)", nrm(), lambda t, **v: np.abs(t), support=POS)
comp("comp-neglog-then-scale", "Uniform(0, 1)", "-log(x)", "2*y", U01, lambda t, **v: -2 * np.log(t), support=POS)
comp("comp-relu-then-square", "Normal(0, 1)", "Max(0, x)", "y**2", nrm(), lambda t, **v: np.maximum(0, t)**2,
     atoms={0: 0.5})
comp("comp-relu-then-exp", "Normal(0, 1)", "Max(0, x)", "exp(-y)", nrm(), lambda t, **v: np.exp(-np.maximum(0, t)),
     atoms={1: 0.5})
comp("comp-square-then-shift", "Uniform(-1, 2)", "x**2", "y - 1", uni(-1, 2), lambda t, **v: t**2 - 1,
     support=sp.Interval(-1, 3))
comp("comp-sin-then-square", "Uniform(0, 2*pi)", "sin(x)", "y**2", uni(0, 2 * np.pi), lambda t, **v: np.sin(t)**2,
     support=sp.Interval(0, 1))
comp("comp-abs-then-log", "Laplace(0, 1)", "Abs(x)", "log(y)", lambda r, n, **v: r.laplace(0, 1, n),
     lambda t, **v: np.log(np.abs(t)), support=R)
comp("comp-cube-then-recip", "Uniform(1, 2)", "x**3", "1/y", uni(1, 2), lambda t, **v: 1 / t**3)
comp("comp-noninv-then-affine", "Normal(0, 1)", "x + sin(x)/2", "2*y + 1", nrm(),
     lambda t, **v: 2 * (t + np.sin(t) / 2) + 1, closed_form=False)
comp("comp-clip-then-affine", "Normal(0, 1)", "Min(Max(x, -1), 1)", "3*y", nrm(),
     lambda t, **v: 3 * np.clip(t, -1, 1), atoms={-3: stats.norm.cdf(-1), 3: stats.norm.cdf(-1)})
comp("comp-exp-then-square-symbolic", lambda: covar.Density(sp.exp(-(x - mu_r)**2 / 2) / sp.sqrt(2 * pi), x, R),
     sp.exp(x), sp.Symbol("y", real=True)**2, lambda r, n, **v: r.normal(v["mu"], 1, n),
     lambda t, **v: np.exp(2 * t), {"mu": 0.3}, support=POS)
comp("comp-floor-then-square", "Uniform(-2, 2)", "floor(x)", "y**2", uni(-2, 2), lambda t, **v: np.floor(t)**2,
     atoms={0: .25, 1: .5, 4: .25})
add("composite-one-go-logsq", "composition", T("Normal(0, 1)"), "log(1 + x**2)", nrm(), lambda t, **v: np.log1p(t**2),
    support=POS)
add("composite-one-go-exp-abs", "composition", T("Normal(0, 1)"), "exp(-Abs(x))", nrm(),
    lambda t, **v: np.exp(-np.abs(t)), support=sp.Interval(0, 1))
add("composite-sqrt-of-log", "composition", T("Uniform(0, 1)"), "sqrt(-2*log(x))", U01,
    lambda t, **v: np.sqrt(-2 * np.log(t)), support=POS)
add("composite-sin-of-square", "composition", T("Uniform(0, 2)"), "sin(x**2)", uni(0, 2), lambda t, **v: np.sin(t**2))
add("composite-log-of-logistic", "composition", T("Normal(0, 1)"), "log(1 + exp(x))", nrm(),
    lambda t, **v: np.logaddexp(0, t), support=POS)
add("composite-atan-of-square", "composition", T("Cauchy(0, 1)"), "atan(x**2)", lambda r, n, **v: r.standard_cauchy(n),
    lambda t, **v: np.arctan(t**2), support=sp.Interval(0, pi / 2))


# ------------------------------------------------------------------------------------------
# discrete
# ------------------------------------------------------------------------------------------
def dadd(id, X, g, draw, g_np, values=None, xfail=None, **kw):
    add(id, "discrete", X, g, draw, g_np, values, xfail=xfail, **kw)


pois = lambda lam: (lambda r, n, **v: r.poisson(lam, n))  # noqa: E731
binom = lambda nn, p: (lambda r, n, **v: r.binomial(nn, p, n))  # noqa: E731
geom = lambda p: (lambda r, n, **v: r.geometric(p, n))  # noqa: E731
lpois = lambda r, n, **v: r.poisson(v["lam"], n)  # noqa: E731
lgeom = lambda r, n, **v: r.geometric(v["p"], n)  # noqa: E731
dunif = lambda a, b: (lambda r, n, **v: r.integers(a, b, n, endpoint=True))  # noqa: E731

dadd("pois-2x+1", T("Poisson(lam)"), "2*x + 1", lpois, lambda t, **v: 2 * t + 1, {"lam": 3.0})
dadd("pois-square", T("Poisson(lam)"), "x**2", lpois, lambda t, **v: t**2, {"lam": 2.0})
dadd("pois-shift-square", T("Poisson(lam)"), "(x - 2)**2", lpois, lambda t, **v: (t - 2)**2, {"lam": 2.0})
dadd("pois-min-3", T("Poisson(lam)"), "Min(x, 3)", lpois, lambda t, **v: np.minimum(t, 3), {"lam": 2.5})
dadd("pois-max-2", T("Poisson(lam)"), "Max(x, 2)", lpois, lambda t, **v: np.maximum(t, 2), {"lam": 1.0})
dadd("pois-neg", T("Poisson(lam)"), "-x", lpois, lambda t, **v: -t, {"lam": 4.0})
dadd("pois-abs-shift", T("Poisson(lam)"), "Abs(x - 4)", lpois, lambda t, **v: np.abs(t - 4), {"lam": 4.0})
dadd("pois-symbolic-lam", T("Poisson(lam)"), "3*x", lambda r, n, **v: r.poisson(v["lam"], n),
     lambda t, **v: 3 * t, {"lam": 1.7})
dadd("binom-square", T("Binomial(5, 1/2)"), "(x - 2)**2", binom(5, .5), lambda t, **v: (t - 2)**2)
dadd("binom-n-minus-x", T("Binomial(6, 1/3)"), "6 - x", binom(6, 1 / 3), lambda t, **v: 6 - t)
dadd("binom-min", T("Binomial(10, 3/10)"), "Min(x, 4)", binom(10, .3), lambda t, **v: np.minimum(t, 4))
dadd("binom-symbolic-p", T("Binomial(4, p)"), "2*x", lambda r, n, **v: r.binomial(4, v["p"], n),
     lambda t, **v: 2 * t, {"p": 0.35})
dadd("geom-shift", T("Geometric(p)"), "x - 1", lgeom, lambda t, **v: t - 1, {"p": 1 / 3})
dadd("geom-square", T("Geometric(p)"), "x**2", lgeom, lambda t, **v: t**2, {"p": 0.5})
dadd("geom-min", T("Geometric(p)"), "Min(x, 5)", lgeom, lambda t, **v: np.minimum(t, 5), {"p": 0.25})
dadd("geom-mirror-square", T("Geometric(p)"), "(x - 3)**2", lgeom, lambda t, **v: (t - 3)**2, {"p": 1 / 3})
dadd("die-square", T("DiscreteUniform(1, 6)"), "x**2", dunif(1, 6), lambda t, **v: t**2)
dadd("die-shift-square", T("DiscreteUniform(1, 6)"), "(x - 3)**2", dunif(1, 6), lambda t, **v: (t - 3)**2)
dadd("die-abs", T("DiscreteUniform(1, 6)"), "Abs(x - 7/2)", dunif(1, 6), lambda t, **v: np.abs(t - 3.5))
dadd("die-floor-half", T("DiscreteUniform(1, 6)"), "floor(x/2)", dunif(1, 6), lambda t, **v: np.floor(t / 2))
dadd("die-sin", T("DiscreteUniform(1, 6)"), "x*(7 - x)", dunif(1, 6), lambda t, **v: t * (7 - t))
dadd("die-sym-neg", T("DiscreteUniform(-3, 3)"), "x**2", dunif(-3, 3), lambda t, **v: t**2)
dadd("pois-exp", T("Poisson(lam)"), "2**x", lpois, lambda t, **v: 2.0**t, {"lam": 2.0})
dadd("pois-recip", T("Poisson(lam)"), "1/(x + 1)", lpois, lambda t, **v: 1 / (t + 1), {"lam": 2.0})
dadd("pois-sqrt", T("Poisson(lam)"), "sqrt(x)", lpois, lambda t, **v: np.sqrt(t), {"lam": 3.0})
dadd("pois-quadratic-wiggle", T("Poisson(lam)"), "x**2 - 6*x", lpois, lambda t, **v: t**2 - 6 * t, {"lam": 5.0})
add_raw("comp-discrete-twice", "discrete",
       
        lambda: covar.transform(covar.transform(covar.parse_density("Poisson(lam)"), "x - 2"), "y**2"),
        lambda rng, n: (rng.poisson(2, n) - 2.0)**2, {"lam": 2.0})
add_raw("stats-die", "discrete",
        lambda: covar.transform(covar.Density.from_stats(__import__("sympy.stats", fromlist=["Die"]).Die("D", 6)), x**2),
        lambda rng, n: rng.integers(1, 6, n, endpoint=True).astype(float)**2)
add_raw("stats-poisson-square", "discrete",
       
        lambda: covar.transform(covar.Density.from_stats(__import__("sympy.stats", fromlist=["Poisson"]).Poisson("P", 3)),
                                (x - 3)**2),
        lambda rng, n: (rng.poisson(3, n) - 3.0)**2)
add_raw("stats-binomial-affine", "discrete",
        lambda: covar.transform(covar.Density.from_stats(__import__("sympy.stats", fromlist=["Binomial"]).Binomial(
            "B", 8, sp.Rational(1, 4))), 8 - 2 * x),
        lambda rng, n: 8 - 2.0 * rng.binomial(8, .25, n))


# ------------------------------------------------------------------------------------------
# inputs: parsing, parameters, refusals
# ------------------------------------------------------------------------------------------
refuse("unsafe-import", "bad-input", lambda: covar.parse_density("__import__('os').system('true')"), covar.ParseError)
refuse("unsafe-import-map", "bad-input", lambda: covar.transform(covar.parse_density("Normal(0,1)"),
                                                                 "__import__('os').getcwd()"), covar.ParseError)
refuse("unsafe-dunder-attr", "bad-input", lambda: covar.parse_density("x.__class__"), covar.ParseError)
refuse("unsafe-lambda", "bad-input", lambda: covar.transform(covar.parse_density("Normal(0,1)"), "(lambda: 1)()"),
       covar.ParseError)
refuse("unsafe-huge-power", "bad-input", lambda: covar.parse_density("9**9**9**9"), covar.CovarError)
refuse("parse-garbage", "bad-input", lambda: covar.parse_density("Normal(0,"), covar.ParseError)
refuse("parse-unknown-family", "bad-input", lambda: covar.parse_density("Nromal(0, 1)"), covar.ParseError)
refuse("parse-wrong-arity", "bad-input", lambda: covar.parse_density("Normal(0)"), covar.ParseError)
refuse("parse-bad-map", "bad-input", lambda: covar.transform(covar.parse_density("Normal(0,1)"), "x +* 2"),
       covar.ParseError)
refuse("parse-empty-map", "bad-input", lambda: covar.transform(covar.parse_density("Normal(0,1)"), ""),
       covar.CovarError)
refuse("invalid-negative", "bad-input", lambda: covar.Density(x - S.Half, x, sp.Interval(0, 1)), covar.InvalidDensity)
refuse("invalid-mass-2", "bad-input", lambda: covar.Density(S(2), x, sp.Interval(0, 1)), covar.InvalidDensity)
refuse("invalid-text-mass", "bad-input", lambda: covar.parse_density("exp(-x) on [0, 2]"), covar.InvalidDensity)
refuse("invalid-normal-sigma-negative", "bad-input", lambda: covar.parse_density("Normal(0, -1)"), covar.CovarError)
refuse("invalid-uniform-reversed", "bad-input", lambda: covar.parse_density("Uniform(2, 1)"), covar.CovarError)
refuse("invalid-nonintegrable", "bad-input", lambda: covar.Density(1 / x, x, sp.Interval(1, oo)), covar.InvalidDensity)
refuse("invalid-pmf-sum", "bad-input", lambda: covar.parse_density("1/2 on {0, 1, 2}"), covar.InvalidDensity)
# an undeclared sign splits into the cases c < 0, c = 0, c > 0 (issue 11); checked at c = -1.5
add("undeclared-c-scale", "params", T("Normal(0, 1)"), "c*x", nrm(), lambda t, **v: v["c"] * t, {"c": -1.5})
refuse("map-without-x", "params", lambda: covar.transform(covar.parse_density("Normal(0, 1)"), "t**2"),
       covar.CovarError)
add("constant-map-continuous", "params", T("Normal(0, 1)"), "3", nrm(), lambda t, **v: 0 * t + 3, atoms={3: 1})
refuse("transform-non-density", "params", lambda: covar.transform(42, "x"), covar.CovarError)
add("declared-c-positive", "params", T("Normal(0, 1)"), c_p * x, nrm(), lambda t, **v: v["c"] * t, {"c": 2.5},
    support=R)
add("declared-c-negative", "params", T("Normal(0, 1)"), -c_p * x + 1, nrm(), lambda t, **v: 1 - v["c"] * t,
    {"c": 0.5}, support=R)
add("declared-c-negative-symbol", "params", T("Exponential(1)"), sp.Symbol("m", negative=True) * x, expo(),
    lambda t, **v: v["m"] * t, {"m": -2.0}, support=sp.Interval(-oo, 0))
add("parse-assume-text", "params", lambda: covar.parse_density("Gamma(k, 1)", assume="k>0"), "log(x)",
    lambda r, n, **v: r.gamma(v["k"], 1, n), lambda t, **v: np.log(t), {"k": 3.0}, support=R)
add("parse-exponential-rate-param", "params", T("Exponential(lam)"), "lam*x",
    lambda r, n, **v: r.exponential(1 / v["lam"], n), lambda t, **v: v["lam"] * t, {"lam": 3.0}, support=POS)
add("raw-text-density", "params", T("x*exp(-x) on [0, oo)"), "sqrt(x)", gam(2), lambda t, **v: np.sqrt(t),
    support=POS)
add("raw-text-triangle", "params", T("2*x on [0, 1]"), "1 - x", lambda r, n, **v: np.sqrt(r.uniform(0, 1, n)),
    lambda t, **v: 1 - t, support=sp.Interval(0, 1))
add("raw-text-laplace-abs", "params", T("exp(-Abs(x))/2"), "x**2", lambda r, n, **v: r.laplace(0, 1, n),
    lambda t, **v: t**2, support=POS)
add("raw-piecewise-triangle", "params", D(sp.Piecewise((1 + x, x < 0), (1 - x, True)), sp.Interval(-1, 1)),
    x**2, lambda r, n, **v: r.triangular(-1, 0, 1, n), lambda t, **v: t**2, support=sp.Interval(0, 1))
add("raw-piecewise-triangle-exp", "params", D(sp.Piecewise((1 + x, x < 0), (1 - x, True)), sp.Interval(-1, 1)),
    sp.exp(x), lambda r, n, **v: r.triangular(-1, 0, 1, n), lambda t, **v: np.exp(t),
    support=sp.Interval(sp.exp(-1), sp.E))


add("tan-uniform-0-3", "many-to-one", T("Uniform(0, 3)"), "tan(x)", uni(0, 3), lambda t, **v: np.tan(t))
add("tan-uniform-sym-2", "many-to-one", T("Uniform(-2, 2)"), "tan(x)", uni(-2, 2), lambda t, **v: np.tan(t))
add("b-plus-d-square", "many-to-one", D(1 / (2 * a_p + k_p), sp.Interval(-a_p, a_p + k_p)), x**2,
    lambda r, n, **v: r.uniform(-v["a"], v["a"] + v["k"], n), lambda t, **v: t**2, {"a": 1.0, "k": 0.7})
refuse("parse-poisson-3-fast", "discrete", lambda: covar.transform(covar.parse_density("Poisson(3)"), "2*x + 1"),
       type(None))
refuse("parse-geometric-half-fast", "discrete", lambda: covar.transform(covar.parse_density("Geometric(1/2)"), "x**2"),
       type(None))
dadd("pois-float-rate", T("Poisson(2.5)"), "Min(x, 3)", pois(2.5), lambda t, **v: np.minimum(t, 3))

add("deadzone", "mixed-atom", T("Normal(0, 1)"), "Piecewise((0, Abs(x) < 1), (x, True))", nrm(),
    lambda t, **v: np.where(np.abs(t) < 1, 0, t), atoms={0: math.erf(1 / math.sqrt(2))})
add("soft-threshold", "mixed-atom", T("Normal(0, 1)"), "sign(x)*Max(Abs(x) - 1, 0)", nrm(),
    lambda t, **v: np.sign(t) * np.maximum(np.abs(t) - 1, 0), atoms={0: math.erf(1 / math.sqrt(2))}, support=R)
add("clip-plus-x", "mixed-atom", T("Uniform(-2, 2)"), "Max(Min(x, 1), -1) + x", uni(-2, 2),
    lambda t, **v: np.clip(t, -1, 1) + t, atoms={}, support=sp.Interval(-3, 3))
add("x-plus-floor", "mixed-atom", T("Uniform(-2, 2)"), "x + floor(x)", uni(-2, 2), lambda t, **v: t + np.floor(t),
    atoms={})
add("frac-part", "mixed-atom", T("Uniform(-2, 2)"), "x - floor(x)", uni(-2, 2), lambda t, **v: t - np.floor(t),
    atoms={}, support=sp.Interval(0, 1))
add("heaviside-square", "mixed-atom", T("Normal(0, 1)"), "Heaviside(x)*x**2", nrm(), lambda t, **v: (t > 0) * t**2,
    atoms={0: 0.5})
add("max-abs-half", "mixed-atom", T("Uniform(-2, 2)"), "Max(Abs(x), 1/2)", uni(-2, 2),
    lambda t, **v: np.maximum(np.abs(t), 0.5), atoms={0.5: 0.25}, support=sp.Interval(S.Half, 2))
add("relu-symbolic-real-shift", "mixed-atom", T("Normal(0, 1)"), sp.Max(0, x - mu_r), nrm(),
    lambda t, **v: np.maximum(0, t - v["mu"]), {"mu": -0.5}, atoms={0: stats.norm.cdf(-0.5)})
refuse("uniform-ab-square-signs-unknown", "params",
       lambda: covar.transform(covar.parse_density("Uniform(a, b)"), "x**2"))
add("uniform-ab-affine", "params", T("Uniform(a, b)"), "2*x - 1", lambda r, n, **v: r.uniform(v["a"], v["b"], n),
    lambda t, **v: 2 * t - 1, {"a": -0.5, "b": 2.0})
add("max-exp-c-unknown-sign", "params", T("Exponential(1)"), sp.Max(x, sp.Symbol("c", real=True)),
    lambda r, n, **v: r.exponential(1.0, n), lambda t, **v: np.maximum(t, v["c"]), {"c": 0.7},
    atoms={0.7: 1 - np.exp(-0.7)})
refuse("pow-real-exponent", "params", lambda: covar.transform(covar.parse_density("Uniform(0, 1)"),
                                                               x ** sp.Symbol("c", real=True)))

# Known bugs (found by this file): the case must fail today.
XFAIL: dict[str, str] = {}  # pois-exp was fixed: a pmf's tail is now an explicit integer test, not Contains
LIMIT = {"cubic-x3-3x-normal": 10, "comp-discrete-twice": 10, "stats-poisson-square": 10, "parse-poisson-3-fast": 10,
         "parse-geometric-half-fast": 10}
for _c in CASES:
    _c.xfail = XFAIL.get(_c.id, _c.xfail)
    _c.limit = LIMIT.get(_c.id, _c.limit)
assert set(XFAIL) <= {c.id for c in CASES}


# ------------------------------------------------------------------------------------------
# the checks
# ------------------------------------------------------------------------------------------
def _num(e, values):
    e = sp.sympify(e)
    if e == oo:
        return np.inf
    if e == -oo:
        return -np.inf
    return float(sp.N(e.xreplace({s: values[s.name] for s in e.free_symbols if s.name in values})))


def _intervals(Y, values):
    sup = Y.support
    parts = sup.args if isinstance(sup, sp.Union) else (sup,)
    out = []
    for p in parts:
        if isinstance(p, sp.Interval):
            out.append((_num(p.start, values), _num(p.end, values)))
        elif isinstance(p, sp.FiniteSet):
            out.extend((_num(v, values), _num(v, values)) for v in p)
        else:
            raise AssertionError(f"unexpected support piece {p}")
    return sorted(out)


def _mass(f, lo, hi, values):
    def g(t):
        with np.errstate(all="ignore"):
            v = float(np.real(f(np.array([t]), **values)[0]))
        return v if np.isfinite(v) else 0.0
    if lo == hi:
        return 0.0
    if np.isinf(lo) or np.isinf(hi):
        return integrate.quad(g, lo, hi, limit=400)[0]
    pts = np.linspace(lo, hi, 9)
    return sum(integrate.quad(g, a, b, limit=200)[0] for a, b in zip(pts[:-1], pts[1:]))


def _check_continuous(Y, ys, case):
    values = case.values
    f = Y.numpy()
    atoms = {_num(k, values): _num(m, values) for k, m in Y.atoms.items()}
    ivs = _intervals(Y, values)
    # independent mass
    mass = sum(_mass(f, lo, hi, values) for lo, hi in ivs)
    assert abs(mass - (1 - sum(atoms.values()))) < 2e-3, f"mass {mass} vs {1 - sum(atoms.values())}"
    # expected atoms
    if case.atoms is not None:
        got = {round(k, 9): m for k, m in atoms.items() if m > 0}
        want = {round(float(k), 9): float(m) for k, m in case.atoms.items()}
        assert set(got) == set(want), (got, want)
        for k in want:
            assert abs(got[k] - want[k]) < 1e-6, (k, got[k], want[k])
    # samples inside the support (closure, small tolerance)
    ys = ys[np.isfinite(ys)]
    tol = 1e-9 * (1 + np.abs(ys))
    inside = np.zeros(ys.shape, bool)
    for lo, hi in ivs:
        inside |= (ys >= lo - tol) & (ys <= hi + tol)
    for k in atoms:
        inside |= np.isclose(ys, k, rtol=1e-9, atol=1e-12)
    assert inside.all(), f"{(~inside).sum()} samples outside {Y.support}: {ys[~inside][:5]}"
    # density is 0 off the support
    probe = np.concatenate([np.linspace(-60, 60, 2401), np.geomspace(1e-6, 1e6, 200), -np.geomspace(1e-6, 1e6, 200)])
    off = np.ones(probe.shape, bool)
    for lo, hi in ivs:
        off &= ~((probe >= lo - 1e-9) & (probe <= hi + 1e-9))
    if off.any():
        with np.errstate(all="ignore"):
            vals = np.asarray(f(probe[off], **values), float)
        assert np.all(vals == 0), f"pdf nonzero off the support at {probe[off][vals != 0][:5]}"
    # nonnegative, finite on the samples
    with np.errstate(all="ignore"):
        at = np.asarray(f(ys[:2000], **values), float)
    assert np.all(at[np.isfinite(at)] >= 0)
    ref = _reference_for(case)
    rep = check_against_samples(Y, reference.ks_samples(Y, ys, ref), values)
    assert rep.passed, rep.failures
    # the symbolic pdf the user reads: mass, independent reference, numpy()
    reference.check_univariate(Y, values, reference.probe_points(ys[:20_000], 7), ref)


def _reference_for(case: Case) -> Callable[[np.ndarray], np.ndarray] | None:
    """f_Y by preimage search of g_np on the input law's pdf (lambdified on its own), if known."""
    if case.law is None or case.g_np is None:
        return None
    X = _xd(case.law)
    if isinstance(X, str):
        X = covar.parse_density(X)
    fx, x_range = reference.interval_law(X.pdf, X.var, X.support, case.values)
    return lambda ys: reference.reference_pdf(fx, lambda t: case.g_np(t, **case.values), ys, x_range)


def _check_discrete(Y, ys, case):
    values = case.values
    f = Y.numpy()
    pts, counts = np.unique(ys, return_counts=True)
    probs = np.asarray(f(pts.astype(float), **values), float)
    assert np.all(probs > 0), f"pmf 0 at sampled points {pts[probs == 0][:5]}"
    total = probs.sum()
    assert total <= 1 + 1e-9, f"pmf sums to {total} on the sampled points"
    assert total > 1 - 1e-3, f"pmf sums to only {total} on the sampled points"
    n = counts.sum()
    big = probs * n >= 10
    obs = np.append(counts[big], n - counts[big].sum())
    exp = np.append(probs[big] * n, n - probs[big].sum() * n)
    keep = exp > 1e-9
    chi = stats.chisquare(obs[keep], exp[keep] * obs[keep].sum() / exp[keep].sum())
    assert chi.pvalue > 1e-3, f"chi-square p = {chi.pvalue}"
    # between observed points (non-integers nearby) the pmf must be 0 unless they are support points
    mids = pts[:-1] + np.diff(pts) / 2 if len(pts) > 1 else np.array([])
    if len(mids):
        sup = Y.support
        inside = np.array([bool(sup.contains(sp.nsimplify(m, rational=True))) if abs(m) < 1e6 else True
                           for m in mids[:50]])
        mv = np.asarray(f(mids[:50], **values), float)
        assert np.all(mv[~inside] == 0), f"pmf nonzero off support at {mids[:50][~inside][mv[~inside] != 0]}"
    # the symbolic pmf the user reads (exact y, sympy N): = the input pmf summed over preimages, = numpy()
    top = pts[np.argsort(-counts)[:8]]
    sym = reference.symbolic_pmf_values(Y, top, values)
    reference.assert_close(sym, np.asarray(f(top, **values), float), top, "symbolic pmf vs numpy()", 1e-9, 1e-14)
    if case.law is not None and case.g_np is not None:
        X = _xd(case.law)
        X = covar.parse_density(X) if isinstance(X, str) else X
        want = reference.reference_pmf(X.pdf, X.var, X.support, lambda t: case.g_np(t, **values), top, values)
        reference.assert_close(sym, want, top, "symbolic pmf vs independent reference", 1e-9, 1e-14)
    # every observed value lies in Y.support
    for p in pts[:50]:
        cands = (sp.nsimplify(p, rational=True), sp.nsimplify(p, [sp.sqrt(2), sp.sqrt(3)]), sp.Float(p))
        assert any(bool(Y.support.contains(q)) for q in cands), f"{p} not in {Y.support}"


def _marks(c: Case):
    return [pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else []


PARAMS = [pytest.param(c, id=c.id, marks=_marks(c)) for c in CASES]


class _Overrun(Exception):
    pass


def _within(seconds: float, fn: Callable[[], Any]) -> Any:
    """fn() or _Overrun after ``seconds`` of this process's CPU time (a loaded machine does not
    trip it; a hang or a runaway computation does)."""
    def on_alarm(signum, frame):
        raise _Overrun(f"no answer within {seconds} s of CPU time")
    old = signal.signal(signal.SIGPROF, on_alarm)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)


@pytest.mark.parametrize("case", PARAMS)
def test_adversarial(case: Case):
    if case.raises is type(None):  # must simply succeed, quickly
        _within(case.limit, case.derive)
        return
    if case.raises is not None:
        t0 = time.process_time()
        with pytest.raises(case.raises):
            _within(case.limit, case.derive)
        assert time.process_time() - t0 < 10, "refusal took too long (CPU seconds)"
        return
    Y = _within(case.limit, case.derive)
    if case.closed_form is not None:
        assert Y.closed_form is case.closed_form
    if Y.closed_form and not Y.discrete:
        free = {s.name for s in Y.pdf.free_symbols}
        assert free <= {Y.var.name, *case.values}, free
    if case.support is not None:
        assert Y.support == case.support, Y.support
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    ys = np.asarray(case.sample(rng, N), float)
    if Y.discrete:
        _check_discrete(Y, ys, case)
    else:
        _check_continuous(Y, ys, case)


def test_enough_cases():
    assert len({c.id for c in CASES}) == len(CASES) >= 120
