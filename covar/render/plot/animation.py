"""The animation: g_t(x) = (1 - t)·x + t·g(x) for t from 0 to 1, one derivation per frame.

The density of g_t(X) is derived by the engine at every frame (a frame that fails is
annotated, not faked) and written as a GIF (matplotlib's Pillow writer) and optionally an HTML
player.
"""
from __future__ import annotations

import textwrap
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import sympy as sp

from covar.errors import CovarError
from covar.laws.density import Density
from covar.numeric.verify import to_float
from covar.render.plot.canvas import GREY, enlarge_text, mathtext, new_figure
from covar.render.plot.figure import maps_of
from covar.render.plot.panels import derivation_of, draw_map, draw_output, rv
from covar.render.plot.values import (GRID_POINTS, Mass, Span, continuous_mass_of, density_top, evaluate,
                                      linspace, map_function, map_range, pad, plot_range)
from covar.text.values import as_expression

if TYPE_CHECKING:
    from matplotlib.animation import AbstractMovieWriter


@dataclass(frozen=True)
class Frame:
    """One frame: t, the map g_t, and the engine's density of g_t(X) (or why there is none)."""

    t: sp.Rational
    stage: int
    g: sp.Expr
    density: Density | None
    error: str | None
    mass: Mass | None
    seconds: float


@dataclass(frozen=True)
class Animation:
    """What :func:`animate_transform` derived and wrote."""

    frames: tuple[Frame, ...]
    gif: Path | None
    html: Path | None
    player: str = ""  # the HTML player (matplotlib's to_jshtml page), for notebooks

    def _repr_html_(self) -> str:
        """Jupyter shows the animation as its HTML player."""
        return self.player

    @property
    def failed(self) -> tuple[Frame, ...]:
        return tuple(f for f in self.frames if f.density is None)


def interpolated_map(g: sp.Expr, x: sp.Symbol, t: Any) -> sp.Expr:
    """g_t(x) = (1 - t)·x + t·g(x): the identity at t = 0, g at t = 1.

    >>> x = sp.Symbol("x", real=True)
    >>> interpolated_map(x**2, x, sp.Rational(1, 4))
    x**2/4 + 3*x/4
    """
    t = as_expression(t)
    return sp.expand((1 - t) * x + t * g) if t not in (0, 1) else (x if t == 0 else g)


def derive_frames(X: Density, g: Any, frames: int, timeout: float | None = 5.0,
                  progress: Callable[[str], None] | None = None) -> list[Frame]:
    """The engine's density of g_t(X) at ``frames`` values of t per map (a list of maps: stages).

    A derivation that fails or overruns ``timeout`` seconds gives a frame with ``density``
    None and the error message; each success is integrated numerically (:class:`Mass`).

    >>> import covar, sympy.stats as st
    >>> X = covar.Density.from_stats(st.Normal("X", 0, 1))
    >>> [round(f.mass.integral, 4) for f in derive_frames(X, lambda x: 2 * x, 3) if f.mass]
    [1.0, 1.0, 1.0]
    """
    from covar.derive import map_expression, transform

    if frames < 2:
        raise ValueError("an animation needs at least 2 frames (t = 0 and t = 1)")
    out: list[Frame] = []
    D = X
    for stage, step in enumerate(maps_of(g)):
        target = map_expression(step, D.var, D.params)
        last = None
        for k in range(frames):
            t = sp.Rational(k, frames - 1)
            gt = interpolated_map(target, D.var, t)
            started = time.perf_counter()
            try:
                Y = transform(D, gt, timeout=timeout)
                out.append(Frame(t, stage, gt, Y, None, continuous_mass_of(Y), time.perf_counter() - started))
                last = Y
            except CovarError as exc:  # the picture says so; the build goes on
                out.append(Frame(t, stage, gt, None, f"{type(exc).__name__}: {exc}", None,
                                 time.perf_counter() - started))
            if progress is not None:
                progress(f"stage {stage + 1}, t = {float(t):.2f}")
        if last is None or out[-1].density is None:
            raise CovarError(f"the final map {target} of stage {stage + 1} could not be derived: {out[-1].error}")
        D = last
    return out


def _short(message: str | None, width: int = 60) -> str:
    return "\n".join(textwrap.wrap(message or "", width)[:4])


def _target(frame: Frame, frames: list[Frame]) -> sp.Expr:
    """The map g of the frame's stage (the g_t at t = 1)."""
    return next(f.g for f in frames if f.stage == frame.stage and f.t == 1)


def _final(frames: list[Frame], stage: int) -> Density | None:
    """The density at t = 1 of ``stage`` (None if it failed)."""
    return next((f.density for f in frames if f.stage == stage and f.t == 1), None)


def _stage_inputs(X: Density, frames: list[Frame]) -> list[Density]:
    """The input law of each stage: X, then each stage's density at t = 1."""
    finals = [f.density for f in frames if f.t == 1 and f.density is not None]
    return [X, *finals[:-1]]


def _density_tops(frames: list[Frame], inputs: list[Density], ylims: list[Span]) -> list[float]:
    """A shared density scale per stage (see :func:`covar.render.plot.values.density_top`)."""
    tops = []
    for s, D in enumerate(inputs):
        ys = np.linspace(ylims[s][0], ylims[s][1], 401)
        peaks = [density_top(evaluate(D, ys))]
        for f in frames:
            if f.stage == s and f.density is not None:
                peaks.append(density_top(evaluate(f.density, ys)))
                peaks += [1.12 * to_float(m) for m in f.density.atoms.values()]
        tops.append(max(peaks))
    return tops


def animate_transform(X: Density, g: Any, frames: int = 24, *, gif: str | Path | None = None,
                      html: str | Path | None = None, fps: int = 6, timeout: float | None = 5.0,
                      title: str | None = None, xlim: Span | None = None, dpi: int = 72,
                      progress: Callable[[str], None] | None = None, smallest_pt: float = 0.0) -> Animation:
    """Morph the identity into g and carry the density along, one engine derivation per frame.

    ``smallest_pt`` raises every text of a frame to at least that size (legible when shown small).

    ``g`` may be a list of maps (a composition, animated stage after stage). ``gif`` and
    ``html`` are output paths (the HTML is matplotlib's ``to_jshtml`` player, to step frame by
    frame). Frames whose derivation fails keep the map and say why in red.

    >>> import covar, sympy.stats as st, tempfile, os
    >>> X = covar.Density.from_stats(st.Normal("X", 0, 1))
    >>> out = os.path.join(tempfile.mkdtemp(), "scale.gif")
    >>> anim = animate_transform(X, lambda x: 2 * x, frames=3, gif=out)
    >>> len(anim.frames), anim.failed, os.path.getsize(out) > 0
    (3, (), True)
    """
    from matplotlib.animation import HTMLWriter, PillowWriter

    derived = derive_frames(X, g, frames, timeout, progress)
    inputs = _stage_inputs(X, derived)
    targets = [_target(f, derived) for f in derived]
    # One x-range per stage; the y-axis covers every g_t (g_t(x) lies between x and g(x)).
    xlims = [xlim if (xlim is not None and s == 0) else pad(plot_range(D)) for s, D in enumerate(inputs)]
    ylims = []
    for s, D in enumerate(inputs):
        lo, hi = map_range(targets[[f.stage for f in derived].index(s)], D.var, xlims[s], _final(derived, s))
        ylims.append(pad((min(lo, xlims[s][0]), max(hi, xlims[s][1]))))
    tops = _density_tops(derived, inputs, ylims)

    # A fixed layout: constrained layout would be recomputed at every frame and cost more
    # than drawing it.
    fig = new_figure(10, 4, layout=None)
    fig.subplots_adjust(left=0.065, right=0.985, bottom=0.12, top=0.84, wspace=0.2)
    ax_map, ax_pdf = fig.subplots(1, 2)

    def draw(i: int) -> None:
        f = derived[i]
        D = inputs[f.stage]
        ax_map.clear()
        ax_pdf.clear()
        xl, yl = xlims[f.stage], ylims[f.stage]
        g_tex = mathtext(rf"g_t({sp.latex(D.var)}) = (1-t)\,{sp.latex(D.var)} + t\,({sp.latex(targets[i])})")
        stage = f"stage {f.stage + 1}: " if inputs[1:] else ""
        if f.density is not None and f.mass is not None and f.density.derivation is not None:
            draw_map(ax_map, derivation_of(f.density), xl, yl, g_label=mathtext(r"g_t"), target=targets[i])
            draw_output(ax_pdf, f.density, yl, top=tops[f.stage], reference=D)
            m = f.mass
            check = mathtext(rf"\int f\,dy = {m.integral:.4f}") + f"\n(expected {m.expected:.4f})"
            ax_pdf.text(0.98, 0.5, check,  # at mid-height: the legend takes the top left corner
                        transform=ax_pdf.transAxes, ha="right", va="center", fontsize=8,
                        color="black" if m.ok else "#C00000",
                        bbox=dict(boxstyle="round", fc="white", ec="#cccccc", alpha=0.9))
        else:
            xs = linspace(xl, GRID_POINTS)
            ax_map.plot(xl, xl, ls="--", color=GREY, lw=1, label="identity")
            ax_map.plot(xs, map_function(targets[i], D.var)(xs), ls=":", color="black", lw=1.2, label="target g")
            ax_map.plot(xs, map_function(f.g, D.var)(xs), color="black", lw=2, label=mathtext("g_t"))
            ax_map.set(xlim=xl, ylim=yl, xlabel=mathtext(sp.latex(D.var)), ylabel="y")
            ax_pdf.set(xlim=yl, ylim=(0, tops[f.stage]), xlabel="y", ylabel="density")
            ax_pdf.text(0.5, 0.5, "density of this frame skipped:\n" + _short(f.error), ha="center",
                        va="center", color="#C00000", fontsize=9, wrap=True, transform=ax_pdf.transAxes)
        ax_map.set_title(stage + g_tex + f",  t = {float(f.t):.2f}", fontsize=9.5)
        ax_pdf.set_title(f"density of ${rv(D.var)}$ pushed through " + mathtext("g_t") + " (derived by covar)",
                         fontsize=9.5)
        for ax in (ax_map, ax_pdf):
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7, loc="upper left", framealpha=0.85)
            ax.grid(alpha=0.25)
        if title:
            fig.suptitle(title, fontsize=11.5)
        if smallest_pt:
            enlarge_text(fig, smallest_pt)

    writers: list[tuple[AbstractMovieWriter, Path]] = []
    if gif is not None:
        writers.append((PillowWriter(fps=fps), Path(gif)))
    with TemporaryDirectory() as scratch:
        # the player of to_jshtml, fed with the same frames (kept for notebooks even unasked)
        page = Path(html) if html is not None else Path(scratch) / "player.html"
        writers.append((HTMLWriter(fps=fps, embed_frames=True, default_mode="once"), page))
        with ExitStack() as stack:
            for writer, path in writers:
                stack.enter_context(writer.saving(fig, path, dpi))
            for i in range(len(derived)):
                draw(i)  # once per frame; each writer then grabs the pixels
                for writer, _path in writers:
                    writer.grab_frame()
        player = page.read_text()
    gif_path = Path(gif) if gif is not None else None
    html_path = Path(html) if html is not None else None
    return Animation(tuple(derived), gif_path, html_path, player)
