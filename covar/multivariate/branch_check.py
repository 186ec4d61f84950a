"""Checking candidate inverse branches numerically at points of X's support."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import sympy as sp

from covar.laws.joint import JointDensity
from covar.numeric.verify import close_each, parameter_draws


def parameter_values(symbols: set[sp.Symbol], seed: int) -> dict[sp.Symbol, float]:
    """One draw of the free parameters as floats: verify.parameter_draws, in name order."""
    (draw,) = parameter_draws(sorted(symbols, key=lambda s: s.name), n=1, seed=seed)
    return {p: float(v) for p, v in draw.items()}


def support_points(J: JointDensity, vals: dict, rng: np.random.Generator, n: int = 80) -> np.ndarray:
    """Points of X's support (from its sampler, else by rejection from broad proposals)."""
    if J.sampler is not None:
        try:
            return np.asarray(J.sampler(n, rng, {p.name: v for p, v in vals.items()}), dtype=float)
        except (ValueError, KeyError):  # a sampler that cannot take these parameter values
            pass
    d = J.dim
    props = np.concatenate([
        rng.normal(0, 1, (2000, d)), rng.normal(0, 4, (2000, d)),
        rng.uniform(0, 1, (2000, d)), rng.exponential(1, (2000, d)), -rng.exponential(1, (1000, d)),
    ])
    cond = sp.lambdify(J.vars, J.support.xreplace(vals), "numpy")
    dens = sp.lambdify(J.vars, J.pdf.xreplace(vals), "numpy")
    with np.errstate(all="ignore"):
        ok = np.broadcast_to(np.asarray(cond(*props.T), dtype=bool), (len(props),))
        f = np.broadcast_to(np.asarray(dens(*props.T), dtype=float), (len(props),))
    ok = ok & np.isfinite(f) & (f > 0)
    pts = props[ok]
    rng.shuffle(pts)
    return pts[:n]


def _same_points(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row by row: do the points a and b agree in every coordinate (verify's agreement check)?"""
    return np.all(close_each(a, b, rtol=1e-6, atol=1e-6), axis=-1)


def _stack(columns: Sequence[Any], n: int) -> np.ndarray:
    """(n, k) float array of k lambdified components; a constant component is repeated n times."""
    return np.stack([np.broadcast_to(np.asarray(c, dtype=float), (n,)) for c in columns], axis=-1)


def check_branches(J: JointDensity, g: Sequence[sp.Expr], ys: Sequence[sp.Symbol],
                   branches: list[tuple], conds: list[sp.Basic], seed: int = 12345) -> str | None:
    """None when the branches describe g^{-1} on X's support at sampled points, else why not."""
    rng = np.random.default_rng(seed)
    free = set().union(*(e.free_symbols for e in g), J.pdf.free_symbols, J.support.free_symbols,
                       *(c.free_symbols for c in conds), *(e.free_symbols for h in branches for e in h))
    vals = parameter_values(free - set(J.vars) - set(ys), seed)
    xs_pts = support_points(J, vals, rng)
    if len(xs_pts) < 10:
        return "could not find enough points of X's support to check the inverse"
    with np.errstate(all="ignore"):
        gf = sp.lambdify(J.vars, [e.xreplace(vals) for e in g], "numpy")
        y_pts = _stack(gf(*xs_pts.T), len(xs_pts))
        finite = np.all(np.isfinite(y_pts), axis=1)
        xs_pts, y_pts = xs_pts[finite], y_pts[finite]
        broad = np.concatenate([y_pts + rng.normal(0, 0.5, y_pts.shape), rng.normal(0, 3, y_pts.shape)])
        found = np.zeros(len(xs_pts), dtype=int)
        for h, c in zip(branches, conds):
            hf = sp.lambdify(ys, [e.xreplace(vals) for e in h], "numpy")
            cf = sp.lambdify(ys, c.xreplace(vals), "numpy")
            for pts, image in ((y_pts, True), (broad, False)):
                active = np.broadcast_to(np.asarray(cf(*pts.T), dtype=bool), (len(pts),))
                if not active.any():
                    continue
                xh = _stack(hf(*pts[active].T), int(active.sum()))
                back = _stack(gf(*xh.T), len(xh))
                if not np.all(_same_points(back, pts[active])):
                    return (f"the branch x = {h} does not satisfy g(h(y)) = y everywhere its "
                            f"condition {c} holds")
                if image:
                    hits = np.zeros(len(pts), dtype=bool)
                    hits[active] = _same_points(xh, xs_pts[active])
                    found += hits
    if np.any(found == 0):
        return "some points of X's support are not recovered by any branch of the inverse"
    if np.any(found > 1):
        return "two branches of the inverse overlap (they would count the same x twice)"
    return None
