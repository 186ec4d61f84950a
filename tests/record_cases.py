"""Every kind of result, from every test table, derived once per process for the record tests.

``CASES`` maps an id to a builder; :func:`derived` runs a builder once (a declined case gives
None). Tables: tests/problems.py (all), tests/data/public_cases.json (all), the first cases of
the 1-D soundness CI subset and of the 2-D soundness table (two per map kind), marginals
(a closed form: the numeric-only one, 8 s to derive, is round-tripped in
test_marginal_soundness.py), pmfs, a composition and flow outputs (a layer's density and a stack's record).
"""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Callable

import sympy as sp
import sympy.stats as st

import covar
from covar.errors import CovarError
from covar.text.expressions import parse_expr
from covar.text.sets import parse_set

SOUNDNESS_1D = 30  # cases of the 1-D CI subset (make_cases(300, SEED)[:N])
SOUNDNESS_2D = 14  # the first two cycles of the 2-D table: two cases per map kind


def _problems() -> dict[str, Callable[[], Any]]:
    from problems import PROBLEMS, x

    return {f"problem/{p.id}": functools.partial(
        lambda p: covar.transform(covar.Density(p.law.pdf, x, p.law.support, validate=False), p.g), p)
        for p in PROBLEMS}


def _public(case: dict) -> Any:
    syms = {name: sp.Symbol(name, **{kind: True}) for name, kind in case["params"].items()}
    if "x_vars" not in case:
        syms["x"] = sp.Symbol("x", real=True)
        X = covar.Density(parse_expr(case["x_pdf"], syms), syms["x"], parse_set(case["x_support"], syms))
        return covar.transform(X, parse_expr(case["g"], syms))
    xs = sp.symbols(case["x_vars"], real=True)
    syms.update({v.name: v for v in xs})
    J = covar.JointDensity(parse_expr(case["x_pdf"], syms), xs, parse_expr(case["x_support"], syms))
    ys = sp.symbols(case["y_vars"], real=True)
    K = covar.transform(J, tuple(parse_expr(g, syms) for g in case["g"]), ys)
    return K.marginal(case["marginal_of"]) if "marginal_of" in case else K


def _public_cases() -> dict[str, Callable[[], Any]]:
    cases = json.loads((Path(__file__).parent / "data" / "public_cases.json").read_text())
    return {f"public/{c['id']}": functools.partial(_public, c) for c in cases}


def _soundness_1d() -> dict[str, Callable[[], Any]]:
    from soundness_1d_cases import make_cases
    from test_soundness_1d import SEED

    return {f"soundness-1d/{c.index}": functools.partial(covar.transform, c.family.text, c.map_text, timeout=10)
            for c in make_cases(300, SEED)[:SOUNDNESS_1D]}


def _soundness_2d() -> dict[str, Callable[[], Any]]:
    from test_soundness_2d import SEED_CI, YS, random_cases

    def build(case: Any) -> Any:
        J = covar.independent(case.laws[0].stats_rv("X1"), case.laws[1].stats_rv("X2"))
        return covar.transform(J, case.g, YS, timeout=20)

    return {f"soundness-2d/{i}-{c.kind}": functools.partial(build, c)
            for i, c in enumerate(random_cases(40, SEED_CI)[:SOUNDNESS_2D])}


def exponential_sum_marginal() -> Any:
    J = covar.independent(st.Exponential("X1", 2), st.Exponential("X2", 2))
    a, b = J.vars
    s, t = sp.symbols("s t", real=True)
    return covar.transform(J, (a + b, b), (s, t)).marginal(s)


def coupling_density() -> Any:
    """A flow layer's output density (what covar.flows returns)."""
    from covar import flows

    z1, z2 = sp.symbols("z1 z2", real=True)
    base = covar.JointDensity(sp.exp(-(z1**2 + z2**2) / 2) / (2 * sp.pi), (z1, z2), True)
    return flows.AffineCoupling((1, 0), (z1 / 2,), (z1**2,), inputs=(z1, z2)).density(base)


def flow_stack_density() -> Any:
    """A flow stack's output density carrying a FlowRecord built from the stack's steps."""
    from covar import flows
    z1, z2 = sp.symbols("z1 z2", real=True)
    base = covar.JointDensity(sp.exp(-(z1**2 + z2**2) / 2) / (2 * sp.pi), (z1, z2), True)
    stack = flows.Flow((flows.AffineCoupling((1, 0), (z1 / 2,), (z1**2,), inputs=(z1, z2)),
                        flows.Permutation((1, 0), inputs=(z1, z2))))
    return stack.density(base)  # its record is a FlowRecord with one step per layer


def composition() -> Any:
    return covar.transform(covar.transform(covar.parse_density("Gamma(2, 3)"), "log(x)"), "2*y + 1")


CASES: dict[str, Callable[[], Any]] = {
    **_problems(), **_public_cases(), **_soundness_1d(), **_soundness_2d(),
    "pmf/poisson-square": functools.partial(covar.transform, "Poisson(lam)", "(x-2)**2"),
    "pmf/binomial-abs": functools.partial(covar.transform, "Binomial(4, 1/2)", "Abs(x - 2)"),
    "composition/gamma-log-affine": composition,
    "marginal/exponential-sum": exponential_sum_marginal,
    "flow/coupling": coupling_density, "flow/stack": flow_stack_density,
}


@functools.lru_cache(maxsize=None)
def derived(case_id: str) -> Any:
    """The law of the case, or None when covar declines it (declining is not what is tested here)."""
    try:
        return CASES[case_id]()
    except CovarError:
        return None
