"""The univariate problem table: X (pdf, support, a numpy/scipy sampler), g (sympy and numpy).

Samples of g(X) are produced here with numpy/scipy directly, never with covar's own code,
so the checks compare the derivation with an independent simulation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import sympy as sp
from scipy import stats

x = sp.Symbol("x", real=True)
mu, c = sp.symbols("mu c", real=True)
sigma, lam, alpha, k, a = sp.symbols("sigma lam alpha k a", positive=True)
oo, pi = sp.oo, sp.pi
R = sp.Interval(-oo, oo)
POS = sp.Interval(0, oo)


@dataclass(frozen=True)
class Law:
    pdf: sp.Expr
    support: sp.Set
    draw: Callable[..., np.ndarray]  # draw(rng, n, **values)
    discrete: bool = False


@dataclass(frozen=True)
class Problem:
    id: str
    kind: str
    law: Law
    g: sp.Expr
    g_np: Callable[..., np.ndarray]  # g_np(xs, **values)
    values: dict = field(default_factory=dict)
    family: str | None = None
    support: sp.Set | None = None
    atoms: dict | None = None
    closed_form: bool = True


def _normal(m=0, s=1):
    return Law(sp.exp(-(x - m) ** 2 / (2 * s**2)) / (sp.sqrt(2 * pi) * s), R,
               lambda rng, n, **v: rng.normal(float(sp.sympify(m).subs({mu: v.get("mu", 0)})),
                                               float(sp.sympify(s).subs({sigma: v.get("sigma", 1)})), n))


N01 = _normal()
NMS = _normal(mu, sigma)
EXP1 = Law(sp.exp(-x), POS, lambda rng, n, **v: rng.exponential(1.0, n))
EXPL = Law(lam * sp.exp(-lam * x), POS, lambda rng, n, **v: rng.exponential(1 / v["lam"], n))
U01 = Law(sp.Integer(1), sp.Interval(0, 1), lambda rng, n, **v: rng.uniform(0, 1, n))
U_12 = Law(sp.Rational(1, 3), sp.Interval(-1, 2), lambda rng, n, **v: rng.uniform(-1, 2, n))
U_2PI = Law(1 / (2 * pi), sp.Interval(0, 2 * pi), lambda rng, n, **v: rng.uniform(0, 2 * np.pi, n))
U_PI = Law(1 / pi, sp.Interval(0, pi), lambda rng, n, **v: rng.uniform(0, np.pi, n))
U_HALFPI = Law(1 / pi, sp.Interval(-pi / 2, pi / 2), lambda rng, n, **v: rng.uniform(-np.pi / 2, np.pi / 2, n))
GAMMA_AL = Law(lam**alpha * x ** (alpha - 1) * sp.exp(-lam * x) / sp.gamma(alpha), POS,
               lambda rng, n, **v: rng.gamma(v["alpha"], 1 / v["lam"], n))
GAMMA3 = Law(x**2 * sp.exp(-x) / 2, POS, lambda rng, n, **v: rng.gamma(3.0, 1.0, n))
CHI2_1 = Law(sp.exp(-x / 2) / sp.sqrt(2 * pi * x), POS, lambda rng, n, **v: rng.chisquare(1, n))
BETA23 = Law(12 * x * (1 - x) ** 2, sp.Interval(0, 1), lambda rng, n, **v: rng.beta(2, 3, n))
CAUCHY = Law(1 / (pi * (1 + x**2)), R, lambda rng, n, **v: rng.standard_cauchy(n))
LAPLACE = Law(sp.exp(-sp.Abs(x)) / 2, R, lambda rng, n, **v: rng.laplace(0, 1, n))
LOGISTIC = Law(sp.exp(-x) / (1 + sp.exp(-x)) ** 2, R, lambda rng, n, **v: rng.logistic(0, 1, n))
PARETO = Law(3 / x**4, sp.Interval(1, oo), lambda rng, n, **v: stats.pareto(3).rvs(n, random_state=rng))
WEIBULL = Law(2 * x * sp.exp(-x**2), POS, lambda rng, n, **v: rng.weibull(2.0, n))


def P(id, kind, law, g, g_np, values=None, **kw):
    return Problem(id, kind, law, g, g_np, dict(values or {}), **kw)


sq = lambda t, **v: t**2  # noqa: E731
PROBLEMS = [
    # affine
    P("normal-shift", "affine", NMS, x + c, lambda t, **v: t + v["c"], {"mu": 0.3, "sigma": 0.7, "c": -4.0}),
    P("normal-scale-pos", "affine", NMS, a * x, lambda t, **v: v["a"] * t, {"mu": 1.5, "sigma": 0.5, "a": 0.2},
      family="Normal(a*mu, a*sigma)"),
    P("normal-neg-affine", "affine", N01, -3 * x + 1, lambda t, **v: 1 - 3 * t, family="Normal(1, 3)"),
    P("exp-scale", "affine", EXP1, 2 * x, lambda t, **v: 2 * t, family="ChiSquared(2)"),
    P("uniform-affine", "affine", U01, 4 * x - 2, lambda t, **v: 4 * t - 2, family="Uniform(-2, 2)"),
    P("uniform-flip", "affine", U_12, -x, lambda t, **v: -t, family="Uniform(-2, 1)"),
    P("cauchy-affine", "affine", CAUCHY, 2 * x + 1, lambda t, **v: 2 * t + 1, family="Cauchy(1, 2)"),
    P("gamma-scale", "affine", GAMMA3, x / 2, lambda t, **v: t / 2, family="Gamma(3, 2)"),
    # monotone
    P("exp-normal", "monotone", NMS, sp.exp(x), lambda t, **v: np.exp(t), {"mu": 0.5, "sigma": 0.4},
      family="LogNormal(mu, sigma)", support=POS),
    P("log-gamma", "monotone", GAMMA_AL, sp.log(x), lambda t, **v: np.log(t), {"alpha": 0.6, "lam": 2.5},
      family="ExpGamma(alpha, lam)", support=R),
    P("sqrt-chisq1", "monotone", CHI2_1, sp.sqrt(x), lambda t, **v: np.sqrt(t), family="HalfNormal(1)", support=POS),
    P("tan-uniform-cauchy", "monotone", U_HALFPI, sp.tan(x), lambda t, **v: np.tan(t), family="Cauchy(0, 1)", support=R),
    P("neglog-uniform", "monotone", U01, -sp.log(x), lambda t, **v: -np.log(t), family="Exponential(1)"),
    P("neglog-uniform-rate", "monotone", U01, -sp.log(x) / lam, lambda t, **v: -np.log(t) / v["lam"],
      {"lam": 2.5}, family="Exponential(lam)"),
    P("logit-uniform", "monotone", U01, sp.log(x / (1 - x)), lambda t, **v: np.log(t / (1 - t)), family="Logistic(0, 1)"),
    P("sigmoid-normal", "monotone", N01, 1 / (1 + sp.exp(-x)), lambda t, **v: 1 / (1 + np.exp(-t)),
      support=sp.Interval(0, 1)),
    P("cube-normal", "monotone", N01, x**3, lambda t, **v: t**3, support=R),
    P("cuberoot-uniform", "monotone", U_12, sp.real_root(x, 3),
      lambda t, **v: np.cbrt(t)),
    P("reciprocal-exp", "monotone", EXP1, 1 / x, lambda t, **v: 1 / t, support=POS),
    P("ratio-exp", "monotone", EXP1, x / (1 + x), lambda t, **v: t / (1 + t), support=sp.Interval(0, 1)),
    P("tanh-normal", "monotone", N01, sp.tanh(x), lambda t, **v: np.tanh(t), support=sp.Interval(-1, 1)),
    P("atan-cauchy", "monotone", CAUCHY, sp.atan(x), lambda t, **v: np.arctan(t), family="Uniform(-pi/2, pi/2)"),
    P("sinh-normal", "monotone", N01, sp.sinh(x), lambda t, **v: np.sinh(t), support=R),
    P("sqrt-exp-rayleigh", "monotone", EXPL, sp.sqrt(x), lambda t, **v: np.sqrt(t), {"lam": 0.5}),
    P("root-exp-weibull", "monotone", EXP1, x ** sp.Rational(1, 3), lambda t, **v: np.cbrt(t), family="Weibull(1, 3)"),
    P("power-symbolic", "monotone", EXP1, x ** (1 / k), lambda t, **v: t ** (1 / v["k"]), {"k": 1.7}),
    P("exp-exp-pareto", "monotone", EXPL, sp.exp(x), lambda t, **v: np.exp(t), {"lam": 2.0}, support=sp.Interval(1, oo)),
    P("recip-gamma", "monotone", GAMMA3, 1 / x, lambda t, **v: 1 / t, family="InverseGamma(3, 1)"),
    P("log-pareto", "monotone", PARETO, sp.log(x), lambda t, **v: np.log(t), family="Exponential(3)"),
    P("square-weibull", "monotone", WEIBULL, x**2, sq, family="Exponential(1)"),
    P("x-plus-exp", "monotone", N01, x + sp.exp(x), lambda t, **v: t + np.exp(t), support=R),
    P("beta-flip", "monotone", BETA23, 1 - x, lambda t, **v: 1 - t, family="Beta(3, 2)"),
    P("exp-neg-gamma", "monotone", GAMMA3, sp.exp(-x), lambda t, **v: np.exp(-t), support=sp.Interval(0, 1)),
    # many-to-one
    P("normal-square", "many-to-one", N01, x**2, sq, family="ChiSquared(1)", support=POS),
    P("abs-normal", "many-to-one", _normal(0, sigma), sp.Abs(x), lambda t, **v: np.abs(t), {"sigma": 2.5},
      family="HalfNormal(sigma)", support=POS),
    P("square-uniform-asym", "many-to-one", U_12, x**2, sq, support=sp.Interval(0, 4)),
    P("shifted-square-normal", "many-to-one", N01, (x - 1) ** 2, lambda t, **v: (t - 1) ** 2, support=POS),
    P("sin-uniform", "many-to-one", U_2PI, sp.sin(x), lambda t, **v: np.sin(t), family="Arcsin(-1, 1)"),
    P("cos-uniform-pi", "many-to-one", U_PI, sp.cos(x), lambda t, **v: np.cos(t), family="Arcsin(-1, 1)"),
    P("tan-pole", "many-to-one", U_PI, sp.tan(x), lambda t, **v: np.tan(t), family="Cauchy(0, 1)"),
    P("fourth-power", "many-to-one", N01, x**4, lambda t, **v: t**4, support=POS),
    P("parabola-uniform", "many-to-one", U01, x * (1 - x), lambda t, **v: t * (1 - t), support=sp.Interval(0, sp.Rational(1, 4))),
    P("abs-laplace", "many-to-one", LAPLACE, sp.Abs(x), lambda t, **v: np.abs(t), family="Exponential(1)"),
    P("square-cauchy", "many-to-one", CAUCHY, x**2, sq, support=POS),
    P("gauss-bump", "many-to-one", N01, sp.exp(-x**2), lambda t, **v: np.exp(-t**2), support=sp.Interval(0, 1)),
    P("inverse-square", "many-to-one", N01, 1 / x**2, lambda t, **v: 1 / t**2, family="Levy(0, 1)"),
    P("square-logistic", "many-to-one", LOGISTIC, x**2, sq, support=POS),
    P("lambertw-normal", "many-to-one", N01, x * sp.exp(x), lambda t, **v: t * np.exp(t)),
    P("cubic-wiggle", "many-to-one", U_12, x**3 - x, lambda t, **v: t**3 - t),
    P("cubic-branch-cut", "many-to-one", Law(sp.Rational(1, 2), sp.Interval(-1, 1), lambda rng, n, **v: rng.uniform(-1, 1, n)),
      x**3 - x**2, lambda t, **v: t**3 - t**2, support=sp.Interval(-2, 0)),
    P("cubic-normal-three-roots", "many-to-one", N01, x**3 - 3 * x, lambda t, **v: t**3 - 3 * t, support=R),
    P("abs-shifted", "many-to-one", NMS, sp.Abs(x), lambda t, **v: np.abs(t), {"mu": 0.8, "sigma": 1.2}),
    P("abs-uniform-asym", "many-to-one", U_12, sp.Abs(x - sp.Rational(1, 2)), lambda t, **v: np.abs(t - 0.5)),
    P("sin-squared", "many-to-one", U_PI, sp.sin(x) ** 2, lambda t, **v: np.sin(t) ** 2, family="Arcsin(0, 1)"),
    # mixed: atoms
    P("relu-normal", "mixed-atom", N01, sp.Max(0, x), lambda t, **v: np.maximum(0, t), atoms={0: sp.Rational(1, 2)},
      support=POS),
    P("clip-exp", "mixed-atom", EXP1, sp.Min(x, 1), lambda t, **v: np.minimum(t, 1), atoms={1: sp.exp(-1)}),
    P("clip-both-normal", "mixed-atom", N01, sp.Min(sp.Max(x, -1), 1), lambda t, **v: np.clip(t, -1, 1)),
    P("relu-shift-exp", "mixed-atom", EXP1, sp.Max(0, x - 1), lambda t, **v: np.maximum(0, t - 1),
      atoms={0: 1 - sp.exp(-1)}),
    P("floor-uniform", "mixed-atom", Law(sp.Rational(1, 3), sp.Interval(0, 3), lambda rng, n, **v: rng.uniform(0, 3, n)),
      sp.floor(x), lambda t, **v: np.floor(t), atoms={0: sp.Rational(1, 3), 1: sp.Rational(1, 3), 2: sp.Rational(1, 3)}),
    P("hinge-square", "mixed-atom", N01, sp.Max(0, x) ** 2, lambda t, **v: np.maximum(0, t) ** 2,
      atoms={0: sp.Rational(1, 2)}),
    # no closed-form inverse
    P("x-plus-sin", "no-closed-inverse", N01, x + sp.sin(x) / 2, lambda t, **v: t + np.sin(t) / 2, closed_form=False),
    P("quintic", "no-closed-inverse", N01, x**5 + x, lambda t, **v: t**5 + t, closed_form=False),
    P("x-plus-sin-uniform", "no-closed-inverse", U_2PI, x + sp.sin(x) / 2, lambda t, **v: t + np.sin(t) / 2,
      closed_form=False),
]
