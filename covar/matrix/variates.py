"""Matrix variates: laws of p×p symmetric (or lower-triangular) random matrices, Wishart and inverse Wishart.

A :class:`MatrixDensity` is a density with respect to the natural measure on the free entries
of its matrix (the p(p+1)/2 entries on and above the diagonal of a symmetric matrix, or on and
below the diagonal of a lower-triangular one). It carries the density twice: ``pdf_matrix``
written with det, trace and inverse of the matrix symbol (how people write it), and ``pdf``
explicit in the free entries (what is evaluated); the second is the first with the explicit
matrices substituted.

>>> import covar
>>> W = covar.matrix.Wishart(5, [[2, 1], [1, 2]])
>>> W.entries
(x11, x12, x22)
>>> W.pdf_matrix
sqrt(3)*exp(-Trace(Matrix([
[ 2/3, -1/3],
[-1/3,  2/3]])*X)/2)*Determinant(X)/(648*pi)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar

import numpy as np
import sympy as sp

from covar.errors import InvalidDensity
from covar.laws.density import Shown
from covar.record import Label, LawSummary

if TYPE_CHECKING:  # pragma: no cover
    from covar.matrix.recognize import MatrixFamily
    from covar.matrix.record import MatrixRecord

#: the sizes covar writes explicitly in the entries (the square-root Jacobian is explicit there)
SIZES = (2, 3)

#: draws of a law's matrices: size -> (size, p, p) array, for parameter values
MatrixSampler = Callable[[int, np.random.Generator, dict], np.ndarray]


def symmetric_matrix(letter: str, p: int) -> tuple[sp.ImmutableMatrix, tuple[sp.Symbol, ...]]:
    """The symmetric p×p matrix of real symbols x11, x12, ... and its free entries (row by row).

    >>> symmetric_matrix("y", 2)
    (Matrix([
    [y11, y12],
    [y12, y22]]), (y11, y12, y22))
    """
    s = {(i, j): sp.Symbol(f"{letter}{i + 1}{j + 1}", real=True) for i in range(p) for j in range(i, p)}
    m = sp.ImmutableMatrix(p, p, lambda i, j: s[(min(i, j), max(i, j))])
    return m, tuple(s[(i, j)] for i in range(p) for j in range(i, p))


def lower_matrix(letter: str, p: int) -> tuple[sp.ImmutableMatrix, tuple[sp.Symbol, ...]]:
    """The lower-triangular p×p matrix and its free entries (row by row); the entries are only
    real, so that the support condition (a positive diagonal) stays a condition.

    >>> lower_matrix("l", 2)[0]
    Matrix([
    [l11,   0],
    [l21, l22]])
    """
    s = {(i, j): sp.Symbol(f"{letter}{i + 1}{j + 1}", real=True) for i in range(p) for j in range(i + 1)}
    m = sp.ImmutableMatrix(p, p, lambda i, j: s[(i, j)] if j <= i else 0)
    return m, tuple(s[(i, j)] for i in range(p) for j in range(i + 1))


def square_matrix(value: Any, p: int, name: str) -> tuple[sp.MatrixSymbol | None, sp.ImmutableMatrix]:
    """(symbol or None, explicit matrix) for a nonsingular p×p matrix: numeric, or a MatrixSymbol
    written in real entries A11, A12, ..."""
    if isinstance(value, sp.MatrixSymbol):
        if value.shape != (p, p):
            raise InvalidDensity(f"{name} must be {p}×{p}, got {value.shape}")
        return value, sp.ImmutableMatrix(p, p, lambda i, j: sp.Symbol(f"{value.name}{i + 1}{j + 1}", real=True))
    arr = _numeric_matrix(value, p, name)
    if arr.det() == 0:
        raise InvalidDensity(f"{name} must be nonsingular (det {name} = 0)")
    return None, arr


def _numeric_matrix(value: Any, p: int, name: str) -> sp.ImmutableMatrix:
    try:
        rows = value.tolist() if isinstance(value, (sp.MatrixBase, np.ndarray)) else list(map(list, value))
        arr = sp.ImmutableMatrix([[_number(v) for v in row] for row in rows])
    except (TypeError, ValueError, sp.SympifyError) as exc:
        raise InvalidDensity(f"{name} must be a {p}×{p} matrix (nested lists, numpy array, sympy Matrix or "
                             f"MatrixSymbol), got {value!r}") from exc
    if arr.shape != (p, p):
        raise InvalidDensity(f"{name} must be {p}×{p}, got shape {arr.shape}")
    return arr


def _number(v: Any) -> sp.Basic:
    """A matrix entry as sympy: integral floats become integers (numpy arrays are float)."""
    v = v.item() if hasattr(v, "item") else v
    if isinstance(v, float) and v.is_integer():
        return sp.Integer(int(v))
    return sp.sympify(v, strict=True)


def positive_definite(m: sp.Matrix) -> sp.Basic:
    """The condition 'm is positive definite' (Sylvester: every leading principal minor > 0)."""
    return sp.And(*[m[:k, :k].det() > 0 for k in range(1, m.shape[0] + 1)])


def multigamma(a: sp.Expr, p: int) -> sp.Expr:
    """The multivariate gamma function Γ_p(a) = π^(p(p-1)/4) ∏_j Γ(a - (j-1)/2), written out."""
    return sp.pi ** sp.Rational(p * (p - 1), 4) * sp.Mul(*[sp.gamma(a - sp.Rational(j, 2)) for j in range(p)])


def free_entries(matrices: np.ndarray, lower: bool = False) -> np.ndarray:
    """(..., p, p) matrices -> (..., d) free entries in the order of :func:`symmetric_matrix`."""
    p = matrices.shape[-1]
    idx = [(i, j) for i in range(p) for j in (range(i + 1) if lower else range(i, p))]
    return np.stack([matrices[..., i, j] for i, j in idx], axis=-1)


def from_free_entries(values: np.ndarray, p: int, lower: bool = False) -> np.ndarray:
    """The inverse of :func:`free_entries`: (..., d) -> (..., p, p)."""
    out = np.zeros(values.shape[:-1] + (p, p))
    idx = [(i, j) for i in range(p) for j in (range(i + 1) if lower else range(i, p))]
    for k, (i, j) in enumerate(idx):
        out[..., i, j] = values[..., k]
        if not lower:
            out[..., j, i] = values[..., k]
    return out


@dataclass(frozen=True, eq=False)
class MatrixDensity(Shown):
    """The law of a p×p random matrix: density on the free entries, in matrix and entry form.

    ``symbol`` is the matrix symbol of ``pdf_matrix``; ``matrix`` the explicit matrix of the
    ``entries`` symbols; ``parameters`` maps each parameter matrix symbol (Σ, A) to its explicit
    matrix; ``params`` are the scalar symbols of ``pdf``. ``sampler`` draws the matrix itself
    (the input law's sampler pushed through the maps). ``lower`` marks a lower-triangular
    variable (a Cholesky factor) instead of a symmetric one.
    """

    kind: ClassVar[str] = "matrix"  # its name in JSON
    p: int
    symbol: sp.MatrixSymbol
    matrix: sp.ImmutableMatrix
    entries: tuple[sp.Symbol, ...]
    pdf_matrix: sp.Expr
    pdf: sp.Expr
    support: sp.Basic
    support_text: str
    params: tuple[sp.Symbol, ...]
    parameters: tuple[tuple[sp.MatrixSymbol, sp.ImmutableMatrix], ...] = ()
    sampler: MatrixSampler | None = field(default=None, repr=False)
    family: "MatrixFamily | None" = None
    derivation: "MatrixRecord | None" = None
    lower: bool = False
    conditions: tuple[sp.Basic, ...] = ()  # on the scalar parameters (n > p - 1, det A != 0)
    closed_form: bool = True

    @property
    def var(self) -> sp.MatrixSymbol:
        return self.symbol

    def explicit(self, expr: sp.Basic) -> sp.Basic:
        """A matrix expression in this law's symbols, written in the entries."""
        subs = {self.symbol: self.matrix, **dict(self.parameters)}
        return expr.xreplace(subs).doit()

    def numpy(self) -> Callable[..., np.ndarray]:
        """The vectorised density: ``f(Ys, **params)`` with Ys of shape (..., p, p)."""
        from covar.matrix.evaluate import compile_density

        return compile_density(self)

    def sample(self, size: int, rng: np.random.Generator, values: dict | None = None) -> np.ndarray:
        """``size`` draws of the matrix, shape (size, p, p), for parameter ``values``."""
        if self.sampler is None:
            raise InvalidDensity("this matrix law has no sampler")
        return self.sampler(size, rng, dict(values or {}))

    def summary(self) -> LawSummary:
        name = self.symbol.name
        label = Label(f"f_{name}({name})", f"f_{{{name}}}({name})")
        return LawSummary(name, label, self.pdf_matrix, self.support, self.support, (),
                          str(self.family) if self.family else None, "density")

    def text(self) -> str:
        """The derivation as terminal text (or the law's summary for an input law)."""
        if self.derivation is not None:
            return self.derivation.text()
        return f"{self.symbol} ~ {self.family}: f = {sp.sstr(self.pdf_matrix)} on {self.support_text}"


# ---- the two families ---------------------------------------------------------------------------

def _parameter_matrix(value: Any, p: int, name: str) -> tuple[sp.MatrixSymbol | None, sp.ImmutableMatrix]:
    """(symbol or None, explicit symmetric matrix) for a numeric or symbolic parameter matrix."""
    if isinstance(value, sp.MatrixSymbol):
        if value.shape != (p, p):
            raise InvalidDensity(f"{name} must be {p}×{p}, got {value.shape}")
        m, _ = symmetric_matrix(value.name, p)
        return value, m
    arr = _numeric_matrix(value, p, name)
    if (arr - arr.T).expand() != sp.zeros(p, p):
        raise InvalidDensity(f"{name} must be symmetric, got {arr.tolist()}")
    if not arr.free_symbols:
        eig = np.linalg.eigvalsh(np.array(arr.evalf(), dtype=float))
        if not eig.min() > 0:
            raise InvalidDensity(f"{name} must be positive definite; its eigenvalues are {eig.tolist()}")
    return None, arr


def _degrees(n: Any, p: int) -> sp.Expr:
    from covar.text.values import as_expression

    n = as_expression(n, what="degrees of freedom")
    if n.is_number and not n > p - 1:
        raise InvalidDensity(f"the degrees of freedom must exceed p - 1 = {p - 1}, got {n}")
    return n


def _check_size(p: int) -> None:
    if p not in SIZES:
        raise InvalidDensity(f"covar writes matrix laws explicitly for p in {SIZES}; got p = {p}")


def scipy_sampler(name: str, n: sp.Expr, scale: sp.ImmutableMatrix) -> MatrixSampler:
    """Draws of the Wishart or inverse Wishart (``name``) with explicit scale ``scale``, by scipy."""
    from scipy import stats

    def draw(size: int, rng: np.random.Generator, values: dict) -> np.ndarray:
        from covar.numeric.verify import to_float

        df = to_float(n, values)
        s = np.array([[to_float(v, values) for v in row] for row in scale.tolist()])
        law = stats.wishart if name == "Wishart" else stats.invwishart
        out = np.asarray(law(df=df, scale=s).rvs(size=size, random_state=rng))
        return out.reshape(size, *s.shape)

    return draw


def _family_law(name: str, n: Any, scale: Any, p: int, letter: str) -> MatrixDensity:
    from covar.matrix.recognize import MatrixFamily

    _check_size(p)
    n = _degrees(n, p)
    sym, S = _parameter_matrix(scale, p, "Sigma" if name == "Wishart" else "Psi")
    X = sp.MatrixSymbol(letter.upper(), p, p)
    m, entries = symmetric_matrix(letter.lower(), p)
    S_shown = sym if sym is not None else S
    half = n / 2
    if name == "Wishart":
        kernel = sp.Determinant(X) ** ((n - p - 1) / 2) * sp.exp(-sp.Trace(sp.Inverse(S_shown) * X) / 2)
        const = 1 / (2 ** (n * p / 2) * sp.Determinant(S_shown) ** half * multigamma(half, p))
    else:
        kernel = sp.Determinant(X) ** (-(n + p + 1) / 2) * sp.exp(-sp.Trace(S_shown * sp.Inverse(X)) / 2)
        const = sp.Determinant(S_shown) ** half / (2 ** (n * p / 2) * multigamma(half, p))
    params = tuple(sorted((n.free_symbols | S.free_symbols), key=lambda s: s.name))
    law = MatrixDensity(p, X, m, entries, sp.Mul(const.doit() if sym is None else const, kernel), sp.S.Zero,
                        positive_definite(m), f"positive definite {p}×{p} matrices", params,
                        ((sym, S),) if sym is not None else (),
                        scipy_sampler(name, n, S), MatrixFamily(name, (n, S_shown)),
                        conditions=(n > p - 1,) if not n.is_number else ())
    return _with_explicit(law)


def _with_explicit(law: MatrixDensity) -> MatrixDensity:
    from dataclasses import replace

    return replace(law, pdf=law.explicit(law.pdf_matrix))


def Wishart(n: Any, Sigma: Any, p: int | None = None, letter: str = "x") -> MatrixDensity:
    """The Wishart law W_p(n, Σ) on positive definite p×p matrices (n > p - 1 degrees of freedom).

    f(X) = det(X)^((n-p-1)/2) exp(-tr(Σ⁻¹X)/2) / (2^(np/2) det(Σ)^(n/2) Γ_p(n/2)).
    ``Sigma`` is numeric (nested lists, numpy array, sympy Matrix) or symbolic (a sympy
    MatrixSymbol, written in its entries Sigma11, Sigma12, ...); ``n`` a number or a symbol.

    >>> W = Wishart(sp.Symbol("n", positive=True), sp.MatrixSymbol("Sigma", 2, 2))
    >>> W.params, W.family
    ((Sigma11, Sigma12, Sigma22, n), MatrixFamily(name='Wishart', args=(n, Sigma)))
    """
    return _family_law("Wishart", n, Sigma, _size(Sigma, p), letter)


def InverseWishart(n: Any, Psi: Any, p: int | None = None, letter: str = "x") -> MatrixDensity:
    """The inverse Wishart law W⁻¹_p(n, Ψ): the law of W⁻¹ for W ~ W_p(n, Ψ⁻¹) (scipy's invwishart).

    f(X) = det(Ψ)^(n/2) det(X)^(-(n+p+1)/2) exp(-tr(ΨX⁻¹)/2) / (2^(np/2) Γ_p(n/2)).
    """
    return _family_law("InverseWishart", n, Psi, _size(Psi, p), letter)


def _size(scale: Any, p: int | None) -> int:
    shape = scale.shape if hasattr(scale, "shape") else np.shape(np.asarray(scale, dtype=object))
    if p is None:
        return int(shape[0])
    if tuple(shape) != (p, p):
        raise InvalidDensity(f"the scale matrix must be {p}×{p}, got shape {tuple(shape)}")
    return p
