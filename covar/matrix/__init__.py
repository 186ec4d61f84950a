"""Random matrices: Wishart and inverse Wishart variates and their matrix maps (issue 14).

``covar.matrix.Wishart(n, Sigma)`` builds a matrix variate (Sigma numeric or a MatrixSymbol,
n a number or a symbol; p = 2 or 3); ``covar.transform(W, g)`` derives the law of g(W) with its
record for the maps "sqrtm", "symmetric sqrt uniformly at random", "inv", "A * X * A.T" (with
``A=...``) and "chol"; ``eigenvalue_density(W)`` gives the joint law of the eigenvalues of a
2×2 Wishart. Results are verified by the matrix gate (covar/matrix/checks.py) and have the
front ends of every law: ``.text()``, ``.latex()``, ``.to_json()`` (read back by
``covar.from_json``), ``.numpy()`` on arrays (..., p, p), and Jupyter display.

>>> import numpy as np, covar
>>> W = covar.matrix.Wishart(5, [[2, 1], [1, 2]])
>>> R = covar.transform(W, "sqrtm")
>>> R.pdf_matrix
sqrt(3)*exp(-Trace(Matrix([
[ 2/3, -1/3],
[-1/3,  2/3]])*Y**2)/2)*Determinant(Y)**3*Trace(Y)/(162*pi)
>>> [b.in_image for b in R.derivation.branches]    # only the positive definite branch of Y ↦ Y²
[True, False, False, False]
>>> R.pdf                                           # the same density, explicit in the entries
sqrt(3)*(y11 + y22)*(y11*y22 - y12**2)**3*exp(...)/(162*pi)
>>> float(R.numpy()(np.eye(2)).round(6))           # f_W(I)·|∂X/∂Y| with |∂X/∂Y| = 4 det(I) tr(I) = 8
0.003495
>>> str(covar.transform(W, "inv").family)
'InverseWishart(5, [[2/3, -1/3], [-1/3, 2/3]])'
>>> covar.from_json(R.to_json()).derivation.kind
'matrix-map'
>>> E = covar.matrix.eigenvalue_density(covar.matrix.Wishart(4, np.eye(2)))
>>> E.vars, E.pdf
((l1, l2), sqrt(l1)*sqrt(l2)*(l1 - l2)*exp(-l1/2 - l2/2)/8)
"""
from __future__ import annotations

from covar.matrix.variates import InverseWishart, MatrixDensity, Wishart

__all__ = ["InverseWishart", "MatrixDensity", "Wishart", "eigenvalue_density"]


def __getattr__(name: str) -> object:
    if name == "eigenvalue_density":
        from covar.matrix.eigen import eigenvalue_density

        return eigenvalue_density
    raise AttributeError(f"module 'covar.matrix' has no attribute {name!r}")
