"""A composition of two maps, step by step: X -> X^2 -> sqrt(X^2) = |X|."""
import sympy as sp
import sympy.stats as st

import covar
from gallery import Example

COST = 25
STAGES = 2


def example() -> Example:
    X = covar.Density.from_stats(st.Normal("X", 0, 1))
    return Example(
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
        X=X, g=[lambda v: v ** 2, lambda v: sp.sqrt(v)],
    )
