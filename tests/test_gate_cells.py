"""The gate integrates a numeric-only law cell by cell: a jump inside the support (where a
piece's image ends) must not make a right law fail its mass check."""
from __future__ import annotations

import numpy as np
from scipy import integrate

import covar
from reference import reference_pdf


def test_numeric_only_law_with_a_jump_inside_the_support_is_returned() -> None:
    # g(x) = x exp(-x²) on (-3, 3): three pieces, no closed-form inverse; the outer pieces'
    # images end at ±3 e^-9, where f_Y jumps
    Y = covar.transform("Uniform(-3, 3)", "x*exp(-x**2)")
    assert Y.pdf is None and any("verified numerically" in covar.record.note_words(n) for n in Y.derivation.notes)
    ys = np.array([-0.42, -0.3, -0.1, -1e-3, 2e-4, 1e-3, 0.2, 0.42])
    want = reference_pdf(lambda x: np.full_like(x, 1 / 6), lambda x: x * np.exp(-x**2), ys, (-3.0, 3.0))
    got = Y.numpy()(ys)
    assert np.all(np.abs(got - want) <= 1e-6 * np.abs(want)), (got, want)
    top = float(np.sqrt(0.5) * np.exp(-0.5))
    cut = 3 * np.exp(-9)
    mass = sum(integrate.quad(lambda t: Y.numpy()(np.array([t]))[0], a, b, limit=400)[0]
               for a, b in [(-top, -cut), (-cut, cut), (cut, top)])
    assert abs(mass - 1.0) <= 1e-6


def test_joint_law_with_a_singular_curved_edge_is_returned() -> None:
    # (x1² + x2², x2) of two standard normals: f = e^(-y1/2) / (2π √(y1 − y2²)) on y1 > y2²,
    # infinite along the parabola; box masses must be integrated across it, not beside it
    K = covar.transform("Normal(0, 1) * Normal(0, 1)", "x1**2 + x2**2, x2")
    assert "binned chi-square" in covar.record.note_words(K.derivation.notes[-1])
    f = K.numpy()
    v1, v2 = K.vars
    for y1, y2 in [(1.0, 0.5), (2.0, -1.2), (0.3, 0.1)]:
        want = np.exp(-y1 / 2) / (2 * np.pi * np.sqrt(y1 - y2**2))
        shown = complex(K.pdf.subs({v1: y1, v2: y2}).evalf(30))  # the formula the user reads
        assert abs(shown.imag) <= 1e-300 and abs(shown.real - want) <= 1e-12 * want
        assert abs(f(np.array([y1]), np.array([y2]))[0] - want) <= 1e-12 * want
    assert K.pdf.subs({v1: 1.0, v2: 1.5}) == 0 and f(np.array([1.0]), np.array([1.5]))[0] == 0.0
