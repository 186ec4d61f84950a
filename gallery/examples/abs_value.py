"""Absolute value of a standard normal: the half-normal by folding."""
import sympy as sp
import sympy.stats as st

import covar
from gallery import Example

COST = 4


def example() -> Example:
    X = covar.Density.from_stats(st.Normal("X", 0, 1))
    return Example(
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
        X=X, g=sp.Abs(X.var),
    )
