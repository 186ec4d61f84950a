"""Hypothesis fuzz test of every string-taking API: no code runs, no error but CovarError.

Inputs are random text over an expression-ish alphabet, structured near-valid expressions
(``st.recursive`` over names, functions and operators), and code payloads spliced into both.
A canary file that any executed payload would create must never appear, and the only exception
allowed out of covar is :class:`covar.CovarError`. The examples per API are listed in
:data:`EXAMPLES`; their sum (checked below) is at least 10**4. Fixed seed (``derandomize``).
"""
from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import sympy as sp
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sympy import Interval, oo

import covar
from covar import flows
from covar.render import serialize
from covar.numeric.budget import time_budget
from covar.errors import CovarError
from covar.text.assumptions import parse_assumptions
from covar.text.expressions import parse_expr
from covar.text.sets import parse_set
from covar.text.vocabulary import FUNCTION_NAMES
from test_untrusted_text import payloads  # one list of code-running payloads

#: examples run per API (hypothesis max_examples); the total must be at least 10**4
EXAMPLES: dict[str, int] = {
    "parse_expr": 2500,
    "parse_set": 1200,
    "parse_assumptions": 800,
    "parse_density": 900,
    "Density": 1000,
    "Density.subs": 700,
    "JointDensity": 900,
    "flows": 700,
    "from_json": 900,
    "transform map and assume": 250,
    "tuple map and inverse": 150,
}

x = sp.Symbol("x", real=True)
x1, x2 = sp.symbols("x1 x2", real=True)

CANARY = Path(tempfile.mkdtemp(prefix="covar-fuzz-")) / "CANARY"


PAYLOADS = payloads(CANARY)

# --- strategies ------------------------------------------------------------------------------
ALPHABET = ("xyzabcuv0123456789" "+-*/^()[]{},.<>=!&|~ _'\"" "eEpinoIsqrtlgU" "@%#:;\\\t\n"
            "\u221e\u222a\u211d\u00b2")
NAMES = ["x", "y", "a", "b", "c", "mu", "sigma", "lam", "x1", "x2", "z1", "z2", "u", "v", "n",
         "pi", "E", "oo", "inf", "I", "True", "False", "None", "nan", "zoo", "lambda", "os",
         "__import__", "__class__", "Symbol", "S", "Integer", "Lambda", "Interval"]
CALLEES = list(FUNCTION_NAMES) + ["Normal", "Gamma", "Uniform", "Exponential", "Poisson", "Beta",
                                  "eval", "exec", "open", "getattr", "Symbol", "Range",
                                  "FiniteSet", "Union", "Interval", "Eq", "Ne", "Contains",
                                  "Lambda", "ImageSet", "Complement", "f"]
NUMBERS = st.one_of(
    st.integers(-1000, 1000).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
    st.sampled_from(["1e308", "1e-320", "10**999", "9**9**9", "2**1000", "0", "0.0", "1/0",
                     "-0", "1e400", "0x10", "1_000", "1j", "3.", ".5", "00"]),
)
LEAVES = st.one_of(st.sampled_from(NAMES), NUMBERS)
BINARY = ["+", "-", "*", "/", "**", "^", "<", "<=", ">", ">=", "==", "!=", "&", "|", "%", "//",
          " and ", " or ", " if ", ".", "@"]


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, st.sampled_from(BINARY), inner).map("".join),
        st.tuples(st.sampled_from(["-", "+", "~", "not ", ""]), inner).map("".join),
        st.tuples(st.sampled_from(CALLEES), st.lists(inner, min_size=0, max_size=3))
        .map(lambda p: f"{p[0]}({', '.join(p[1])})"),
        inner.map(lambda e: f"({e})"),
        st.tuples(inner, inner).map(lambda p: f"Piecewise(({p[0]}, {p[1]}), (0, True))"),
        st.tuples(inner, inner).map(lambda p: f"[{p[0]}, {p[1]})"),
        inner.map(lambda e: f"{e}[0]"),
    )


WILD = st.recursive(LEAVES, _grow, max_leaves=5)  # anything goes: most of it is refused

# near-valid: whitelisted names, functions and operators, so that most inputs parse and go on
# into covar (validation, derivation, flows), plus single-character mutations of those
VALID_NAMES = ["x", "y", "a", "b", "c", "mu", "sigma", "lam", "x1", "x2", "z1", "z2", "u", "v",
               "n", "pi", "E", "oo"]
VALID_LEAVES = st.one_of(st.sampled_from(VALID_NAMES), st.integers(-20, 20).map(str),
                         st.sampled_from(["0.5", "1e-3", "2.5", "1/2", "100"]))


def _grow_valid(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "^"]), inner).map("".join),
        inner.map(lambda e: f"-({e})"),
        st.tuples(st.sampled_from(FUNCTION_NAMES), st.lists(inner, min_size=1, max_size=2))
        .map(lambda p: f"{p[0]}({', '.join(p[1])})"),
        inner.map(lambda e: f"({e})"),
    )


EXPR = st.recursive(VALID_LEAVES, _grow_valid, max_leaves=5)
COND = st.one_of(
    st.tuples(EXPR, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), EXPR).map("".join),
    st.tuples(EXPR, EXPR).map(lambda p: f"({p[0]} > 0) & ({p[1]} < 1)"),
    st.tuples(EXPR, EXPR, EXPR).map(lambda p: f"{p[0]} < {p[1]} <= {p[2]}"),
)
MUTATED = st.tuples(EXPR, st.integers(0, 60), st.sampled_from(ALPHABET)).map(
    lambda p: p[0][: p[1] % (len(p[0]) + 1)] + p[2] + p[0][p[1] % (len(p[0]) + 1):])
NEAR = st.one_of(
    EXPR, EXPR, COND, MUTATED,
    st.tuples(EXPR, COND, EXPR).map(lambda p: f"Piecewise(({p[0]}, {p[1]}), ({p[2]}, True))"),
)
STRUCTURED = st.one_of(NEAR, NEAR, NEAR, WILD)
RANDOM = st.text(ALPHABET, max_size=40)
INJECTED = st.one_of(
    st.sampled_from(PAYLOADS),
    st.tuples(STRUCTURED, st.sampled_from(BINARY), st.sampled_from(PAYLOADS)).map("".join),
    st.tuples(st.sampled_from(PAYLOADS), st.sampled_from(BINARY), STRUCTURED).map("".join),
)
TEXT = st.one_of(RANDOM, STRUCTURED, STRUCTURED, INJECTED)

SETS = st.one_of(
    TEXT,
    st.tuples(st.sampled_from("[("), TEXT, TEXT, st.sampled_from("])"))
    .map(lambda p: f"{p[0]}{p[1]}, {p[2]}{p[3]}"),
    st.lists(STRUCTURED, max_size=4).map(lambda e: "{" + ", ".join(e) + "}"),
    st.tuples(st.sampled_from(["Interval", "Interval.open", "Range", "FiniteSet", "Union"]),
              st.lists(TEXT, max_size=3)).map(lambda p: f"{p[0]}({', '.join(p[1])})"),
    st.tuples(TEXT, st.sampled_from([" U ", " | ", " \u222a "]), TEXT).map("".join),
)
ASSUMPTIONS = st.one_of(
    TEXT,
    st.tuples(st.sampled_from(NAMES), st.sampled_from(["<", ">", ">=", "!=", "==", " is "]),
              TEXT).map("".join),
    st.tuples(st.sampled_from(NAMES), st.sampled_from([" positive", " integer", " real",
                                                        " positive integer", " bogus"]))
    .map("".join),
    st.lists(TEXT, max_size=3).map(", ".join),
)
DENSITIES = st.one_of(
    TEXT,
    st.tuples(st.sampled_from(["Normal", "Gamma", "Uniform", "Exponential", "Poisson", "Beta",
                               "ChiSquared", "Binomial", "Geometric", "Cauchy", "Nope"]),
              st.lists(STRUCTURED, max_size=3)).map(lambda p: f"{p[0]}({', '.join(p[1])})"),
)


# --- the harness -------------------------------------------------------------------------------
def fuzz(name: str, strategy: st.SearchStrategy[Any], call: Callable[[Any], object]) -> None:
    """Run ``call`` on EXAMPLES[name] generated inputs: only CovarError, never the canary."""
    runs = 0

    @settings(max_examples=EXAMPLES[name], deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck),
              phases=(Phase.explicit, Phase.generate, Phase.shrink))
    @given(strategy)
    def one(value: Any) -> None:
        nonlocal runs
        runs += 1
        try:
            call(value)
        except CovarError:
            pass
        assert not CANARY.exists(), f"a payload ran: {value!r}"

    one()
    # hypothesis skips exact repeats, so a few fewer than max_examples may run
    assert runs >= 0.9 * EXAMPLES[name], f"{name}: only {runs} inputs ran"


def test_examples_total_at_least_ten_thousand() -> None:
    assert sum(EXAMPLES.values()) >= 10_000


def test_fuzz_parse_expr() -> None:
    fuzz("parse_expr", TEXT, parse_expr)


def test_fuzz_parse_set() -> None:
    fuzz("parse_set", SETS, parse_set)


def test_fuzz_parse_assumptions() -> None:
    fuzz("parse_assumptions", ASSUMPTIONS, parse_assumptions)


def test_fuzz_parse_density() -> None:
    def call(pair: tuple[str, str | None]) -> None:
        with time_budget(2.0, "fuzz"):
            covar.parse_density(pair[0], support=pair[1])

    fuzz("parse_density", st.tuples(DENSITIES, st.one_of(st.none(), SETS)), call)


def test_fuzz_density() -> None:
    def call(args: tuple[str, str, str, str]) -> None:
        pdf, support, point, mass = args
        with time_budget(2.0, "fuzz"):
            covar.Density(pdf, x, support)
            covar.Density("exp(-x)/2", x, Interval(0, oo), atoms={point: mass})

    fuzz("Density", st.tuples(TEXT, SETS, TEXT, TEXT), call)


@functools.cache
def _exponential() -> covar.Density:
    a = sp.Symbol("a", positive=True)
    return covar.Density(a * sp.exp(-a * x), x, Interval(0, oo))


def test_fuzz_density_subs() -> None:
    fuzz("Density.subs", TEXT, lambda text: _exponential().subs({"a": text}))


def test_fuzz_joint_density() -> None:
    def call(args: tuple[str, str]) -> None:
        covar.JointDensity(args[0], (x1, x2), args[1])

    fuzz("JointDensity", st.tuples(TEXT, TEXT), call)


def test_fuzz_flow_layers() -> None:
    def call(args: tuple[str, str, str]) -> None:
        layer = flows.AffineCoupling((1, 0), s=(args[0],), t=(args[1],))
        _ = layer.log_det_jacobian
        flows.Elementwise("leaky_relu", dim=2, slope=args[2])

    fuzz("flows", st.tuples(TEXT, TEXT, TEXT), call)


_FIELDS = ("var", "pdf", "support", "family")


@functools.cache
def _document_text() -> str:
    return covar.Density(sp.exp(-x), x, Interval(0, oo)).to_json()


def test_fuzz_from_json() -> None:
    """Documents with fuzzed fields (text where text goes, and odd JSON values elsewhere)."""
    values = st.one_of(TEXT, SETS, st.none(), st.integers(), st.booleans(),
                       st.lists(TEXT, max_size=2), st.lists(st.lists(TEXT, max_size=3), max_size=2))

    def call(args: tuple[str, Any, str, bool]) -> None:
        field, value, raw, as_text = args
        doc = json.loads(_document_text())
        if field == "symbols":
            doc["symbols"] = {raw: {"positive": True}}
        else:
            doc[field] = value
        if as_text:  # the reader of raw text: fuzzed JSON syntax too
            serialize.from_json(raw)
        serialize.from_json(json.dumps(doc))

    fields = st.sampled_from((*_FIELDS, "atoms", "symbols"))
    fuzz("from_json", st.tuples(fields, values, RANDOM, st.booleans()), call)


def test_fuzz_transform_map_and_assume() -> None:
    X = covar.parse_density("Uniform(0, 1)")

    def call(args: tuple[str, str]) -> None:
        covar.transform(X, args[0], assume=args[1], timeout=0.5)

    fuzz("transform map and assume", st.tuples(TEXT, st.one_of(st.just(()), ASSUMPTIONS)), call)


@functools.cache
def _joint() -> covar.JointDensity:
    return covar.JointDensity(sp.exp(-x1 - x2), (x1, x2), (x1 > 0) & (x2 > 0))


def test_fuzz_tuple_map_and_inverse() -> None:
    def call(args: tuple[str, str, str, str | None]) -> None:
        g1, g2, h1, h2 = args
        inverse = None if h2 is None else (h1, h2)
        covar.transform(_joint(), (g1, g2), ("u", "v"), inverse=inverse, timeout=0.5)

    fuzz("tuple map and inverse", st.tuples(TEXT, TEXT, TEXT, st.one_of(st.none(), TEXT)), call)


def test_numbers_go_through_unchanged() -> None:
    """The fuzz harness itself can fail: a valid input reaches covar and is accepted."""
    assert parse_expr("x^2") == x**2
    assert covar.JointDensity("exp(-x1-x2)", (x1, x2), "(x1>0) & (x2>0)").pdf == sp.exp(-x1 - x2)
    assert np.isclose(float(_exponential().subs({"a": "2"}).pdf.subs(x, 0)), 2.0)
    assert not CANARY.exists()
