"""Pictures of a 2×2 matrix variate and its square root, drawn from covar's derived densities.

* :func:`plot_matrix_transform` — three panels: the free entries of X (samples coloured by the
  engine's log-density f_X), the free entries of R = g(X) (coloured by the derived f_R), and the
  eigenvalues of the 2^p symmetric square roots of the samples, one colour per sign branch, the
  branches folding onto the positive quadrant under Y ↦ Y².
* :func:`animate_matrix_transform` — the third free entry as time: at each frame the slices
  x12 = c of f_X and y12 = c' of f_R (both the engine's ``numpy()``), with the samples near
  the slice; written as a GIF and optionally an HTML player.
"""
from __future__ import annotations

from contextlib import ExitStack
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np

from covar.render.plot.canvas import GREY, colour, new_figure


def _free(M: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return M[:, 0, 0], M[:, 0, 1], M[:, 1, 1]


def _log_density(law: Any, M: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(law.numpy()(M))


def plot_matrix_transform(X: Any, R: Any, *, title: str | None = None, samples: int = 3000, seed: int = 0) -> Any:
    """The still figure of R = g(X) for a 2×2 matrix variate X (numeric parameters)."""
    rng = np.random.default_rng(seed)
    M = X.sample(samples, rng)
    Y = R.derivation.forward(M, None, {})
    fig = new_figure(14, 4.8)
    ax_x, ax_y, ax_b = fig.subplots(1, 3)
    for ax, law, pts, name in ((ax_x, X, M, X.symbol.name), (ax_y, R, Y, R.symbol.name)):
        a, b, c = _free(pts)
        dots = ax.scatter(a, c, c=_log_density(law, pts), s=4, cmap="viridis")
        fig.colorbar(dots, ax=ax, label=f"log f_{name} (derived by covar)")
        ax.set(xlabel=f"{name}[1,1]", ylabel=f"{name}[2,2]",
               title=f"{name}: diagonal entries; off-diagonal in [{b.min():.1f}, {b.max():.1f}]")
    w = np.linalg.eigvalsh(M)[:, ::-1]
    for k, signs in enumerate(product((1, -1), repeat=2)):
        roots = np.sqrt(w) * np.array(signs)
        in_image = all(s > 0 for s in signs)
        ax_b.scatter(roots[:, 0], roots[:, 1], s=3, color=colour(k) if in_image else GREY,
                     alpha=0.8 if in_image else 0.25,
                     label=f"signs ({'+' if signs[0] > 0 else '−'}, {'+' if signs[1] > 0 else '−'})"
                     + (": sqrtm" if in_image else ""))
    ax_b.axhline(0, color="black", lw=0.6)
    ax_b.axvline(0, color="black", lw=0.6)
    ax_b.set(xlabel="eigenvalue of the root with the larger |λ|", ylabel="the other eigenvalue",
             title="the 4 symmetric roots; Y ↦ Y² folds them onto (+, +)")
    ax_b.legend(fontsize=7, loc="lower left", markerscale=3)
    if title:
        fig.suptitle(title, fontsize=11.5)
    return fig


def animate_matrix_transform(X: Any, R: Any, frames: int = 13, *, gif: str | Path | None = None,
                             html: str | Path | None = None, fps: int = 4, title: str | None = None,
                             dpi: int = 72, samples: int = 4000, seed: int = 0) -> int:
    """The off-diagonal entry as time: slices of f_X and of the derived f_R; returns the frame count."""
    from matplotlib.animation import HTMLWriter, PillowWriter

    rng = np.random.default_rng(seed)
    M = X.sample(samples, rng)
    Y = R.derivation.forward(M, None, {})
    fig = new_figure(10, 4, layout=None)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.82, wspace=0.25)
    axes = fig.subplots(1, 2)
    cuts = [np.quantile(_free(P)[1], np.linspace(0.1, 0.9, frames)) for P in (M, Y)]
    boxes = [tuple(np.quantile(_free(P)[i], [0.005, 0.995]) for i in (0, 2)) for P in (M, Y)]

    def draw(k: int) -> None:
        for ax, law, P, cut, box, name in zip(axes, (X, R), (M, Y), cuts, boxes, (X.symbol.name, R.symbol.name)):
            ax.clear()
            (a0, a1), (c0, c1) = box
            a, c = np.meshgrid(np.linspace(a0, a1, 120), np.linspace(c0, c1, 120))
            grid = np.stack([np.stack([a, np.full_like(a, cut[k])], -1), np.stack([np.full_like(a, cut[k]), c], -1)], -2)
            ax.imshow(law.numpy()(grid), origin="lower", extent=(a0, a1, c0, c1), aspect="auto", cmap="viridis")
            near = np.abs(_free(P)[1] - cut[k]) < 0.05 * (np.ptp(_free(P)[1]) or 1.0)
            ax.scatter(_free(P)[0][near], _free(P)[2][near], s=3, color="white", alpha=0.6)
            ax.set(xlabel=f"{name}[1,1]", ylabel=f"{name}[2,2]",
                   title=f"f_{name} on the slice {name}[1,2] = {cut[k]:.2f} (covar)")
        if title:
            fig.suptitle(title, fontsize=11)

    writers: list[tuple[Any, Path]] = []
    if gif is not None:
        writers.append((PillowWriter(fps=fps), Path(gif)))
    if html is not None:
        writers.append((HTMLWriter(fps=fps, embed_frames=True, default_mode="once"), Path(html)))
    with ExitStack() as stack:
        for writer, path in writers:
            stack.enter_context(writer.saving(fig, path, dpi))
        for k in range(frames):
            draw(k)
            for writer, _path in writers:
                writer.grab_frame()
    return frames
