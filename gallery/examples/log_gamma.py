"""Log of a Gamma variable: Y = log X for X ~ Gamma(5, 1)."""
import sympy as sp
import sympy.stats as st

import covar
from gallery import Example

COST = 60


def example() -> Example:
    X = covar.Density.from_stats(st.Gamma("X", 5, 1))
    return Example(
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
        X=X, g=sp.log(X.var), frame_timeout=30.0,
    )
