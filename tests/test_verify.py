"""The verification gate itself: a wrong closed form never leaves it as a closed form."""
from __future__ import annotations

from dataclasses import replace

import pytest
import sympy as sp
from sympy import exp, pi

from covar.render.text import phrase
import covar
from covar.numeric.verify import VerificationFailed, close, verify

x1, x2, u, v = sp.symbols("x1 x2 u v", real=True)


def test_nan_inf_and_complex_never_agree():
    assert close(1.0, 1.0)
    assert not close(float("nan"), float("nan"))
    assert not close(float("inf"), float("inf"))
    assert not close(1 + 1e-3j, 1.0)


def test_a_halved_univariate_pdf_is_downgraded_to_numeric_only():
    Y = covar.transform("Normal(0, 1)", "x**2")
    half = Y.pdf / 2
    bad = replace(Y, pdf=half, derivation=replace(Y.derivation, pdf=half), validate=False)
    out = verify(bad)
    assert not out.closed_form and out.pdf is None
    assert "failed verification" in " ".join(map(phrase, out.derivation.notes))


def test_a_halved_joint_pdf_without_sampler_is_refused():
    J = covar.JointDensity(exp(-(x1**2 + x2**2) / 2) / (2 * pi), (x1, x2), True)
    K = covar.transform(J, (x1**2, x2), (u, v))
    assert K.sampler is None
    with pytest.raises(VerificationFailed, match="branch"):
        verify(replace(K, pdf=K.pdf / 2))
