"""A RealNVP affine coupling layer acting on a standard 2-D Gaussian."""
import sympy as sp
import sympy.stats as st

import covar
from gallery import Example

COST = 8
ANIMATED = False


def example() -> Example:
    from covar import flows

    J = covar.independent(st.Normal("Z1", 0, 1), st.Normal("Z2", 0, 1))
    z1, z2 = J.vars
    layer = flows.AffineCoupling((1, 0), s=(sp.tanh(z1),), t=(z1 ** 2 / 2,), inputs=J.vars)
    return Example(
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
        X=J, g=layer.forward, y=layer.outputs, kind="joint", log_det=layer.log_det_jacobian,
        xlim=((-3.0, 3.0), (-3.0, 3.0)), ylim=((-3.0, 3.0), (-3.5, 7.0)),
    )
