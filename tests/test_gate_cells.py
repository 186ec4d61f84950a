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


# -- a symbolic constant meeting a pmf's lattice; laws that are all atoms ----------------------


def _poisson_pmf(k: int, lam: float = 2.0) -> float:
    from math import exp, factorial

    return lam ** k * exp(-lam) / factorial(k)


def test_min_with_a_constant_that_may_be_an_integer_keeps_all_its_mass() -> None:
    # Min(X, k) for X ~ Poisson(2), k > 0: at an integer k the atom P(X > k) and the point
    # x = k meet at y = k, and the pmf the user reads must add them (it once kept only the atom)
    import sympy as sp

    Y = covar.transform("Poisson(2)", "Min(x, k)", assume="k > 0")
    (k,) = (s for s in Y.pdf.free_symbols if s.name == "k")
    for kv in (sp.Integer(1), sp.Integer(2), sp.Integer(4), sp.Rational(5, 2), sp.Rational(1, 3)):
        below = list(range(int(sp.ceiling(kv))))
        values = [float(Y.pdf.subs({k: kv, Y.var: v})) for v in below + [kv]]
        assert abs(sum(values) - 1.0) <= 1e-12, (kv, values)
        tail = 1.0 - sum(_poisson_pmf(j) for j in below)
        assert abs(values[-1] - tail) <= 1e-12, (kv, values[-1], tail)


def test_the_gate_draws_map_constants_on_the_lattice(monkeypatch) -> None:
    # the gate must catch the bug above: with the atom and the point no longer added, Min(x, k)
    # is wrong exactly at integer k, which a draw of k from (0, 3) never is
    import pytest

    from covar.univariate import discrete

    monkeypatch.setattr(discrete, "_tail_at", lambda tail, y, v: 0)
    with pytest.raises(covar.VerificationFailed, match="symbolic pmf"):
        covar.transform("Poisson(2)", "Min(x, k)", assume="k > 0")


def test_a_law_that_is_all_atoms_with_parameters_is_checked_and_returned() -> None:
    # sign(x - 1) of a Normal(mu, s): two atoms and no cell, once refused as "no parameter
    # values give a non-empty support"
    from scipy import stats

    Y = covar.transform("Normal(mu, s)", "sign(x - 1)")
    words = covar.record.note_words(Y.derivation.notes[-1])
    assert "2 atom masses against the frequencies" in words
    mu, s = [p for p in sorted(Y.params, key=lambda p: p.name)]
    up = float(Y.atoms[1].subs({mu: 0.3, s: 1.7}))
    assert abs(up - stats.norm(0.3, 1.7).sf(1.0)) <= 1e-12
    rng = np.random.default_rng(5)
    share = float(np.mean(np.sign(rng.normal(0.3, 1.7, 200_000) - 1.0) == 1))
    assert abs(share - up) <= 5 * np.sqrt(up * (1 - up) / 200_000)


def test_an_atom_at_a_cell_end_and_mass_packed_against_the_other() -> None:
    # sigmoid(Max(11/4, x + 1/x)) of a Laplace(0, 1): the atom sits at the cell's lower end (its
    # samples are not round-off at an end), while 1.4% of the mass is packed within 1e-16 of the
    # upper end 1 (x + 1/x > 37 near x = 0+); both ends of the Max's flat run, at the roots r, 1/r
    # of x + 1/x = 11/4, map to one value sympy must see as one
    Y = covar.transform("Laplace(0, 1)", "1/(1 + exp(-Max(11/4, x + 1/x)))")
    ((where, mass),) = Y.atoms.items()
    assert abs(float(where) - 1 / (1 + np.exp(-11 / 4))) <= 1e-15
    r = (11 - np.sqrt(57)) / 8
    assert abs(float(mass) - (0.5 + 0.5 * (np.exp(-r) - np.exp(-1 / r)))) <= 1e-12
    ys = np.array([0.945, 0.96, 0.99, 0.999999])
    want = reference_pdf(lambda x: np.exp(-np.abs(x)) / 2,
                         lambda x: 1 / (1 + np.exp(-np.maximum(11 / 4, x + 1 / x))), ys, (1e-9, 60.0))
    got = np.array([float(Y.pdf.subs(Y.var, v)) for v in ys])
    assert np.all(np.abs(got - want) <= 1e-6 * want), (got, want)
