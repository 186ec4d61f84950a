"""Untrusted text never runs: every public API that takes a string refuses code payloads.

Each payload would create a canary file if anything handed it to ``eval``/``sympify``; every
call must raise a :class:`covar.CovarError` and leave the canary absent.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import sympy as sp
from sympy import Interval, oo

import covar
from covar import flows
from covar.render import serialize
from covar.errors import CovarError, ParseError
from covar.laws.families import NamedLaw, get_family
from covar.render.interop import to_scipy
from covar.univariate.signs import sign_of, sort_points
from covar.text.expressions import parse_expr
from covar.text.sets import parse_set
from covar.text.values import as_expression, as_set, as_sympy, check_parameter_values
from covar.render.plot import interpolated_map
from covar.univariate.recognize import recognize

x, y = sp.symbols("x y", real=True)
x1, x2 = sp.symbols("x1 x2", real=True)
z1, z2 = sp.symbols("z1 z2", real=True)


def payloads(canary: Path) -> list[str]:
    """Code that creates ``canary`` if it runs (absolute path, so the cwd does not matter)."""
    c = str(canary)
    return [
        f"__import__('os').system('touch {c}')",
        f"__import__('pathlib').Path('{c}').touch()",
        f"open('{c}', 'w')",
        f"exec(\"open('{c}', 'w')\")",
        f"eval(\"open('{c}', 'w')\")",
        f"(lambda: open('{c}', 'w'))()",
        f"f'{{open(\"{c}\", \"w\")}}'",
        f"[open('{c}', 'w') for _ in (1,)]",
        f"x if open('{c}', 'w') else 1",
        f"().__class__.__bases__[0].__subclasses__()",
        f"().__class__.__base__.__subclasses__()[0].__init__.__globals__['sys']",
        f"x.__class__.__init__.__globals__['__builtins__']['open']('{c}', 'w')",
        f"getattr(x, '__class__')",
        f"globals()['__builtins__'].open('{c}', 'w')",
        f"Symbol('x').func.__globals__",
        f"__builtins__",
        f"import os; os.system('touch {c}')",
        f"x; open('{c}', 'w')",
        f"(y := open('{c}', 'w'))",
        f"Function('f')(x).__class__",
        f"x + __import__('os').system('touch {c}')",
        f"exp(x).__reduce__()",
        f"breakpoint()",
        f"{{'a': open('{c}', 'w')}}",
        f"b'\\x00' + open('{c}', 'w')",
        f"x.__dict__",
        f"Lambda(x, open('{c}', 'w'))",
        f"Piecewise((open('{c}', 'w'), True))",
    ]


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    return tmp_path / "CANARY"


def refuses(call: Callable[[str], object], canary: Path) -> None:
    """``call(payload)`` raises a CovarError for every payload and never creates the canary."""
    for text in payloads(canary):
        with pytest.raises(CovarError):
            call(text)
        assert not canary.exists(), f"payload ran: {text!r}"


@functools.cache
def _density() -> covar.Density:
    a = sp.Symbol("a", positive=True)
    return covar.Density(a * sp.exp(-a * x), x, Interval(0, oo))


@functools.cache
def _joint() -> covar.JointDensity:
    return covar.JointDensity(sp.exp(-x1 - x2), (x1, x2), (x1 > 0) & (x2 > 0))


@functools.cache
def _document_text() -> str:
    return covar.transform(covar.parse_density("Exponential(1)"), "2*x").to_json()


def _document() -> dict:
    return json.loads(_document_text())


# --- one test per string-taking API ---------------------------------------------------------
API: dict[str, Callable[[str], object]] = {
    "parse_expr": parse_expr,
    "parse_set": parse_set,
    "as_expression": as_expression,
    "as_set": as_set,
    "parse_density": covar.parse_density,
    "parse_density support": lambda t: covar.parse_density("exp(-x)", support=t),
    "transform map": lambda t: covar.transform("Exponential(1)", t, timeout=5),
    "transform assume": lambda t: covar.transform("Exponential(1)", "c*x", assume=t, timeout=5),
    "transform callable returning text": lambda t: covar.transform(
        "Exponential(1)", lambda v: t, timeout=5),
    "Density pdf": lambda t: covar.Density(t, x, Interval(0, 1)),
    "Density support": lambda t: covar.Density("1", x, t),
    "Density atom point": lambda t: covar.Density("exp(-x)/2", x, Interval(0, oo), atoms={t: "1/2"}),
    "Density atom mass": lambda t: covar.Density("exp(-x)/2", x, Interval(0, oo), atoms={0: t}),
    "Density.subs value": lambda t: _density().subs({"a": t}),
    "JointDensity pdf": lambda t: covar.JointDensity(t, (x1, x2), True),
    "JointDensity support": lambda t: covar.JointDensity("exp(-x1 - x2)", (x1, x2), t),
    "tuple map": lambda t: covar.transform(_joint(), (t, "x2"), ("u", "v"), timeout=5),
    "tuple map second component": lambda t: covar.transform(_joint(), ("x1 + x2", t), ("u", "v"),
                                                            timeout=5),
    "inverse=": lambda t: covar.transform(_joint(), ("x1 + x2", "x2"), ("u", "v"),
                                          inverse=(t, "v"), timeout=5),
    "inverse= branches": lambda t: covar.transform(_joint(), ("x1 + x2", "x2"), ("u", "v"),
                                                   inverse=[("u - v", t)], timeout=5),
    "AffineCoupling s": lambda t: flows.AffineCoupling((1, 0), s=(t,), t=("z1",)),
    "AffineCoupling t": lambda t: flows.AffineCoupling((1, 0), s=("z1/2",), t=(t,)),
    "Elementwise slope": lambda t: flows.Elementwise("leaky_relu", dim=2, slope=t),
    "from_json pdf": lambda t: serialize.from_dict({**_document(), "pdf": t}),
    "from_json support": lambda t: serialize.from_dict({**_document(), "support": t}),
    "from_json atoms": lambda t: serialize.from_dict({**_document(), "atoms": [[t, "0"]]}),
    "from_json map": lambda t: serialize.from_dict(
        {**_document(), "derivation": {**_document()["derivation"], "g": t}}),
    "from_json text": lambda t: serialize.from_json(json.dumps({**_document(), "var": t})),
    "numpy() parameter": lambda t: _density().numpy()(np.array([1.0]), a=t),
    "sample() parameter": lambda t: _density().sample(3, np.random.default_rng(0), a=t),
    "to_scipy parameter": lambda t: to_scipy(_density(), a=t),
    "JointDensity.sample parameter": lambda t: covar.independent(
        covar.parse_density("Exponential(lam)"), covar.parse_density("Exponential(1)")
    ).sample(3, np.random.default_rng(0), lam=t),
    "check_parameter_values": lambda t: check_parameter_values({"a": t}),
    "interpolated_map": lambda t: interpolated_map(x**2, x, t),
    "plot_transform": lambda t: covar.plot.plot_transform(_density(), t),
    "family pdf": lambda t: get_family("Normal").pdf(x, t, 1),
    "family support": lambda t: get_family("Uniform").support(0, t),
    "family name": get_family,
    "NamedLaw argument": lambda t: NamedLaw("Normal", (t, 1)),
    "NamedLaw.from_dict": lambda t: NamedLaw.from_dict({"name": "Normal", "args": [t, "1"]}),
    "recognize": lambda t: recognize(t, y, Interval(0, oo)),
    "sign_of": sign_of,
    "sort_points": lambda t: sort_points([0, t]),
}


@pytest.mark.parametrize("name", sorted(API))
def test_api_refuses_code(name: str, canary: Path) -> None:
    refuses(API[name], canary)


def test_from_json_symbol_names_are_not_code(canary: Path) -> None:
    for text in payloads(canary):
        doc = _document()
        doc["symbols"] = {text: {"positive": True}}
        try:
            serialize.from_dict(doc)  # a strange name is only a name: it may be accepted
        except CovarError:
            pass
        assert not canary.exists()


def test_cli_refuses_code(canary: Path) -> None:
    from click.testing import CliRunner

    from covar.cli.main import cli

    for text in payloads(canary)[:6]:
        for argv in (["derive", "Exponential(1)", text], ["derive", text, "x**2"],
                     ["derive", "exp(-x)", "x", "--support", text],
                     ["derive", "Exponential(1)", "c*x", "--assume", text]):
            result = CliRunner().invoke(cli, argv)
            assert result.exit_code == 2, (argv, result.output)
            assert not canary.exists()


# --- the converter itself --------------------------------------------------------------------
def test_as_expression_keeps_sympy_objects_and_converts_numbers_exactly() -> None:
    from decimal import Decimal
    from fractions import Fraction

    e = sp.exp(-x)
    assert as_expression(e) is e
    assert as_expression(3) == sp.Integer(3) and isinstance(as_expression(3), sp.Integer)
    assert as_expression(Fraction(1, 3)) == sp.Rational(1, 3)
    assert as_expression(np.int64(4)) == 4 and as_expression(np.float64(0.5)) == sp.Float(0.5)
    assert as_sympy(True) is sp.true and as_expression(float("inf")) is sp.oo
    assert as_sympy("x > 0") == (x > 0)
    with pytest.raises(ParseError, match="must be an expression"):
        as_expression("x > 0", what="pdf")
    assert as_expression(Decimal("0.25")) == sp.Float(0.25)
    assert as_expression("x^2", {"x": x}) == x**2


@pytest.mark.parametrize("value", [None, [1], (1, 2), {"a": 1}, object(), 1j, np.complex128(1),
                                   float("nan"), np.float64("nan"), 10**2000, b"x", np.array([1.0])])
def test_as_expression_refuses_other_values(value: object) -> None:
    with pytest.raises(ParseError):
        as_expression(value)


def test_text_is_still_accepted_where_it_was() -> None:
    """The safe reader keeps the documented conveniences: text pdf, support, maps, subs values."""
    D = covar.Density("exp(-x)", x, "[0, oo)")
    assert D.pdf == sp.exp(-x) and D.support == Interval(0, oo)
    a = sp.Symbol("a", positive=True)
    half = covar.Density(a * sp.exp(-a * x), x, Interval(0, oo)).subs({"a": "1/2"})
    assert sp.simplify(half.pdf - sp.exp(-x / 2) / 2) == 0
    J = covar.JointDensity("exp(-x1 - x2)", (x1, x2), "(x1 > 0) & (x2 > 0)")
    assert J.support == sp.And(x1 > 0, x2 > 0)
    K = covar.transform(J, ("x1 + x2", "x2"), ("u", "v"), inverse=("u - v", "v"))
    u, v = K.vars
    at = {u: 3, v: 1}
    assert sp.N(K.pdf.subs(at)) == pytest.approx(float(sp.exp(-3)))
    layer = flows.AffineCoupling((1, 0), s=("z1/2",), t=("z1**2",))
    assert layer.log_det_jacobian == z1 / 2
