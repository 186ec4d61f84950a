"""Shift: Y = X + 1 for X ~ N(0, 1)."""
import sympy.stats as st

import covar
from gallery import Example

COST = 3


def example() -> Example:
    X = covar.Density.from_stats(st.Normal("X", 0, 1))
    return Example(
        name="shift",
        title=r"Shift: $Y = X + 1,\ X \sim \mathcal{N}(0, 1)$",
        explanation=(
            "The map g(x) = x + 1 is increasing on the whole line with inverse h(y) = y − 1 and "
            "|h'(y)| = 1, so f_Y(y) = f_X(y − 1): the wire is moved one unit to the right without "
            "being stretched anywhere, and the height of the curve never changes. The result is "
            "N(1, 1). Every frame of the animation is the same bell curve, translated by t."
        ),
        X=X, g=X.var + 1,
    )
