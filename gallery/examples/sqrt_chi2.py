"""Square root of a chi-square(1) variable: half-normal, not N(0, 1)."""
import sympy as sp
import sympy.stats as st

import covar
from gallery import Example

COST = 15


def example() -> Example:
    X = covar.Density.from_stats(st.ChiSquared("X", 1))
    x = X.var
    return Example(
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
        X=X, g=sp.sqrt(x), xlim=(-2.0, 8.0), ylim=(-3.0, 3.0),
        extra_maps=((-sp.sqrt(-x), r"tutorial's branch $x = -y^2$ ($f_X = 0$ there)"),),
    )
