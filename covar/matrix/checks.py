"""The verification gate for matrix laws: the pushforward identity at sampled points.

For Y = g(X) with X drawn from its own sampler, the derived density must satisfy
f_Y(g(X))·|J_g(X)| = w·f_X(X) (w = 2^-p for a uniformly random square root, else 1), with the
Jacobian J_g taken by central finite differences of the numpy map on the free entries (so the
structural Jacobian is checked independently). The symbolic pdf — both the det/trace form and
the entry form the user reads — is evaluated with sympy at some of the points and must agree
with ``numpy()``. Every comparison goes through :func:`covar.numeric.verify.close_each`, so
nan, inf and complex values fail.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import sympy as sp

from covar.matrix.variates import MatrixDensity, free_entries, from_free_entries
from covar.numeric.verify import VerificationFailed, close_each, parameter_draws, to_float

POINTS = 12  #: sampled points per parameter draw
DRAWS = 2  #: parameter draws (one when the law has no parameters)
RTOL = 1e-6  #: finite-difference Jacobians are good to about 1e-9 at well-conditioned points
_SEED = 20261130
_VERIFIED = "verified numerically: the pushforward identity"


def matrix_draws(law: MatrixDensity, n: int = DRAWS, seed: int = 20261126) -> list[dict]:
    """n assignments of the law's scalar parameters: symmetric parameter matrices positive
    definite (Σ = C Cᵀ + I/4 with C drawn by :func:`parameter_draws`), other parameter matrices
    nonsingular, degrees of freedom in (p, p + 3) (above p - 1 with a margin: nearer p - 1 the
    samples are numerically singular); keyed by symbol."""
    if not law.params:
        return [{}]
    bound = {c.lhs: c.rhs for c in law.conditions if isinstance(c, sp.StrictGreaterThan)}
    base = parameter_draws(law.params, n=n, seed=seed)
    draws = []
    for k, values in enumerate(base):
        values = {s: v + bound[s] + 1 if s in bound else v for s, v in values.items()}
        for symbol, explicit in law.parameters:
            p = explicit.shape[0]
            rng = np.random.default_rng(seed + 17 * k)
            C = rng.uniform(-1.0, 1.0, (p, p))
            M = C @ C.T + 0.25 * np.eye(p) if explicit == explicit.T else C + 2.0 * np.eye(p)
            for (i, j), entry in np.ndenumerate(np.array(explicit.tolist(), dtype=object)):
                if isinstance(entry, sp.Symbol):
                    values[entry] = sp.Float(M[i, j], 30)
        draws.append(values)
    return draws


def well_conditioned(M: np.ndarray, k: int) -> np.ndarray:
    """The k best-conditioned of the matrices M (finite differences and scipy are exact there)."""
    w = np.abs(np.linalg.eigvalsh(M if M.shape[-1] == M.shape[-2] and np.allclose(M, np.swapaxes(M, -1, -2))
                                  else M @ np.swapaxes(M, -1, -2)))
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = np.where(w[:, 0] > 0, w[:, -1] / w[:, 0], np.inf)
    return M[np.argsort(cond)[:k]]


def _jacobians(forward: Any, X: np.ndarray, signs: np.ndarray | None, values: dict, lower: bool) -> np.ndarray:
    """|det ∂g/∂x| on the free entries at each X, by central differences with a step scaled by
    X's smallest eigenvalue (the map varies on that scale)."""
    from covar.numeric.checks import finite_difference_jacobian

    p = X.shape[-1]
    scale = np.linalg.eigvalsh(X)[:, :1]

    def g(u: np.ndarray) -> np.ndarray:
        return free_entries(forward(from_free_entries(u * scale, p), signs, values), lower=lower)

    J = finite_difference_jacobian(g, free_entries(X) / scale, h=1e-5)
    return np.abs(np.linalg.det(J)) / scale[:, 0] ** J.shape[-1]


def pushforward_failure(law: MatrixDensity, values: dict, points: int = POINTS,
                        seed: int = _SEED) -> str | None:
    """Why the pushforward identity fails at sampled points for these parameter values, or None."""
    rec = law.derivation
    if rec is None or rec.forward is None:
        return None
    rng = np.random.default_rng(seed)
    X = well_conditioned(rec.input.sample(8 * points, rng, values), points)
    randomized = rec.weight != 1
    signs = rng.choice((-1.0, 1.0), size=(points, law.p)) if randomized else None
    Y = rec.forward(X, signs, values)
    named = {s.name: float(v) for s, v in values.items()}
    fy = law.numpy()(Y, **named)
    fx = rec.input.numpy()(X, **named)
    jac = _jacobians(rec.forward, X, signs, values, law.lower)
    ok = close_each(fy * jac, float(rec.weight) * fx, rtol=RTOL)
    if not ok.all():
        k = int(np.argmin(ok))
        return (f"pushforward identity f_Y(g(X))·|J_g(X)| = f_X(X) fails at X = {X[k].tolist()}: "
                f"{fy[k] * jac[k]!r} vs {float(rec.weight) * fx[k]!r}")
    return _symbolic_failure(law, Y[:2], fy[:2], values)


def numeric_matrix(expr: sp.Basic, law: MatrixDensity, values: dict) -> np.ndarray:
    """A matrix expression in the law's parameter matrices, as a float array for these values."""
    at = {m: e.xreplace({s: v for s, v in values.items() if isinstance(s, sp.Symbol)}) for m, e in law.parameters}
    out = sp.ImmutableMatrix(expr.xreplace(at).doit())
    return np.array([[to_float(v, values) for v in row] for row in out.tolist()])


def _symbolic_failure(law: MatrixDensity, Ys: np.ndarray, expected: np.ndarray, values: dict) -> str | None:
    """The symbolic pdf (entry form at each point, det/trace form at the first) against numpy()."""
    for k, Yk in enumerate(Ys):
        at = dict(zip(law.entries, free_entries(Yk, lower=law.lower).tolist()))
        entry_form = to_float(law.pdf, {**values, **at}, otherwise=np.nan)
        if not close_each(entry_form, expected[k], rtol=1e-8):
            return f"the symbolic pdf gives {entry_form} at {Yk.tolist()}, numpy() {expected[k]}"
    matrices = {law.symbol: sp.ImmutableMatrix(Ys[0].tolist())}
    for symbol, explicit in law.parameters:
        matrices[symbol] = explicit.xreplace(values)
    structural = law.pdf_matrix.xreplace(matrices).doit()
    form = to_float(structural, values, otherwise=np.nan)
    if not close_each(form, expected[0], rtol=1e-8):
        return f"the det/trace form of the pdf gives {form} at {Ys[0].tolist()}, numpy() {expected[0]}"
    return None


def verify_matrix(law: MatrixDensity, what: str = "matrix law") -> MatrixDensity:
    """Return ``law`` once the pushforward identity holds at sampled points for its parameter
    draws (its record notes it); otherwise raise VerificationFailed."""
    draws = matrix_draws(law)
    for values in draws:
        why = pushforward_failure(law, values)
        if why is not None:
            raise VerificationFailed(f"the {what} failed verification, so covar does not return it: {why}. "
                                     "This is a covar bug worth reporting")
    if law.derivation is None:
        return law
    draws_text = "1 parameter draw" if len(draws) == 1 else f"{len(draws)} parameter draws"
    note = (f"{_VERIFIED} at {POINTS} sampled points for {draws_text}, "
            "with finite-difference Jacobians; the symbolic pdf agrees with numpy().")
    kept = tuple(n for n in law.derivation.notes if not "".join(p for p in n if isinstance(p, str)).startswith(_VERIFIED))  # read back: rewritten
    return replace(law, derivation=replace(law.derivation, notes=(*kept, (note,))))
