"""``covar plot``: f_X, the map g and f_Y over a histogram of samples of g(X) (headless, Agg)."""
from __future__ import annotations

from typing import Any

import numpy as np


def _window(samples: np.ndarray) -> tuple[float, float]:
    """A plotting range from sample quantiles (robust to heavy tails such as Cauchy's)."""
    finite = samples[np.isfinite(samples)]
    lo, hi = np.quantile(finite, [0.005, 0.995])
    pad = 0.05 * (hi - lo or 1.0)
    return float(lo - pad), float(hi + pad)


def _composed_map(Y: Any) -> Any:
    """g from the first input's variable to Y's, through every step of a composition."""
    chain = Y.derivation.steps
    g = chain[0].g
    for step in chain[1:]:
        g = step.g.xreplace({step.x: g})
    return chain[0].x, g


def plot_transform(X: Any, Y: Any, values: dict[str, float], output: str, samples: int, seed: int) -> None:
    """Write a three-panel figure for Y = g(X) to ``output``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import sympy as sp

    rng = np.random.default_rng(seed)
    x_names = {p.name for p in X.params}
    x_values = {k: v for k, v in values.items() if k in x_names}
    xs = X.sample(samples, rng, **x_values)
    ys = Y.sample(samples, np.random.default_rng(seed), **values)
    fig, (ax_x, ax_g, ax_y) = plt.subplots(1, 3, figsize=(13, 3.8))

    x_lo, x_hi = _window(xs)
    grid = np.linspace(x_lo, x_hi, 600)
    with np.errstate(all="ignore"):
        ax_x.plot(grid, X.numpy()(grid, **x_values), color="C0")
    ax_x.set_title(f"input $f_X$: {X.family or 'density'}")

    x, g = _composed_map(Y)
    params = sorted(g.free_symbols - {x}, key=lambda s: s.name)
    g_num = sp.lambdify((x, *params), g, modules="numpy")
    with np.errstate(all="ignore"):
        gv = np.broadcast_to(g_num(grid, *[values[p.name] for p in params]), grid.shape)
    ax_g.plot(grid, gv, color="C2")
    ax_g.set_title(f"map $y = {sp.latex(g)}$")

    atoms = {float(sp.N(k.subs(values))): float(sp.N(m.subs(values)))
             for k, m in Y.atoms.items()}
    at_atom = np.zeros(ys.shape, dtype=bool)
    for point in atoms:
        at_atom |= np.isclose(ys, point)
    y_lo, y_hi = _window(ys)
    rest = ys[~at_atom & (ys >= y_lo) & (ys <= y_hi)]
    counts, edges = np.histogram(rest, bins=80, range=(y_lo, y_hi))
    # heights relative to all samples, so the histogram's area is the continuous part's mass
    ax_y.bar(edges[:-1], counts / (len(ys) * np.diff(edges)), width=np.diff(edges), align="edge",
             color="0.8", label=f"{len(ys)} samples of g(X)")
    grid_y = np.linspace(y_lo, y_hi, 800)
    with np.errstate(all="ignore"):
        ax_y.plot(grid_y, Y.numpy()(grid_y, **values), color="C3", label="derived $f_Y$")
    for point, mass in atoms.items():
        ax_y.axvline(point, color="C1", lw=2, label=f"atom P(Y={point:g}) = {mass:.3g}")
    ax_y.set_title(f"output $f_Y$: {Y.family or 'derived density'}")
    ax_y.legend(fontsize=8)
    for ax, xlabel, ylabel in ((ax_x, "$x$", "density"), (ax_g, "$x$", "$y = g(x)$"), (ax_y, "$y$", "density")):
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    fig.tight_layout()
    fig.savefig(output, dpi=110)
    plt.close(fig)
