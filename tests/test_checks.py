"""The numerical checks themselves must be able to fail."""
from __future__ import annotations

import numpy as np
import sympy as sp

import covar
from covar.numeric.checks import check, check_against_samples

y = sp.Symbol("y", real=True)
HALF_NORMAL = covar.Density(sp.sqrt(2 / sp.pi) * sp.exp(-y**2 / 2), y, sp.Interval(0, sp.oo))


def test_correct_density_passes():
    ys = np.abs(np.random.default_rng(1).standard_normal(100_000))
    report = check_against_samples(HALF_NORMAL, ys)
    assert report.passed and abs(report.mass - 1) < 1e-8 and report.ks_pvalue > 1e-3


def test_slightly_wrong_scale_is_rejected():
    ys = np.abs(np.random.default_rng(1).normal(0, 1.03, 100_000))
    report = check_against_samples(HALF_NORMAL, ys)
    assert not report.passed and "KS" in report.failures[0]


def test_the_tutorials_normal_claim_is_rejected():
    """N(0, 1) on the whole line, checked against samples of sqrt(chi2(1)), must fail."""
    wrong = covar.Density(sp.exp(-y**2 / 2) / sp.sqrt(2 * sp.pi), y, sp.Interval(-sp.oo, sp.oo))
    ys = np.sqrt(np.random.default_rng(2).chisquare(1, 100_000))
    assert not check_against_samples(wrong, ys).passed


def test_missing_mass_and_wrong_atom_are_reported():
    half = covar.Density(sp.exp(-y**2 / 2) / sp.sqrt(2 * sp.pi), y, sp.Interval(0, sp.oo), {0: sp.Rational(1, 3)},
                         validate=False)
    ys = np.maximum(0, np.random.default_rng(3).standard_normal(100_000))
    failures = " ".join(check_against_samples(half, ys).failures)
    assert "integrates to 0.500000, expected 0.666667" in failures
    assert "atom at 0.0" in failures


def test_check_draws_its_own_samples_for_derived_laws():
    Y = covar.transform(covar.parse_density("Normal(0, 1)"), "Max(0, x)")
    report = check(Y, samples=50_000, seed=4)
    assert report.passed and report.samples == 50_000
    assert abs(report.atom_frequencies[0.0] - 0.5) < 0.01


def test_raw_pmfs_are_sampled_and_checked():
    x = sp.Symbol("x", real=True)
    P = covar.Density(sp.exp(-2) * 2**x / sp.factorial(x), x, sp.Range(0, sp.oo), discrete=True)
    Y = covar.transform(P, (x - 2) ** 2)
    assert check(Y, samples=50_000, seed=2).passed
    die = covar.Density(sp.Rational(1, 6), x, sp.FiniteSet(1, 2, 3, 4, 5, 6), discrete=True)
    report = check(covar.transform(die, sp.Min(x, 4)), samples=50_000, seed=3)
    assert report.passed and report.samples == 50_000


# ------------------------------------------------------------------------------------------
# the independent reference (tests/reference.py) must catch a wrong symbolic pdf
import dataclasses  # noqa: E402
from typing import Any, Callable  # noqa: E402

import pytest  # noqa: E402

import reference  # noqa: E402


@dataclasses.dataclass(frozen=True)
class Shown:
    """A result whose symbolic pdf (what the user reads) and compiled evaluator can disagree."""
    pdf: sp.Expr
    var: sp.Symbol
    support: sp.Set
    fast: Callable[..., np.ndarray]
    atoms: dict = dataclasses.field(default_factory=dict)

    def numpy(self) -> Callable[..., np.ndarray]:
        return self.fast


CHI2_1 = sp.Piecewise((sp.exp(-y / 2) / sp.sqrt(2 * sp.pi * y), y > 0), (0, True))
ONE_BRANCH = sp.Piecewise((sp.exp(-y / 2) / (2 * sp.sqrt(2 * sp.pi * y)), y > 0), (0, True))  # x > 0 only
chi2_np = lambda t, **v: np.where(t > 0, np.exp(-np.abs(t) / 2) / np.sqrt(2 * np.pi * np.abs(t)), 0.0)  # noqa: E731
PROBE = np.array([0.05, 0.3, 1.0, 2.5, 6.0])


def _normal_square_reference(ys: np.ndarray) -> np.ndarray:
    fx = lambda t: np.exp(-t**2 / 2) / np.sqrt(2 * np.pi)  # noqa: E731
    return reference.reference_pdf(fx, np.square, ys, (-40.0, 40.0))


def test_reference_finds_every_preimage():
    np.testing.assert_allclose(_normal_square_reference(PROBE), chi2_np(PROBE), rtol=1e-9)
    # x**3 - 3x on N(0, 1): three preimages for |y| < 2, one outside
    fx = lambda t: np.exp(-t**2 / 2) / np.sqrt(2 * np.pi)  # noqa: E731
    g = lambda t: t**3 - 3 * t  # noqa: E731
    for yv in (0.7, -1.9, 3.0):
        roots = np.roots([1, 0, -3, -yv])
        roots = roots[np.abs(roots.imag) < 1e-12].real
        want = np.sum(fx(roots) / np.abs(3 * roots**2 - 3))
        assert reference.reference_pdf(fx, g, [yv], (-40, 40))[0] == pytest.approx(want, rel=1e-9)
    # a touching root (tangency) inside one grid cell is still found: (x - 0.3)**2 near y = 0
    got = reference.reference_pdf(lambda t: np.ones_like(t), lambda t: (t - 0.3) ** 2, [1e-12], (0, 1))[0]
    assert got == pytest.approx(2 / (2 * 1e-6), rel=1e-4)


def test_correct_symbolic_pdf_passes():
    reference.check_univariate(Shown(CHI2_1, y, sp.Interval(0, sp.oo), chi2_np), {}, PROBE, _normal_square_reference)


WRONG = {
    # a branch dropped, numpy() right: the mass and the reference both see it
    "one-branch": Shown(ONE_BRANCH, y, sp.Interval(0, sp.oo), chi2_np),
    # half of the truth everywhere, numpy() also half
    "half": Shown(ONE_BRANCH, y, sp.Interval(0, sp.oo), lambda t, **v: chi2_np(t) / 2),
    # symbolic right, numpy() wrong
    "numpy-wrong": Shown(CHI2_1, y, sp.Interval(0, sp.oo), lambda t, **v: chi2_np(t) * 1.001),
    # a nan where the pdf should be: no comparison may pass it
    "nan": Shown(sp.Piecewise((sp.nan, y > 0), (0, True)), y, sp.Interval(0, sp.oo), chi2_np),
    # complex values (a principal root of a negative number) are not a density
    "complex": Shown(sp.Piecewise((CHI2_1.args[0][0] * (1 + sp.I * 1e-6), y > 0), (0, True)), y,
                     sp.Interval(0, sp.oo), chi2_np),
}


@pytest.mark.parametrize("name", list(WRONG))
def test_wrong_symbolic_pdf_is_caught(name: str):
    with pytest.raises(AssertionError):
        reference.check_univariate(WRONG[name], {}, PROBE, _normal_square_reference)


def test_each_check_fails_on_its_own():
    Y = WRONG["one-branch"]
    mass, atoms = reference.symbolic_mass(Y)
    assert mass == pytest.approx(0.5, abs=1e-7) and atoms == 0
    with pytest.raises(AssertionError, match="independent reference"):
        reference.assert_close(reference.symbolic_pdf_values(Y, PROBE), _normal_square_reference(PROBE), PROBE,
                               "symbolic pdf vs independent reference")
    # and a symbolic pdf with an unbound parameter is refused, not evaluated
    with pytest.raises(AssertionError, match="unbound"):
        reference.symbolic_pdf_values(Shown(CHI2_1 * sp.Symbol("c"), y, sp.Interval(0, sp.oo), chi2_np), PROBE)


def test_wrong_joint_pdf_is_caught():
    """The issue's bug: a branch sum of two equal terms shown as one term (half the mass)."""
    u, v = sp.symbols("u v", real=True)

    @dataclasses.dataclass(frozen=True)
    class ShownJoint:
        pdf: sp.Expr
        vars: tuple
        fast: Any

        def numpy(self):
            return self.fast

    right = sp.Piecewise((sp.exp(-u / 2 - v**2 / 2) / (2 * sp.pi * sp.sqrt(u)), u > 0), (0, True))
    fast = sp.lambdify((u, v), right, "numpy")
    X = np.random.default_rng(0).normal(size=(20, 2))
    normal = lambda Z: np.exp(-(Z**2).sum(1) / 2) / (2 * np.pi)  # noqa: E731
    G = lambda Z: np.stack([Z[:, 0] ** 2, Z[:, 1]], 1)  # noqa: E731
    Y, want = reference.reference_joint_pdf(normal, G, X, [lambda Z: Z, lambda Z: Z * np.array([-1.0, 1.0])])
    reference.check_joint(ShownJoint(right, (u, v), fast), Y, want)
    assert reference.symbolic_mass_2d(ShownJoint(right, (u, v), fast), ((0, 60), (-12, 12))) == pytest.approx(1, abs=1e-5)
    half = ShownJoint(right / 2, (u, v), fast)
    with pytest.raises(AssertionError, match="independent reference"):
        reference.check_joint(half, Y, want)
    assert reference.symbolic_mass_2d(half, ((0, 60), (-12, 12))) == pytest.approx(0.5, abs=1e-5)
    with pytest.raises(AssertionError, match="numpy"):  # symbolic right, numpy() half
        reference.check_joint(ShownJoint(right, (u, v), lambda a, b: fast(a, b) / 2), Y, want)
    with pytest.raises(AssertionError, match="preimage"):  # a wrong branch list is refused, not summed
        reference.reference_joint_pdf(normal, G, X, [lambda Z: Z, lambda Z: -Z])
