"""Samples of a Density: X's own sampler pushed through the maps, or inversion of the CDF.

Derived densities are sampled the way the law arose: draw X, apply g. This is what the checks
compare the derived pdf against, so it must never use the derived pdf itself.
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from .errors import CovarError

_GRID = 20001


def _catalog_sampler(label: str):
    from .families import get_family
    from .parsing import parse_call

    call = parse_call(label)
    if call is None:
        return None
    name, args = call
    family = get_family(name)
    return family, args


def _inverse_cdf(density, size: int, rng: np.random.Generator, values: dict) -> np.ndarray:
    from .pieces import support_intervals

    if density.atoms:
        raise CovarError("sampling a mixed law without a derivation is not supported")
    f = density.numpy()
    xs_all, cdf_parts, offset = [], [], 0.0
    for iv in support_intervals(density.support):
        lo = float(sp.N(iv.start.subs(values))) if iv.start != -sp.oo else -np.inf
        hi = float(sp.N(iv.end.subs(values))) if iv.end != sp.oo else np.inf
        # map the interval to (0, 1) so infinite ends get a fine grid far out in the tails
        u = np.linspace(0, 1, _GRID)[1:-1]
        if np.isinf(lo) and np.isinf(hi):
            xs = np.tan(np.pi * (u - 0.5)) * 10
        elif np.isinf(hi):
            xs = lo + 10 * u / (1 - u)
        elif np.isinf(lo):
            xs = hi - 10 * (1 - u) / u
        else:
            xs = lo + (hi - lo) * u
        with np.errstate(all="ignore"):
            pdf = np.nan_to_num(f(xs, **values), posinf=0.0)
        steps = np.concatenate([[0.0], np.cumsum(0.5 * (pdf[1:] + pdf[:-1]) * np.diff(xs))])
        xs_all.append(xs)
        cdf_parts.append(offset + steps)
        offset += steps[-1]
    xs, cdf = np.concatenate(xs_all), np.concatenate(cdf_parts)
    cdf, keep = np.unique(cdf / cdf[-1], return_index=True)
    return np.interp(rng.uniform(size=size), cdf, xs[keep])


def sample(density, size: int, rng: np.random.Generator, **values: float) -> np.ndarray:
    """``size`` draws from ``density`` with parameters given by name."""
    d = density.derivation
    if d is not None and hasattr(d, "g"):
        base = d.input
        names = {p.name for p in base.params}
        xs = sample(base, size, rng, **{k: v for k, v in values.items() if k in names})
        params = sorted(d.g.free_symbols - {d.x}, key=lambda s: s.name)
        g = sp.lambdify((d.x, *params), d.g, modules="numpy")
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(g(xs, *[values[p.name] for p in params]), float), xs.shape).copy()
    if density.family:
        found = _catalog_sampler(density.family)
        if found is not None:
            family, args = found
            concrete = [float(sp.N(a.subs({sp.Symbol(k): v for k, v in values.items()})
                                   .xreplace({s: values[s.name] for s in a.free_symbols if s.name in values})))
                        for a in args]
            return np.asarray(family.sample(rng, size, *concrete), dtype=float)
    if density.discrete:
        raise CovarError("sampling a pmf without a named family is not supported")
    return _inverse_cdf(density, size, rng, {k: v for k, v in values.items()})
