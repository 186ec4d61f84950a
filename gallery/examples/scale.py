"""Scale: Y = 2X for X ~ N(0, 1)."""
import sympy.stats as st

import covar
from gallery import Example

COST = 3


def example() -> Example:
    X = covar.Density.from_stats(st.Normal("X", 0, 1))
    return Example(
        name="scale",
        title=r"Scale: $Y = 2X,\ X \sim \mathcal{N}(0, 1)$",
        explanation=(
            "The map g(x) = 2x stretches the line uniformly: h(y) = y/2 and |h'(y)| = 1/2, so "
            "f_Y(y) = f_X(y/2)/2. Every piece of the wire becomes twice as long, so to keep the "
            "total mass 1 its density halves: the result is normal with mean 0 and standard deviation 2 "
            "(variance 4; covar labels it Normal(0, 2), mean and standard deviation), twice as "
            "wide and half as tall. Along the animation g_t(x) = (1 + t)x and the height falls as 1/(1 + t)."
        ),
        X=X, g=2 * X.var,
    )
