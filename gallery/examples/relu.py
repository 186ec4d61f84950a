"""max(0, X): a mixed law with a point mass at 0."""
import sympy as sp
import sympy.stats as st

import covar
from gallery import Example

COST = 4


def example() -> Example:
    X = covar.Density.from_stats(st.Normal("X", 0, 1))
    return Example(
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
        X=X, g=sp.Max(0, X.var),
    )
