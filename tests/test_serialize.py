"""JSON export of the Derivation record: documented schema, safe reading, exact round trips."""
from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

import covar
from covar.render.serialize import SCHEMA, from_json, to_dict, to_json
from test_latex import public_cases

PIECE_KEYS = {"interval", "g", "kind", "inverse", "jacobian", "image", "contribution", "value", "mass", "rejected"}


def _same_values(Y, Z, values, lo=-6.0, hi=6.0):
    ys = np.linspace(lo, hi, 97)
    np.testing.assert_allclose(Z.numpy()(ys, **values), Y.numpy()(ys, **values), rtol=1e-12, atol=0)


@pytest.mark.parametrize("index", range(9))
def test_public_cases_round_trip(index):
    case, _, Y = public_cases()[index]
    Z = from_json(to_json(Y))
    assert Z.var == Y.var and Z.support == Y.support and Z.family == Y.family
    assert Z.atoms == Y.atoms
    assert sp.simplify(Z.pdf - Y.pdf) == 0
    for values in case["param_values"]:
        _same_values(Y, Z, values)
    d, e = Y.derivation, Z.derivation
    assert e.g == d.g and e.breakpoints == d.breakpoints and e.notes == d.notes
    assert [p.inverse for p in e.pieces] == [p.inverse for p in d.pieces]
    assert [c.pieces for c in e.cells] == [c.pieces for c in d.cells]


def test_schema_fields_and_symbol_assumptions():
    Y = covar.transform(covar.parse_density("Normal(mu, sigma)"), "exp(x)")
    data = json.loads(to_json(Y))
    assert data["schema"] == SCHEMA == "covar/2"
    assert data["symbols"] == {"mu": {"real": True}, "sigma": {"positive": True},
                               "x": {"real": True}, "y": {"real": True}}
    assert data["support"] == "Interval(0, oo)" and data["family"] == {"name": "LogNormal", "args": ["mu", "sigma"]}
    assert data["closed_form"] is True and data["atoms"] == []
    der = data["derivation"]
    assert der["g"] == "exp(x)" and der["input"]["family"] == {"name": "Normal", "args": ["mu", "sigma"]}
    assert set(der["pieces"][0]) == PIECE_KEYS and der["pieces"][0]["inverse"] == "log(y)"
    assert der["cells"][0]["pieces"] == [0]
    assert der["timings"] == {}  # reproducible: timings only on request
    assert set(to_dict(Y, timings=True)["derivation"]["timings"]) >= {"pieces", "inverses"}


def test_mixed_law_keeps_atoms_and_constant_piece():
    Y = covar.transform(covar.parse_density("Normal(0, 1)"), "Max(0, x)")
    data = to_dict(Y)
    assert data["atoms"] == [["0", "1/2"]]
    assert data["derivation"]["pieces"][0]["kind"] == "constant"
    assert data["derivation"]["pieces"][0]["mass"] == "1/2"
    Z = from_json(json.dumps(data))
    assert Z.atoms == {sp.Integer(0): sp.Rational(1, 2)}
    _same_values(Y, Z, {})


def test_composition_and_numeric_only_round_trip():
    composed = covar.transform(covar.transform(covar.parse_density("Gamma(2, 3)"), "log(x)"), "2*y + 1")
    Z = from_json(to_json(composed))
    assert len(Z.derivation.steps) == 2 and Z.derivation.previous.g == sp.log(sp.Symbol("x", real=True))
    _same_values(composed, Z, {})
    numeric = covar.transform(covar.parse_density("Exponential(1)"), "x**5 + x")
    data = json.loads(to_json(numeric))
    assert data["pdf"] is None and data["closed_form"] is False
    W = from_json(json.dumps(data))
    assert not W.closed_form
    _same_values(numeric, W, {}, 0.1, 3.0)


@pytest.mark.parametrize("text, message", [
    ('{"schema": "other"}', "not a covar JSON document"),
    ("not json", "not JSON"),
])
def test_bad_documents_are_parse_errors(text, message):
    with pytest.raises(covar.ParseError, match=message):
        from_json(text)


def test_reading_never_runs_code():
    data = to_dict(covar.transform(covar.parse_density("Exponential(1)"), "2*x"))
    data["pdf"] = "__import__('os').system('echo pwned')"
    with pytest.raises(covar.ParseError):
        from_json(json.dumps(data))


def test_finite_pmf_round_trip():
    Y = covar.transform(covar.parse_density("Binomial(4, 1/2)"), "Abs(x - 2)")
    Z = from_json(to_json(Y))
    assert Z.discrete and Z.support == sp.FiniteSet(0, 1, 2)
    np.testing.assert_allclose(Z.numpy()(np.array([0.0, 1.0, 2.0])), [6 / 16, 8 / 16, 2 / 16])
