"""The Python API reads text as the CLI does: random vectors (independent families joined by
``*``, map components and new variable names separated by top-level commas) and a Density
given as text with its variable's name."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy import stats

import covar


def test_product_text_and_comma_map_give_the_joint_and_its_marginals() -> None:
    K = covar.transform("Exponential(1) * Exponential(1)", "x1 + x2, x1/(x1 + x2)", "s, u")
    assert [v.name for v in K.vars] == ["s", "u"]
    S, U = K.marginal("s"), K.marginal("u")
    ts = np.array([0.3, 1.0, 2.5, 6.0])
    shown = [float(S.pdf.subs(S.var, t)) for t in ts]
    assert np.allclose(shown, stats.gamma(2).pdf(ts), rtol=1e-12)
    assert [float(U.pdf.subs(U.var, t)) for t in (0.1, 0.5, 0.9)] == [1.0, 1.0, 1.0]
    assert float(U.pdf.subs(U.var, 1.5)) == 0.0


def test_default_names_are_y1_y2_and_a_ratio_of_normals_is_cauchy() -> None:
    K = covar.transform("Normal(0, 1) * Normal(0, 1)", "x1/x2, x2")
    assert [v.name for v in K.vars] == ["y1", "y2"]
    R = K.marginal("y1")
    assert R.family is not None and str(R.family) == "Cauchy(0, 1)"
    ts = np.array([-3.0, 0.0, 0.7])
    assert np.allclose([float(R.pdf.subs(R.var, t)) for t in ts], stats.cauchy.pdf(ts), rtol=1e-12)


def test_a_product_of_non_families_is_not_a_vector() -> None:
    Y = covar.transform("2*x on [0, 1]", "x**2")  # "2*x" is a pdf, not two factors
    assert float(Y.pdf.subs(Y.var, sp.Rational(1, 4))) == 1.0
    with pytest.raises(covar.CovarError):
        covar.transform("Normal(0, 1) * Normal(0, 1)", "x1 + x2")  # one component for two variables


def test_density_from_text_with_a_variable_name() -> None:
    X = covar.Density("2*x", "x", "[0, 1]")
    assert X.var == sp.Symbol("x", real=True)
    Y = covar.transform(X, "x**2")
    assert str(Y.family) == "Uniform(0, 1)"
    with pytest.raises(covar.CovarError, match="a name such as 'x'"):
        covar.Density("2*x", "__class__", "[0, 1]")


def test_a_misspelt_keyword_is_named_with_the_one_meant():
    with pytest.raises(covar.UnsupportedTransform, match=r"no keyword 'assumptions' \(did you mean assume=\?\)"):
        covar.transform("Uniform(0, 1)", "x**(-a)", assumptions="a > 0")


def test_a_dangling_operator_is_named_with_what_to_write():
    with pytest.raises(covar.ParseError, match=r"ends with '\+': write what it applies to \(e.g. 'x\*\*2 \+ 1'\)"):
        covar.transform("Normal(0, 1)", "x**2 +")
    with pytest.raises(covar.ParseError, match=r"column 4, at '\* 2'"):
        covar.transform("Normal(0, 1)", "x +* 2")
