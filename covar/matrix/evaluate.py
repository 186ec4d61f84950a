"""The vectorised numpy density of a matrix law: ``f(Ys, **params)`` on arrays of shape (..., p, p).

The explicit pdf (in the free entries) and its support condition are compiled once with
``lambdify``; a parameter matrix may be passed whole (``Sigma=array``) or entry by entry.

>>> import numpy as np, covar
>>> from scipy import stats
>>> W = covar.matrix.Wishart(4, np.eye(2))
>>> f = W.numpy()
>>> float(f(np.eye(2)).round(6)), float(stats.wishart(4, np.eye(2)).pdf(np.eye(2)).round(6)), float(f(-np.eye(2)))
(0.014637, 0.014637, 0.0)
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import sympy as sp

from covar.errors import InvalidDensity

if TYPE_CHECKING:  # pragma: no cover
    from covar.matrix.variates import MatrixDensity


def compile_density(law: "MatrixDensity") -> Callable[..., np.ndarray]:
    """The compiled density of ``law`` (cached on the law)."""
    cached = law.__dict__.get("_compiled")
    if cached is not None:
        return cached
    from covar.matrix.variates import free_entries

    args = (*law.entries, *law.params)
    body = sp.lambdify(args, law.pdf, modules=["scipy", "numpy"])
    inside = sp.lambdify(args, law.support, modules=["numpy"])
    names = {s.name for s in law.params}
    whole = {m.name: (m, e) for m, e in law.parameters}

    def density(Ys: Any, **params: Any) -> np.ndarray:
        values = _parameter_values(params, names, whole)
        Y = np.asarray(Ys, dtype=float)
        if Y.shape[-2:] != (law.p, law.p):
            raise InvalidDensity(f"expected matrices of shape (..., {law.p}, {law.p}), got {Y.shape}")
        cols = np.moveaxis(free_entries(Y, lower=law.lower), -1, 0)
        scalars = [values[s.name] for s in law.params]
        with np.errstate(all="ignore"):
            mask = np.broadcast_to(np.asarray(inside(*cols, *scalars), dtype=bool), cols.shape[1:])
            out = np.broadcast_to(np.asarray(body(*cols, *scalars), dtype=float), cols.shape[1:])
        return np.where(mask, out, 0.0)

    object.__setattr__(law, "_compiled", density)
    return density


def _parameter_values(params: dict, names: set[str], whole: dict) -> dict[str, float]:
    """Scalar values by name: a whole parameter matrix is split into its entries."""
    values: dict[str, float] = {}
    for key, value in params.items():
        if key in whole:
            symbol, explicit = whole[key]
            arr = np.asarray(value, dtype=float)
            for (i, j), entry in np.ndenumerate(np.array(explicit.tolist(), dtype=object)):
                if isinstance(entry, sp.Symbol):
                    values[entry.name] = float(arr[i, j])
        else:
            values[key] = value
    missing = names - set(values)
    if missing:
        raise InvalidDensity(f"give values for the parameters {sorted(missing)}")
    return values
