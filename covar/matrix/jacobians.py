"""The structural Jacobians |∂X/∂Y| of the matrix maps, each with the reason it holds.

All are with respect to the free entries (p(p+1)/2 of a symmetric matrix, or of a
lower-triangular one) and are written with det, trace and the eigenvalues of Y:

* congruence Y = A X Aᵀ: dY = |det A|^(p+1) dX;
* inversion Y = X⁻¹: dY = |det Y|^(p+1) dX, so |∂X/∂Y| = |det Y|^-(p+1);
* square X = Y²: |∂X/∂Y| = ∏_{i≤j}|λ_i + λ_j| = 2^p |det Y| ∏_{i<j}|λ_i + λ_j|;
* Cholesky X = L Lᵀ: |∂X/∂L| = 2^p ∏ L_ii^(p-i+1).

>>> Y = sp.MatrixSymbol("Y", 3, 3)
>>> pair_sums(Y, 3)
(-Trace(Y**2)/2 + Trace(Y)**2/2)*Trace(Y) - Determinant(Y)
"""
from __future__ import annotations

import sympy as sp

from covar.matrix.record import Jacobian
from covar.record import Label


def pair_sums(Y: sp.MatrixSymbol, p: int) -> sp.Expr:
    """∏_{i<j}(λ_i + λ_j) over the eigenvalues of Y, written with traces and determinants.

    p = 2: λ₁ + λ₂ = tr Y; p = 3: e₁e₂ − e₃ with e₁ = tr Y, e₂ = (tr(Y)² − tr(Y²))/2, e₃ = det Y.
    """
    if p == 2:
        return sp.Trace(Y)
    if p == 3:
        e2 = (sp.Trace(Y) ** 2 - sp.Trace(Y ** 2)) / 2
        return sp.Trace(Y) * e2 - sp.Determinant(Y)
    raise NotImplementedError(f"the square-root Jacobian is written for p = 2, 3 (got {p})")


def congruence(A: sp.Basic, p: int) -> Jacobian:
    """X = A⁻¹ Y A⁻ᵀ: |∂X/∂Y| = |det A|^-(p+1)."""
    return Jacobian(Label(f"|∂X/∂Y| = |det A|⁻⁽ᵖ⁺¹⁾, p = {p}", rf"\left|\partial X/\partial Y\right| = "
                          rf"|\det A|^{{-(p+1)}}, p = {p}"),
                    sp.Abs(sp.Determinant(A)) ** (-(p + 1)),
                    "X ↦ A X Aᵀ is linear on symmetric matrices and multiplicative in A; for A = diag(a) it "
                    "scales the entry (i, j) by a_i a_j, so its determinant is ∏_{i≤j} a_i a_j = det(A)^(p+1); "
                    "every nonsingular A is a product of such factors and orthogonal ones (determinant ±1).")


def inversion(Y: sp.MatrixSymbol, p: int) -> Jacobian:
    """X = Y⁻¹: |∂X/∂Y| = det(Y)^-(p+1) on positive definite Y."""
    return Jacobian(Label("|∂X/∂Y| = |det Y|⁻⁽ᵖ⁺¹⁾", r"\left|\partial X/\partial Y\right| = |\det Y|^{-(p+1)}"),
                    sp.Determinant(Y) ** (-(p + 1)),
                    "dX = −Y⁻¹ dY Y⁻¹ is the congruence of dY by Y⁻¹, so |∂X/∂Y| = |det Y⁻¹|^(p+1); "
                    "det Y > 0 on the positive definite cone.")


def square(Y: sp.MatrixSymbol, p: int, absolute: bool) -> Jacobian:
    """X = Y²: |∂X/∂Y| = 2^p det(Y) ∏_{i<j}(λ_i + λ_j) (absolute values off the positive definite cone)."""
    det, pairs = sp.Determinant(Y), pair_sums(Y, p)
    value = 2 ** p * (sp.Abs(det) * sp.Abs(pairs) if absolute else det * pairs)
    bars = "|" if absolute else ""
    return Jacobian(Label(f"|∂X/∂Y| = 2ᵖ {bars}det Y{bars} ∏₍ᵢ<ⱼ₎ {bars}λᵢ + λⱼ{bars}, p = {p}",
                          rf"\left|\partial X/\partial Y\right| = 2^p {bars}\det Y{bars}\prod_{{i<j}}"
                          rf"{bars}\lambda_i+\lambda_j{bars}, p = {p}"),
                    value,
                    "dX = Y dY + dY Y; in the eigenbasis of Y (an orthogonal change of basis, determinant ±1) "
                    "the entry (i, j) of dY is multiplied by λ_i + λ_j, so |∂X/∂Y| = ∏_{i≤j}|λ_i + λ_j|: "
                    "the diagonal gives 2^p |det Y|, the pairs i < j the symmetric function written in traces.")


def cholesky(L: sp.MatrixSymbol, p: int) -> Jacobian:
    """X = L Lᵀ: |∂X/∂L| = 2^p ∏_i L_ii^(p-i+1) (i from 1) on lower-triangular L with L_ii > 0."""
    return Jacobian(Label("|∂X/∂L| = 2ᵖ ∏ᵢ Lᵢᵢᵖ⁻ⁱ⁺¹", r"\left|\partial X/\partial L\right| = "
                          r"2^p\prod_i L_{ii}^{p-i+1}"),
                    2 ** p * sp.Mul(*[L[i, i] ** (p - i) for i in range(p)]),
                    "ordering the entries x_ij (i ≥ j) column by column, ∂x_ij/∂l_ij is 2 l_jj on the "
                    "diagonal and l_jj below it, and ∂x_ij depends on l_kl only for (k, l) earlier in that "
                    "order: the Jacobian is triangular with determinant ∏_j 2 l_jj · l_jj^(p-j).")
