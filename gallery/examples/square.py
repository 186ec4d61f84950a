"""Square of a standard normal: chi-square(1), from two branches."""
import sympy.stats as st

import covar
from gallery import Example

COST = 15


def example() -> Example:
    X = covar.Density.from_stats(st.Normal("X", 0, 1))
    return Example(
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
        X=X, g=X.var ** 2,
    )
