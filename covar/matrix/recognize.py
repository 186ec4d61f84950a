"""Recognition of matrix laws: Wishart and inverse Wishart candidates, confirmed numerically.

A map proposes the family its result should belong to (a congruence of a Wishart is a
Wishart, the inverse of a Wishart an inverse Wishart); :func:`recognize` accepts the name only
when the derived density equals the family's density at sampled points for several parameter
draws, so a name is never attached on faith.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp
from sympy.printing.str import StrPrinter

if TYPE_CHECKING:  # pragma: no cover
    from covar.matrix.variates import MatrixDensity


@dataclass(frozen=True)
class MatrixFamily:
    """A named matrix law: ``name`` (Wishart, InverseWishart, Bartlett) and its sympy arguments."""

    name: str
    args: tuple[sp.Basic, ...]

    def __str__(self) -> str:
        """Wishart(n, Sigma), InverseWishart(5, [[1, 0], [0, 2]]), Wishart(n, Sigma^-1): one line."""
        return f"{self.name}({', '.join(_FamilyPrinter().doprint(a) for a in self.args)})"


class _FamilyPrinter(StrPrinter):
    """sympy's str, with matrices as nested lists and inverses as M^-1 (on one line)."""

    def _print_MatrixBase(self, m: sp.MatrixBase) -> str:
        return "[" + ", ".join("[" + ", ".join(self._print(v) for v in row) + "]" for row in m.tolist()) + "]"

    _print_ImmutableDenseMatrix = _print_MatrixBase

    def _print_Inverse(self, e: sp.Inverse) -> str:
        arg = self._print(e.arg)
        return f"{arg}^-1" if isinstance(e.arg, sp.MatrixSymbol) else f"({arg})^-1"


def recognize(law: "MatrixDensity", name: str, n: sp.Expr, scale: sp.Basic, points: int = 6) -> "MatrixFamily | None":
    """``MatrixFamily(name, (n, scale))`` when ``law`` is that Wishart / inverse Wishart law.

    For two parameter draws, the derived density (``numpy()``) must equal scipy's density of
    the candidate (scale evaluated numerically) at sampled points of the law.
    """
    from scipy import stats

    from covar.matrix.checks import matrix_draws, numeric_matrix, well_conditioned
    from covar.numeric.verify import close_each, to_float

    rng = np.random.default_rng(20261130)
    family = stats.wishart if name == "Wishart" else stats.invwishart
    f = law.numpy()
    for values in matrix_draws(law, 2):
        try:
            S = numeric_matrix(scale, law, values)
            candidate = family(df=to_float(n, values), scale=S)
        except (ValueError, np.linalg.LinAlgError):
            return None
        Ys = well_conditioned(law.sample(8 * points, rng, values), points)
        theirs = np.array([candidate.pdf(Yk) for Yk in Ys])
        if not np.all(close_each(f(Ys, **{s.name: float(v) for s, v in values.items()}), theirs, rtol=1e-8)):
            return None
    return MatrixFamily(name, (n, scale))


def agree(law: "MatrixDensity", other_pdf: sp.Expr, points: int = 6) -> bool:
    """Whether ``other_pdf`` (in the law's entries) equals ``law.pdf`` at sampled points of the law."""
    from covar.matrix.checks import matrix_draws
    from covar.matrix.variates import free_entries
    from covar.numeric.verify import close_each

    rng = np.random.default_rng(20261130)
    args = (*law.entries, *law.params)
    mine = sp.lambdify(args, law.pdf, modules=["scipy", "numpy"])
    theirs = sp.lambdify(args, other_pdf, modules=["scipy", "numpy"])
    for values in matrix_draws(law, 2):
        cols = free_entries(law.sample(points, rng, values), lower=law.lower).T
        scalars = [float(values[s]) for s in law.params]
        with np.errstate(all="ignore"):
            a, b = mine(*cols, *scalars), theirs(*cols, *scalars)
        if not np.all(close_each(a, b, rtol=1e-8)):
            return False
    return True


def bartlett_pdf(law: "MatrixDensity", n: Any, C: sp.Matrix | None = None) -> sp.Expr:
    """The Bartlett law of the Cholesky factor L of a Wishart(n, Σ): for Σ = I the entries are
    independent, L_ii ~ Chi(n - i + 1) and L_ij ~ Normal(0, 1) (i > j); for Σ = C Cᵀ (C the lower
    Cholesky factor) L = C B with B such a factor, so f_L(L) = f_B(C⁻¹L) ∏_i C_ii^(-i) (the map
    B ↦ C B multiplies column j of B's lower triangle by C's lower block from j on)."""
    p = law.p
    B = law.matrix if C is None else C.inv() * law.matrix
    terms = []
    for i in range(p):
        k = n - i
        terms.append(B[i, i] ** (k - 1) * sp.exp(-B[i, i] ** 2 / 2) / (2 ** (k / 2 - 1) * sp.gamma(k / 2)))
        terms += [sp.exp(-B[i, j] ** 2 / 2) / sp.sqrt(2 * sp.pi) for j in range(i)]
        if C is not None:
            terms.append(C[i, i] ** -(i + 1))
    return sp.Mul(*terms)
