"""The gallery's examples as one table of rows, in the order of the index.

A row names its input law (sympy.stats families with their parameters; two laws make an
independent joint law), its map as a function of the law's variables, and the text of the
index. :meth:`Example.problem` turns a row into the covar objects the build derives and draws.

>>> NAMES[:3]
('shift', 'scale', 'log_gamma')
>>> by_name("composition").stages, by_name("polar").animated
(2, False)
>>> problem = by_name("square").problem()
>>> problem.g, problem.X.var
(x**2, x)
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy as sp

#: one input variable: its name, a sympy.stats family and the family's parameters
Law = tuple[Any, ...]
N01 = ("Normal", 0, 1)


@dataclass(frozen=True)
class Problem:
    """What one example derives and draws: covar's law X, the map g and what the figure needs.

    ``y`` names the new variables of a joint map; ``log_det`` may give log|det J| from the
    structure of the map; ``extra_maps`` are (curve, label) pairs drawn on the map panel.
    """

    X: Any
    g: Any
    y: tuple[sp.Symbol, ...] = ()
    extra_maps: tuple[tuple[sp.Expr, str], ...] = ()
    log_det: sp.Expr | None = None


@dataclass(frozen=True)
class Example:
    """One gallery entry.

    ``laws`` holds one (name, family, *parameters) per input variable; ``g`` is called with
    those variables and returns the map: an expression, a list of one-argument maps (a
    composition, drawn step by step), a tuple of expressions (a joint map into ``y``), or a
    covar flow layer. ``xlim``/``ylim`` bound the panels (boxes ((a, b), (c, d)) for a joint
    example); ``extra_maps`` are (function of the variable, label) curves on the map panel.
    ``frame_timeout`` is the engine's budget per animation frame and ``cost`` a rough build
    time in seconds (the slowest are scheduled first); ``stages`` is the number of maps that
    are animated in turn.
    """

    name: str
    title: str
    explanation: str
    laws: tuple[Law, ...]
    g: Callable[..., Any]
    y: tuple[str, ...] = ()
    xlim: tuple | None = None
    ylim: tuple | None = None
    extra_maps: tuple[tuple[Callable[[sp.Symbol], sp.Expr], str], ...] = ()
    frame_timeout: float = 5.0
    cost: float = 1.0
    stages: int = 1
    matrix: Callable[[], Any] | None = None  # builds the input matrix variate (then g() is the map text)

    @property
    def kind(self) -> str:
        """"univariate", "joint" (more than one input variable) or "matrix" (a random matrix)."""
        if self.matrix is not None:
            return "matrix"
        return "joint" if len(self.laws) > 1 else "univariate"

    @property
    def animated(self) -> bool:
        """Whether the build animates the map (joint maps get a still figure only)."""
        return self.kind != "joint"

    def problem(self) -> Problem:
        """The covar law and map of this row (builds sympy objects; cheap, but not free)."""
        import sympy.stats as st

        import covar
        from covar.flows import Layer

        if self.matrix is not None:
            return Problem(self.matrix(), self.g())
        laws = [getattr(st, family)(name, *parameters) for name, family, *parameters in self.laws]
        if self.kind == "univariate":
            X = covar.Density.from_stats(laws[0])
            return Problem(X, self.g(X.var), extra_maps=tuple((f(X.var), label) for f, label in self.extra_maps))
        J = covar.independent(*laws)
        g = self.g(*J.vars)
        if isinstance(g, Layer):
            return Problem(J, g.forward, y=g.outputs, log_det=g.log_det_jacobian)
        return Problem(J, g, y=tuple(sp.Symbol(n, real=True) for n in self.y))


def _wishart() -> Any:
    """The 2×2 Wishart input of the matrix example."""
    import covar

    return covar.matrix.Wishart(5, [[2, 1], [1, 2]])


def _realnvp(z1: sp.Symbol, z2: sp.Symbol) -> Any:
    """The coupling layer of the RealNVP example: y2 = z2*exp(tanh z1) + z1**2/2."""
    from covar import flows

    return flows.AffineCoupling((1, 0), s=(sp.tanh(z1),), t=(z1 ** 2 / 2,), inputs=(z1, z2))


EXAMPLES: tuple[Example, ...] = (
    Example(
        name="shift",
        title=r"Shift: $Y = X + 1,\ X \sim \mathcal{N}(0, 1)$",
        explanation=(
            "The map g(x) = x + 1 is increasing on the whole line with inverse h(y) = y − 1 and "
            "|h'(y)| = 1, so f_Y(y) = f_X(y − 1): the wire is moved one unit to the right without "
            "being stretched anywhere, and the height of the curve never changes. The result is "
            "N(1, 1). Every frame of the animation is the same bell curve, translated by t."
        ),
        laws=(("X", *N01),), g=lambda x: x + 1, cost=3,
    ),
    Example(
        name="scale",
        title=r"Scale: $Y = 2X,\ X \sim \mathcal{N}(0, 1)$",
        explanation=(
            "The map g(x) = 2x stretches the line uniformly: h(y) = y/2 and |h'(y)| = 1/2, so "
            "f_Y(y) = f_X(y/2)/2. Every piece of the wire becomes twice as long, so to keep the "
            "total mass 1 its density halves: the result is normal with mean 0 and standard deviation 2 "
            "(variance 4; covar labels it Normal(0, 2), mean and standard deviation), twice as "
            "wide and half as tall. Along the animation g_t(x) = (1 + t)x and the height falls as 1/(1 + t)."
        ),
        laws=(("X", *N01),), g=lambda x: 2 * x, cost=3,
    ),
    Example(
        name="log_gamma",
        title=r"Log of a Gamma: $Y = \log X,\ X \sim \mathrm{Gamma}(5, 1)$",
        explanation=(
            "log is increasing on (0, ∞) with inverse h(y) = e^y and |h'(y)| = e^y, so "
            "f_Y(y) = f_X(e^y)·e^y = e^{5y − e^y}/4!, the log-gamma (exp-gamma) law on the whole "
            "line. The log stretches (0, 1) over all of (−∞, 0) and compresses (1, ∞): the left "
            "tail of Y decays only like e^{5y} while the right tail dies off doubly exponentially, "
            "so Y is skewed to the left. With shape 5 the result already looks nearly Gaussian "
            "(the log of a Gamma(k) tends to a normal as k grows). The intermediate maps "
            "(1 − t)x + t·log x are still increasing, but their inverses need the Lambert W "
            "function, which covar finds; a frame whose inverse takes longer than its time budget "
            "is shown without a density and says so."
        ),
        laws=(("X", "Gamma", 5, 1),), g=sp.log, frame_timeout=30.0, cost=60,
    ),
    Example(
        name="sqrt_chi2",
        title=r"$Y = \sqrt{X},\ X \sim \chi^2_1$: a half-normal, not $\mathcal{N}(0, 1)$",
        explanation=(
            "X ~ χ²(1) lives on [0, ∞) and √x is increasing there, so there is exactly one "
            "branch: h(y) = y² with |h'(y)| = 2y for y > 0, and f_Y(y) = f_X(y²)·2y = "
            "√(2/π)·e^{−y²/2} on [0, ∞) — the half-normal, twice the standard normal density on "
            "the positive half-line and 0 below it (the principal square root is never "
            "negative). The tutorial this gallery started from adds a second branch "
            "h₁(y) = −y² for y < 0 and concludes that Y ~ N(0, 1) on all of R. That branch sends "
            "y to x = −y² < 0, outside the support of X, where f_X = 0 (the dashed red curve in "
            "the map panel runs through the hatched region): it contributes nothing, and there is "
            "no y < 0 for which g(x) = y has a solution. The tutorial's second term plugs x = −y² "
            "into the χ²(1) formula while dropping its support indicator 1{x ≥ 0}, which is 0 "
            "there; with the indicator kept the term vanishes and only the half-normal remains. "
            "covar records the rejected candidate in the derivation's notes and returns the "
            "half-normal, which is also the law of |Z| for Z ~ N(0, 1) (see |X| and the "
            "composition below)."
        ),
        laws=(("X", "ChiSquared", 1),), g=sp.sqrt, xlim=(-2.0, 8.0), ylim=(-3.0, 3.0),
        extra_maps=((lambda x: -sp.sqrt(-x), r"tutorial's branch $x = -y^2$ ($f_X = 0$ there)"),),
        cost=15,
    ),
    Example(
        name="square",
        title=r"$Y = X^2,\ X \sim \mathcal{N}(0, 1)$: two branches make $\chi^2_1$",
        explanation=(
            "x² is decreasing on (−∞, 0) and increasing on (0, ∞); both pieces map onto (0, ∞), "
            "with inverses −√y and √y and |h'(y)| = 1/(2√y) each. Every y > 0 therefore has two "
            "preimages and f_Y(y) = 2·φ(√y)/(2√y) = e^{−y/2}/√(2πy), the χ²(1) density; no x "
            "maps below 0, so f_Y = 0 there. The two coloured areas in the output panel are the "
            "two branches' contributions, stacked. Along the animation g_t(x) = (1 − t)x + tx² "
            "has a minimum at x = −(1 − t)/(2t): below the minimum value nothing lands, and just "
            "above it the two branches meet at a fold where |h'| blows up, giving an integrable "
            "1/√ spike that slides to y = 0 as t → 1."
        ),
        laws=(("X", *N01),), g=lambda x: x ** 2, cost=15,
    ),
    Example(
        name="abs_value",
        title=r"$Y = |X|,\ X \sim \mathcal{N}(0, 1)$: folding the line",
        explanation=(
            "|x| folds the negative half-line onto the positive one: on (−∞, 0) it is decreasing "
            "with h(y) = −y, on (0, ∞) increasing with h(y) = y, and |h'| = 1 on both. Each "
            "y > 0 receives φ(−y) + φ(y) = 2φ(y), the half-normal; y < 0 has no preimage. This "
            "is the same law as √X for X ~ χ²(1), as it must be: √(Z²) = |Z|. Along the "
            "animation g_t(x) = x for x > 0 and (1 − 2t)x for x < 0: the left half is first "
            "squeezed towards 0 (its density grows as 1/|1 − 2t|), at t = 1/2 it is flattened "
            "into the single point 0 (for that instant a point mass of 1/2, which covar reports "
            "as an atom), and after that it unfolds onto the positive side, where it lands on "
            "top of the right half."
        ),
        laws=(("X", *N01),), g=sp.Abs, cost=4,
    ),
    Example(
        name="relu",
        title=r"$Y = \max(0, X),\ X \sim \mathcal{N}(0, 1)$: a point mass at 0",
        explanation=(
            "max(0, x) (a ReLU) is constant on (−∞, 0): that whole half-line, with probability "
            "1/2, is sent to the single point y = 0, so Y has an atom P(Y = 0) = 1/2, drawn as a "
            "stem whose height is the mass. On (0, ∞) the map is the identity and Y keeps the "
            "density φ(y). Y has no density in the usual sense: its continuous part integrates "
            "to 1/2, the other half is the atom. In the animation the left half is compressed "
            "by the factor (1 − t), its density growing as 1/(1 − t), until at t = 1 it "
            "collapses into the atom."
        ),
        laws=(("X", *N01),), g=lambda x: sp.Max(0, x), cost=4,
    ),
    Example(
        name="composition",
        title=r"Composition: $Z = \sqrt{Y},\ Y = X^2,\ X \sim \mathcal{N}(0, 1)$",
        explanation=(
            "Maps compose, and so do their derivations: covar first derives Y = X² (two "
            "branches, χ²(1)), then takes that result as the input of Z = √Y (one branch on "
            "Y's support [0, ∞)). Each row of the figure is one step, with its own pieces and "
            "inverses, and the record keeps both (`Z.derivation.steps`). The end result is the "
            "half-normal √(2/π)·e^{−z²/2} on [0, ∞), the same as |X| in one step, because "
            "√(x²) = |x|. The animation plays the two morphs one after the other."
        ),
        laws=(("X", *N01),), g=lambda _x: [lambda v: v ** 2, sp.sqrt], cost=25, stages=2,
    ),
    Example(
        name="polar",
        title=r"Polar coordinates: $(R, \Theta) = (\sqrt{X_1^2 + X_2^2},\ \mathrm{atan2}(X_2, X_1))$",
        explanation=(
            "The map (x₁, x₂) ↦ (r, θ) is a bijection from the plane minus the origin onto "
            "r > 0, −π < θ ≤ π, with inverse (r cos θ, r sin θ) and |det J_h| = r. Hence "
            "f(r, θ) = r·e^{−r²/2}/(2π): it factorises, so R and Θ are independent, R is "
            "Rayleigh and Θ is uniform. The straight grid lines of the left panel become the "
            "curves in the middle panel (lines through the origin region wrap at θ = ±π); the "
            "right panel shows log|det J_g| = −log r: the map stretches area near the origin "
            "(density falls to 0 at r = 0) and compresses it far away."
        ),
        laws=(("X1", *N01), ("X2", *N01)), g=lambda x1, x2: (sp.sqrt(x1 ** 2 + x2 ** 2), sp.atan2(x2, x1)),
        y=("r", "theta"), xlim=((-3.0, 3.0), (-3.0, 3.0)), ylim=((0.0, 3.5), (-float(sp.pi), float(sp.pi))),
        cost=8,
    ),
    Example(
        name="realnvp",
        title=r"RealNVP coupling: $y_1 = z_1,\ y_2 = z_2\,e^{\tanh z_1} + z_1^2/2$",
        explanation=(
            "An affine coupling layer keeps z₁ and moves z₂ by a scale and shift that depend on "
            "z₁ only: y₂ = z₂·exp(s(z₁)) + t(z₁), here with s = tanh and t(z₁) = z₁²/2. Its "
            "Jacobian is triangular with diagonal (1, e^{s(z₁)}), so log|det J| = s(z₁) = "
            "tanh z₁, read off the structure (`AffineCoupling.log_det_jacobian`) without "
            "expanding a determinant, and the inverse is explicit: z₂ = (y₂ − t(y₁))·e^{−s(y₁)}. "
            "covar derives the output density f_Y(y) = f_Z(z(y))·e^{−tanh y₁} and checks the "
            "inverse at sample points. The shift t bends the Gaussian into a banana; the scale "
            "widens it where z₁ > 0 (log|det J| > 0) and narrows it where z₁ < 0."
        ),
        laws=(("Z1", *N01), ("Z2", *N01)), g=_realnvp,
        xlim=((-3.0, 3.0), (-3.0, 3.0)), ylim=((-3.0, 3.0), (-3.5, 7.0)), cost=8,
    ),
    Example(
        name="wishart_sqrt",
        title=r"$Y = W^{1/2},\ W \sim \mathrm{Wishart}_2(5, \Sigma)$: four square roots, one in the image",
        explanation=(
            "A symmetric positive definite 2×2 matrix W = Q diag(λ₁, λ₂) Qᵀ has four symmetric "
            "square roots Q diag(±√λ₁, ±√λ₂) Qᵀ, one per sign vector, just as x > 0 has two real "
            "square roots. covar inverts Y ↦ Y² = W on the three free entries (y11, y12, y22): "
            "|∂W/∂Y| = 2² det Y · (λ₁ + λ₂) = 4 det(Y) tr(Y) (from dW = Y dY + dY Y in Y's "
            "eigenbasis), so f_Y(Y) = f_W(Y²)·4 det(Y) tr(Y) on positive definite Y. The right "
            "panel shows the eigenvalues of all four roots of the samples: only the (+, +) branch "
            "is positive definite, so only it lies in the image of sqrtm and the other three "
            "contribute nothing — the matrix version of √χ²(1) being the half-normal; a uniformly "
            "random symmetric root (`\"symmetric sqrt uniformly at random\"`) would spread the "
            "mass 1/4 on each. The left panels colour samples of W and of Y by the log-densities "
            "covar derived; the animation plays the off-diagonal entry as time, showing the "
            "slices W[1,2] = c of f_W and Y[1,2] = c' of f_Y with the samples near each slice."
        ),
        laws=(), g=lambda: "sqrtm", matrix=_wishart, cost=6,
    ),
)

NAMES: tuple[str, ...] = tuple(ex.name for ex in EXAMPLES)


def by_name(name: str) -> Example:
    """The row called ``name`` (KeyError if there is none)."""
    return {ex.name: ex for ex in EXAMPLES}[name]
