"""Polar coordinates of a standard 2-D Gaussian."""
import sympy as sp
import sympy.stats as st

import covar
from gallery import Example

COST = 8
ANIMATED = False


def example() -> Example:
    J = covar.independent(st.Normal("X1", 0, 1), st.Normal("X2", 0, 1))
    x1, x2 = J.vars
    r, theta = sp.symbols("r theta", real=True)
    return Example(
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
        X=J, g=(sp.sqrt(x1 ** 2 + x2 ** 2), sp.atan2(x2, x1)), y=(r, theta), kind="joint",
        xlim=((-3.0, 3.0), (-3.0, 3.0)), ylim=((0.0, 3.5), (-float(sp.pi), float(sp.pi))),
    )
