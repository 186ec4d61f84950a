"""Joint densities of independent components: the product of their laws."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import sympy as sp

from covar.errors import CovarError, InvalidDensity, UnsupportedTransform
from covar.laws.density import Density
from covar.laws.joint import JointDensity


def independent(*densities: Any) -> JointDensity:
    """The joint density of independent variables: the product of their densities.

    Accepts covar.Density objects and sympy.stats continuous random variables (read by the one
    adapter, covar.laws.sympy_stats, so each component samples with its catalog sampler).
    Variables are named after the inputs (x1, x2, ... when names clash).

    >>> import sympy.stats as st
    >>> J = independent(st.Exponential("X1", 1), st.Exponential("X2", 1))
    >>> J.pdf, J.support
    (exp(-x1)*exp(-x2), (0 <= x1) & (0 <= x2))
    """
    if len(densities) == 1 and isinstance(densities[0], (list, tuple)):
        densities = tuple(densities[0])
    if not densities:
        raise CovarError("independent() needs at least one density")
    from covar.laws.sympy_stats import density_of, is_random_variable

    names = []
    for D in densities:
        names.append(D.var.name if isinstance(D, Density) else str(getattr(D, "name", "x")).lower())
    if len(set(names)) != len(names):
        names = [f"x{i + 1}" for i in range(len(densities))]
    pdfs, vars_, conds, draws = [], [], [], []
    for D, name in zip(densities, names):
        if not isinstance(D, Density):
            if not is_random_variable(D):
                raise InvalidDensity(f"{D!r} is neither a covar.Density nor a sympy.stats random variable")
            D = density_of(D, name)
        if D.pdf is None or D.discrete or D.atoms:
            raise UnsupportedTransform(
                f"independent() needs continuous closed-form densities; {D!r} is not one")
        v = sp.Symbol(name, real=True)
        pdfs.append(D.pdf.xreplace({D.var: v}))
        conds.append(D.support.as_relational(v))
        draws.append(_density_draw(D))
        vars_.append(v)
    def sampler(size: int, rng: np.random.Generator, values: dict) -> np.ndarray:
        return np.stack([np.broadcast_to(d(rng, size, values), (size,)) for d in draws], axis=-1)

    return JointDensity(sp.Mul(*pdfs), tuple(vars_), sp.And(*conds), sampler=sampler)


def _density_draw(D: Density) -> Callable[[np.random.Generator, int, dict], np.ndarray]:
    """A numpy draw for a covar.Density: its catalog sampler when it is a named law, else its own
    way of sampling (Density.sample)."""
    def draw(rng: np.random.Generator, n: int, vals: dict) -> np.ndarray:
        params = {p.name: vals[p.name] for p in D.params}
        return np.asarray(D.sample(n, rng, **params), dtype=float)
    return draw
