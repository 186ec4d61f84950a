"""Matrix maps of a matrix variate: sqrtm, inv, congruence A X Aᵀ, chol, a random symmetric square root.

The map text is one of a small fixed vocabulary, matched exactly (no parsing of expressions):

* ``"sqrtm"``: the positive definite (principal) square root;
* ``"symmetric sqrt uniformly at random"`` (or ``"random sqrt"``): one of the 2^p symmetric
  square roots Q diag(±√λ) Qᵀ, each sign vector with probability 2^-p;
* ``"inv"``: the inverse;
* ``"A * X * A.T"`` (any matrix name given as a keyword, ``@`` allowed): the congruence;
* ``"chol"``: the lower Cholesky factor L with X = L Lᵀ (Bartlett).

Each map gives X = h(Y), its structural Jacobian (covar/matrix/jacobians.py) and the change of
variables f_Y(Y) = f_X(h(Y))·|∂X/∂Y|, first in det/trace form, then in the entries.

>>> import covar
>>> W = covar.matrix.Wishart(4, [[1, 0], [0, 1]])
>>> covar.transform(W, "inv").family
MatrixFamily(name='InverseWishart', args=(4, Matrix([
[1, 0],
[0, 1]])))
"""
from __future__ import annotations

import re
from dataclasses import replace
from itertools import product
from typing import Any

import numpy as np
import sympy as sp

from covar.errors import UnsupportedTransform
from covar.matrix import jacobians
from covar.matrix.recognize import MatrixFamily, agree, bartlett_pdf, recognize
from covar.matrix.record import Jacobian, MatrixRecord, NumpyMap, SignBranch
from covar.matrix.variates import MatrixDensity, lower_matrix, positive_definite, symmetric_matrix
from covar.record import Note, joined

#: the map texts, by the name of the map they stand for
VOCABULARY = {
    "sqrtm": ("sqrtm", "sqrtm(X)", "sqrt", "sqrt(X)", "X**(1/2)", "X**0.5"),
    "random sqrt": ("symmetric sqrt uniformly at random", "random sqrt", "random_sqrt",
                    "a uniformly random symmetric square root", "random symmetric sqrt"),
    "inv": ("inv", "inv(X)", "X**-1", "X**(-1)", "inverse"),
    "chol": ("chol", "chol(X)", "cholesky", "cholesky(X)"),
}
_CONGRUENCE = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)[*@]X[*@]\1\.T$")


def read_map(text: str, letter: str, matrices: dict[str, Any]) -> tuple[str, str | None]:
    """(map name, matrix name or None) for a map text, or UnsupportedTransform naming the vocabulary."""
    if not isinstance(text, str):
        raise UnsupportedTransform("a matrix map is text: 'sqrtm', 'inv', 'chol', 'A * X * A.T' or "
                                   "'symmetric sqrt uniformly at random'")
    compact = re.sub(r"\s+", " ", text.strip())
    tight = compact.replace(" ", "").replace(letter, "X") if len(compact) < 60 else ""
    for name, texts in VOCABULARY.items():
        if compact in texts or tight in {t.replace(" ", "") for t in texts}:
            return name, None
    m = _CONGRUENCE.match(tight)
    if m and m.group(1) in matrices:
        return "congruence", m.group(1)
    if m:
        raise UnsupportedTransform(f"the map {text!r} uses the matrix {m.group(1)}: pass it, "
                                   f"e.g. covar.transform(W, {text!r}, {m.group(1)}=...)")
    if compact.lower() in ("eigenvalues", "eigvals", "eig", "eigenvalues(x)"):
        raise UnsupportedTransform("the joint law of the eigenvalues of a 2×2 Wishart matrix is "
                                   "covar.matrix.eigenvalue_density(W), a JointDensity of (l1, l2)")
    raise UnsupportedTransform(f"covar does not know the matrix map {text!r}; use one of 'sqrtm', 'inv', "
                               "'chol', 'A * X * A.T' (with A=...) or 'symmetric sqrt uniformly at random' "
                               "(eigenvalues of a 2×2 Wishart: covar.matrix.eigenvalue_density(W))")


def transform_matrix(X: MatrixDensity, g: str, **matrices: Any) -> MatrixDensity:
    """The law of g(X) for a matrix variate X (not yet verified: covar.transform runs the gate)."""
    name, mname = read_map(g, X.symbol.name, matrices)
    if X.lower:
        raise UnsupportedTransform("covar maps symmetric matrix variates; this law is of a triangular factor")
    unused = set(matrices) - ({mname} if mname else set())
    if unused:
        raise UnsupportedTransform(f"the map {g!r} does not use {sorted(unused)}")
    letter = "L" if name == "chol" else ("Z" if X.symbol.name == "Y" else "Y")
    x = X.symbol.name
    g = {"sqrtm": f"sqrtm({x})", "random sqrt": f"a uniformly random symmetric square root of {x}",
         "inv": f"{x}⁻¹", "chol": f"chol({x}), the lower factor of {x} = {letter} {letter}ᵀ",
         "congruence": f"{mname} {x} {mname}ᵀ"}[name]
    if name == "congruence":
        return _congruence(X, g, letter, mname or "A", matrices[mname or "A"])
    if name == "inv":
        return _inverse(X, g, letter)
    if name == "chol":
        return _cholesky(X, g, letter)
    return _square_root(X, g, letter, randomized=(name == "random sqrt"))


# ---- the maps -----------------------------------------------------------------------------------

def _square_root(X: MatrixDensity, g: str, letter: str, randomized: bool) -> MatrixDensity:
    p = X.p
    Y = sp.MatrixSymbol(letter, p, p)
    m, entries = symmetric_matrix(letter.lower(), p)
    identity = ((sp.Determinant(Y ** 2), sp.Determinant(Y) ** 2),)
    weight = sp.Rational(1, 2 ** p) if randomized else sp.S.One
    jac = jacobians.square(Y, p, absolute=randomized)
    pdf_matrix = _change_of_variables(X, Y ** 2, identity, jac, weight)
    if not randomized:  # det Y > 0 on the positive definite cone: (det(Y)²)^a = det(Y)^(2a)
        pdf_matrix = sp.powdenest(pdf_matrix, force=True)
    branches = []
    for signs in product((1, -1), repeat=p):
        in_image = randomized or all(s > 0 for s in signs)
        branches.append(SignBranch(signs, _region(signs), in_image, pdf_matrix if in_image else sp.S.Zero))
    if randomized:
        support, text = sp.Ne(m.det(), 0), f"nonsingular symmetric {p}×{p} matrices"
        note = (f"Each of the {2 ** p} sign branches is chosen with probability 1/{2 ** p}; their regions "
                "(the sign pattern of Y's eigenvalues) partition the nonsingular symmetric matrices, so "
                "one formula holds on the whole support.")
    else:
        support, text = positive_definite(m), f"positive definite {p}×{p} matrices"
        note = (f"Only the branch with every sign + is positive definite, and sqrtm returns the positive "
                f"definite root: the other {2 ** p - 1} branches lie outside its image and contribute "
                "nothing (as for the square root of a ChiSquared(1), whose negative branch contributes 0).")
    return _result(X, g, Y, m, entries, Y ** 2, identity, jac, tuple(branches), pdf_matrix, support, text,
                   "random sqrt" if randomized else "sqrtm", weight=weight, notes=((note,),))


def _region(signs: tuple[int, ...]) -> str:
    if all(s > 0 for s in signs):
        return "Y positive definite"
    if all(s < 0 for s in signs):
        return "Y negative definite"
    shown = ", ".join("+" if s > 0 else "−" for s in signs)
    return f"Y indefinite, its eigenvalues by decreasing absolute value have signs ({shown})"


def _inverse(X: MatrixDensity, g: str, letter: str) -> MatrixDensity:
    p = X.p
    Y = sp.MatrixSymbol(letter, p, p)
    m, entries = symmetric_matrix(letter.lower(), p)
    h = sp.Inverse(Y)
    identity = ((sp.Determinant(h), 1 / sp.Determinant(Y)),)
    jac = jacobians.inversion(Y, p)
    pdf_matrix = _change_of_variables(X, h, identity, jac)
    law = _result(X, g, Y, m, entries, h, identity, jac, (), pdf_matrix, positive_definite(m),
                  f"positive definite {p}×{p} matrices", "inv")
    if X.family is not None and X.family.name in ("Wishart", "InverseWishart"):
        other = "InverseWishart" if X.family.name == "Wishart" else "Wishart"
        n, scale = X.family.args
        return _named(law, recognize(law, other, n, _inverse_of(scale)))
    return law


def _inverse_of(scale: sp.Basic) -> sp.Basic:
    return sp.Inverse(scale) if isinstance(scale, sp.MatrixSymbol) else sp.ImmutableMatrix(scale).inv()


def _congruence(X: MatrixDensity, g: str, letter: str, name: str, A_given: Any) -> MatrixDensity:
    from covar.matrix.variates import square_matrix

    p = X.p
    A_sym, A = square_matrix(A_given, p, name)
    shown = A_sym if A_sym is not None else A
    Y = sp.MatrixSymbol(letter, p, p)
    m, entries = symmetric_matrix(letter.lower(), p)
    inv = sp.Inverse(shown) if A_sym is not None else A.inv()
    h = sp.MatMul(inv, Y, inv.T)
    identity = ((sp.Determinant(h), sp.Determinant(Y) / (sp.Determinant(A_sym) if A_sym is not None else A.det()) ** 2),)
    jac = jacobians.congruence(shown, p)
    if A_sym is None:  # a numeric A: its determinant is a number
        jac = replace(jac, value=jac.value.doit())
    pdf_matrix = _change_of_variables(X, h, identity, jac)
    params = tuple(sorted(set(X.params) | A.free_symbols, key=lambda s: s.name))

    law = _result(X, g, Y, m, entries, h, identity, jac, (), pdf_matrix, positive_definite(m),
                  f"positive definite {p}×{p} matrices", "congruence", params=params, matrix=A,
                  parameters=X.parameters + (((A_sym, A),) if A_sym is not None else ()),
                  conditions=X.conditions + ((sp.Ne(A.det(), 0),) if A_sym is not None else ()))
    if X.family is not None and X.family.name in ("Wishart", "InverseWishart"):
        n, scale = X.family.args
        new = sp.MatMul(shown, scale, shown.T)
        return _named(law, recognize(law, X.family.name, n, new if A_sym is not None or isinstance(
            scale, sp.MatrixSymbol) else sp.ImmutableMatrix(new.doit())))
    return law


def _cholesky(X: MatrixDensity, g: str, letter: str) -> MatrixDensity:
    p = X.p
    L = sp.MatrixSymbol(letter, p, p)
    m, entries = lower_matrix(letter.lower(), p)
    h = sp.MatMul(L, L.T)
    identity = ((sp.Determinant(h), sp.Mul(*[L[i, i] ** 2 for i in range(p)])),)
    jac = jacobians.cholesky(L, p)
    pdf_matrix = _change_of_variables(X, h, identity, jac)
    support = sp.And(*[m[i, i] > 0 for i in range(p)])
    law = _result(X, g, L, m, entries, h, identity, jac, (), pdf_matrix, support,
                  f"lower-triangular {p}×{p} matrices with a positive diagonal",
                  "chol", lower=True)
    fam = X.family
    if fam is None or fam.name != "Wishart":
        return law
    n, scale = fam.args
    independent = "L_ii ~ Chi(n - i + 1) and L_ij ~ Normal(0, 1) below the diagonal"
    if scale == sp.eye(p):
        if agree(law, bartlett_pdf(law, n)):
            return _named(law, MatrixFamily("Bartlett", (n,)), f"Bartlett: the entries are independent, {independent}.")
        return law
    C = X.explicit(scale).cholesky(hermitian=False)  # Σ = C Cᵀ, C lower-triangular
    if agree(law, bartlett_pdf(law, n, C)):
        return _named(law, MatrixFamily("Bartlett", (n, scale)),
                      f"Bartlett with scale {scale}: L = C B with C the Cholesky factor of {scale} and B the "
                      f"Bartlett factor of a Wishart({n}, I), whose entries are independent ({independent.replace('L', 'B')}).")
    return law


# ---- shared steps -------------------------------------------------------------------------------

def _change_of_variables(X: MatrixDensity, h: sp.Basic, identities: tuple, jac: Jacobian,
                         weight: sp.Expr = sp.S.One) -> sp.Expr:
    """weight · f_X(h(Y)) · |∂X/∂Y| with det(h(Y)) rewritten by the identities."""
    fx = X.pdf_matrix.xreplace({X.symbol: h}).xreplace(dict(identities))
    return weight * fx * jac.value


def _result(X: MatrixDensity, g: str, Y: sp.MatrixSymbol, m: sp.ImmutableMatrix, entries: tuple,
            h: sp.Basic, identities: tuple, jac: Jacobian, branches: tuple, pdf_matrix: sp.Expr,
            support: sp.Basic, text: str, map_name: str, *, weight: sp.Expr = sp.S.One,
            notes: tuple[Note, ...] = (), lower: bool = False, params: tuple | None = None,
            parameters: tuple | None = None, conditions: tuple | None = None,
            matrix: sp.ImmutableMatrix | None = None) -> MatrixDensity:
    law = MatrixDensity(X.p, Y, m, entries, pdf_matrix, sp.S.Zero, support, text,
                        X.params if params is None else params,
                        X.parameters if parameters is None else parameters,
                        pushed_sampler(X, numpy_map(map_name, matrix), weight != 1), lower=lower,
                        conditions=X.conditions if conditions is None else conditions)
    pdf = law.explicit(pdf_matrix)
    record = MatrixRecord(X, g, Y, entries, h, jac, law.explicit(jac.value), identities, branches, pdf_matrix, pdf, text,
                          weight=weight, lower=lower, notes=(*notes, *_condition_notes(law)),
                          map=map_name, matrix=matrix)
    return replace(law, pdf=pdf, derivation=record)


def _condition_notes(law: MatrixDensity) -> tuple[Note, ...]:
    out: list[Note] = [("Density with respect to Lebesgue measure on the free entries ", *joined(law.entries), ".")]
    if law.conditions:
        out.append(("Parameters: " + "; ".join(_condition_text(c, law) for c in law.conditions) + ".",))
    return tuple(out)


def _condition_text(condition: sp.Basic, law: MatrixDensity) -> str:
    """A parameter condition in words: det A ≠ 0 rather than its expansion in A's entries."""
    for symbol, explicit in law.parameters:
        if condition == sp.Ne(explicit.det(), 0):
            return f"det {symbol} ≠ 0"
    return sp.sstr(condition)


def _named(law: MatrixDensity, family: MatrixFamily | None, note: str = "") -> MatrixDensity:
    if family is None or law.derivation is None:
        return law
    notes = law.derivation.notes + (((note,),) if note else ())
    return replace(law, family=family, derivation=replace(law.derivation, family=family, notes=notes))


def numpy_map(name: str, A: sp.ImmutableMatrix | None = None) -> NumpyMap:
    """The numpy map the gate and the sampler push matrices through, by map name (the record's
    ``map``); ``A`` is the explicit matrix of a congruence (numbers or entries A11, ...)."""
    if name == "inv":
        return lambda M, signs, values: np.linalg.inv(M)
    if name == "chol":
        return lambda M, signs, values: np.linalg.cholesky(M)
    if name == "congruence" and A is not None:
        explicit = A

        def congruence(M: np.ndarray, signs: np.ndarray | None, values: dict) -> np.ndarray:
            from covar.numeric.verify import to_float

            a = np.array([[to_float(v, values) for v in row] for row in explicit.tolist()])
            return a @ M @ a.T

        return congruence
    if name in ("sqrtm", "random sqrt"):
        randomized = name == "random sqrt"

        def root(M: np.ndarray, signs: np.ndarray | None, values: dict) -> np.ndarray:
            w, V = np.linalg.eigh(M)
            r = np.sqrt(w)
            if randomized and signs is not None:
                r = r * signs[..., ::-1]  # signs are given by decreasing eigenvalue
            return (V * r[..., None, :]) @ np.swapaxes(V, -1, -2)

        return root
    raise UnsupportedTransform(f"no numpy map for the matrix map {name!r}")


def pushed_sampler(X: MatrixDensity, forward: NumpyMap, randomized: bool) -> Any:
    """Draws of g(X): X's own draws through the numpy map (random signs for a random square root)."""
    def draw(size: int, rng: np.random.Generator, values: dict) -> np.ndarray:
        M = X.sample(size, rng, values)
        signs = rng.choice((-1.0, 1.0), size=(size, X.p)) if randomized else None
        return forward(M, signs, values)

    return draw
