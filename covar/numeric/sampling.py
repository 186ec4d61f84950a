"""Samples of a Density: X's own sampler pushed through the maps, or inversion of the CDF.

Derived densities are sampled the way the law arose: draw X, apply g. This is what the checks
compare the derived pdf against, so it must never use the derived pdf itself.
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from covar.errors import CovarError
from covar.text.values import check_parameter_values
from covar.numeric.verify import to_float
from covar.numeric.evaluate import array_modules



def _grid(lo: float, hi: float) -> np.ndarray:
    """Points of (lo, hi), geometrically dense next to finite ends (integrable singularities)
    and reaching far into infinite tails (heavy tails)."""
    # down to 1e-300 next to an end at 0 (a shape-0.1 Gamma has 6% of its mass below 1e-12),
    # but no closer to an end than its own rounding (closer, the density is round-off noise);
    # out to 1e100 in tails (|y|^(-4/3) keeps 0.2% of its mass beyond 1e7)
    fine = np.concatenate([np.logspace(-300, -12, 300, endpoint=False), np.logspace(-12, 0, 1500)])
    steps = np.concatenate([fine[:-1], np.logspace(0, 7, 1500), np.logspace(7, 100, 200)[1:]])

    def away(end: float, offsets: np.ndarray) -> np.ndarray:
        return offsets[offsets >= 1e-13 * abs(end)]

    if np.isinf(lo) and np.isinf(hi):
        return np.concatenate([-steps[::-1], [0.0], steps])
    if np.isinf(hi):
        return lo + np.concatenate([[0.0], away(lo, steps)])
    if np.isinf(lo):
        return hi - np.concatenate([[0.0], away(hi, steps)])[::-1]
    half = 0.5 * (hi - lo) * fine
    return np.unique(np.concatenate([[lo], lo + away(lo, half), hi - away(hi, half), [hi]]))


_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(8)


def _inverse_cdf(density, size: int, rng: np.random.Generator, values: dict) -> np.ndarray:
    """Sample by inverting a CDF built with Gauss–Legendre on every grid segment."""
    from covar.univariate.pieces import support_intervals

    if density.atoms:
        raise CovarError("sampling a mixed law without a derivation is not supported")
    f = density.numpy(backend="numpy")
    knots: list[np.ndarray] = []
    pieces: list[np.ndarray] = []
    offset = 0.0
    for iv in support_intervals(density.support):
        lo, hi = (to_float(e, {s: values[s.name] for s in e.free_symbols if s.name in values})
                  for e in (iv.start, iv.end))
        xs = _grid(lo, hi)
        mid, half = 0.5 * (xs[1:] + xs[:-1]), 0.5 * np.diff(xs)
        nodes = mid[:, None] + half[:, None] * _GL_NODES[None, :]
        with np.errstate(all="ignore"):
            vals = np.nan_to_num(np.asarray(f(nodes.ravel(), **values), float), posinf=0.0).reshape(nodes.shape)
        seg = (vals * _GL_WEIGHTS[None, :]).sum(axis=1) * half
        knots.append(xs)
        pieces.append(offset + np.concatenate([[0.0], np.cumsum(seg)]))
        offset = pieces[-1][-1]
    xs, cdf = np.concatenate(knots), np.concatenate(pieces)
    cdf, keep = np.unique(cdf / cdf[-1], return_index=True)
    return np.interp(rng.uniform(size=size), cdf, xs[keep])


def sample(density, size: int, rng: np.random.Generator, **values: float) -> np.ndarray:
    """``size`` draws from ``density`` with parameters given by name."""
    check_parameter_values(values)
    draw = getattr(density.numeric, "draw", None)
    if draw is not None:  # a marginal: samples of its joint, the kept coordinate
        drawn = draw(size, rng, values)
        if drawn is not None:
            return drawn
    d = density.derivation
    if d is not None and hasattr(d, "g"):
        base = d.input
        names = {p.name for p in base.params}
        xs = sample(base, size, rng, **{k: v for k, v in values.items() if k in names})
        params = sorted(d.g.free_symbols - {d.x}, key=lambda s: s.name)
        g = sp.lambdify((d.x, *params), d.g, modules=array_modules(d.g))
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(g(xs, *[values[p.name] for p in params]), float), xs.shape).copy()
    if density.family is not None:  # a named law: the catalog's sampler
        return np.asarray(density.family.sample(rng, size, **values), dtype=float)
    if density.discrete:
        return _pmf_draws(density, size, rng, values)
    return _inverse_cdf(density, size, rng, dict(values))


def _pmf_draws(density, size: int, rng: np.random.Generator, values: dict) -> np.ndarray:
    """Draws from a pmf on a FiniteSet or Range: its points up to all but 1e-12 of the mass."""
    pmf = density.numpy(backend="numpy")
    points, total = [], 0.0
    support = density.support  # symbolic ends (Range(0, n + 1)) take the parameters' values
    support = support.xreplace({s: sp.Integer(round(values[s.name])) if float(values[s.name]).is_integer()
                                else values[s.name] for s in support.free_symbols if s.name in values})
    for k, point in enumerate(support):
        points.append(float(point))
        if k % 256 == 255:
            # nansum: a compiled pmf may overflow into nan far out (gamma(k + 3)/gamma(k + 1))
            total = float(np.nansum(pmf(np.array(points), **values)))
            if total > 1 - 1e-12 or k > 1_000_000:
                break
    probs = np.nan_to_num(pmf(np.array(points), **values), nan=0.0, posinf=0.0)
    if probs.sum() <= 0:
        raise CovarError("the pmf has no mass on its first support points")
    return rng.choice(np.array(points), size=size, p=probs / probs.sum())
