"""Random matrices: Wishart and inverse Wishart variates and their matrix maps (issue 14).

``covar.matrix.Wishart(n, Sigma)`` builds a matrix variate; ``covar.transform(W, "sqrtm")``
(or "inv", "A * X * A.T", "chol", "symmetric sqrt uniformly at random") derives the law of
the image with its record; ``eigenvalue_density(W)`` gives the joint law of the eigenvalues (p = 2).
"""
from __future__ import annotations

from covar.matrix.variates import InverseWishart, MatrixDensity, Wishart

__all__ = ["InverseWishart", "MatrixDensity", "Wishart", "eigenvalue_density"]


def __getattr__(name: str) -> object:
    if name == "eigenvalue_density":
        from covar.matrix.eigen import eigenvalue_density

        return eigenvalue_density
    raise AttributeError(f"module 'covar.matrix' has no attribute {name!r}")
