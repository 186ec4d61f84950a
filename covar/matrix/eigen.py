"""The joint density of the eigenvalues of a 2×2 Wishart matrix, derived by integrating out the rotation.

Write X = R(θ) diag(l₁, l₂) R(θ)ᵀ with l₁ > l₂ > 0 and θ ∈ [0, π): the free entries
(x11, x12, x22) have Jacobian |∂x/∂(l₁, l₂, θ)| = l₁ − l₂. With a₁ ≥ a₂ the eigenvalues of Σ⁻¹,
tr(Σ⁻¹X) = (a₁+a₂)(l₁+l₂)/2 + (a₁−a₂)(l₁−l₂)cos(2(θ−φ))/2, and
∫₀^π exp(−b cos 2(θ−φ)) dθ = π I₀(b), so

f(l₁, l₂) = π C (l₁l₂)^((n−3)/2) (l₁ − l₂) exp(−tr(Σ⁻¹)(l₁+l₂)/4) I₀((a₁−a₂)(l₁−l₂)/4)

with C the Wishart constant and (a₁−a₂)² = tr(Σ⁻¹)² − 4 det Σ⁻¹.

>>> import covar
>>> E = covar.matrix.eigenvalue_density(covar.matrix.Wishart(4, [[1, 0], [0, 1]]))
>>> E.pdf
sqrt(l1)*sqrt(l2)*(l1 - l2)*exp(-l1/2 - l2/2)/8
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from covar.errors import UnsupportedTransform
from covar.laws.joint import JointDensity, Sampler
from covar.matrix.variates import MatrixDensity, multigamma


def eigenvalue_density(W: MatrixDensity) -> JointDensity:
    """The joint law of the eigenvalues l1 > l2 of a 2×2 Wishart matrix, verified by covar's joint
    gate (for symbolic parameters: at numeric draws of them)."""
    from covar.matrix.checks import matrix_draws
    from covar.numeric.verify import verify

    if W.family is None or W.family.name != "Wishart" or W.p != 2:
        raise UnsupportedTransform("covar derives the eigenvalue law of a 2×2 Wishart matrix; "
                                   f"got {W.family or 'a derived law'} with p = {W.p}")
    n, scale = W.family.args
    S = W.explicit(scale) if isinstance(scale, sp.MatrixSymbol) else sp.ImmutableMatrix(scale)
    P = S.inv()
    tr, det = sp.factor(P.trace()), sp.factor(P.det())
    gap = sp.sqrt(sp.factor(tr ** 2 - 4 * det))
    l1, l2 = sp.symbols("l1 l2", positive=True)
    C = 1 / (2 ** n * S.det() ** (n / 2) * multigamma(n / 2, 2))
    bessel = sp.besseli(0, gap * (l1 - l2) / 4)
    pdf = sp.pi * C * (l1 * l2) ** ((n - 3) / 2) * (l1 - l2) * sp.exp(-tr * (l1 + l2) / 4) * bessel
    pdf = sp.expand_power_base(pdf, force=True)

    def sampler(size: int, rng: np.random.Generator, values: dict) -> np.ndarray:
        named = {sp.Symbol(k, real=True) if isinstance(k, str) else k: v for k, v in values.items()}
        return np.linalg.eigvalsh(W.sample(size, rng, named))[:, ::-1]

    law = JointDensity(pdf, (l1, l2), sp.And(l1 > l2, l2 > 0), sampler=sampler)
    params = W.params
    for values in (matrix_draws(W) if params else [{}]):
        at = JointDensity(pdf.xreplace(values), (l1, l2), law.support, sampler=_at(sampler, values))
        verify(at, "eigenvalue law" + (" at a parameter draw" if values else ""))
    return law


def _at(sampler: Sampler, values: dict) -> Sampler:
    """The sampler with the parameters fixed at ``values``."""
    def draw(size: int, rng: np.random.Generator, _given: dict) -> np.ndarray:
        return sampler(size, rng, values)

    return draw
