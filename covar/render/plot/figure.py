"""The still figure of a univariate transform: map | density of X | density of g(X).

One row per map of a composition; each monotone piece of g and the mass it carries share a
colour; optionally a histogram of samples of g(X) under the derived density.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import sympy as sp

from covar.laws.density import Density
from covar.render.plot.canvas import mathtext, new_figure
from covar.render.plot.panels import (derivation_of, draw_input, draw_map, draw_output, draw_samples, fn,
                                      result_text, rv)
from covar.render.plot.values import NO_VALUES, Span, Values, map_range, pad, plot_range

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def maps_of(g: Any) -> list[Any]:
    """A composition is a list of maps; a single map is a list of one."""
    return list(g) if isinstance(g, (list, tuple)) else [g]


def derive_steps(X: Density, g: Any, timeout: float | None = 30) -> list[Density]:
    """The engine's density after each map of ``g`` (a map or a list of maps applied in turn).

    >>> import covar, sympy.stats as st
    >>> X = covar.Density.from_stats(st.Normal("X", 0, 1))
    >>> [str(D.family) for D in derive_steps(X, [lambda v: v**2, sp.sqrt])]
    ['ChiSquared(1)', 'HalfNormal(1)']
    """
    from covar.derive import transform

    out, D = [], X
    for step in maps_of(g):
        D = transform(D, step, timeout=timeout)
        out.append(D)
    return out


def plot_law(Y: Any, **options: Any) -> Figure:
    """The figure of a derived law: each map of its record with the input and output densities
    (``options`` as for :func:`plot_transform`); in Jupyter it shows as a PNG by itself.

    >>> import covar
    >>> fig = plot_law(covar.transform("Exponential(1)", "sqrt(x)"))
    >>> fig._repr_png_()[1:4] == b"PNG"
    True
    """
    from covar.errors import UnsupportedTransform
    from covar.record import Derivation

    chain = [d for d in (Y.derivation.steps if Y.derivation is not None else ()) if type(d) is Derivation]
    if not chain or len(chain) != len(Y.derivation.steps if Y.derivation is not None else ()):
        raise UnsupportedTransform("plot() draws laws derived by univariate maps; this law has no such record")
    results = [*(d.input for d in chain[1:]), Y]
    return plot_transform(chain[0].input, [d.g for d in chain], results=results, **options)


def plot_transform(X: Density, g: Any, *, title: str | None = None, xlim: Span | None = None,
                   ylim: Span | None = None, timeout: float | None = 30,
                   extra_maps: Sequence[tuple[sp.Expr, str]] = (),
                   results: Sequence[Density] | None = None, samples: int = 0, seed: int = 0,
                   values: Values = NO_VALUES) -> Figure:
    """Map | density of X | density of g(X), one row per map when ``g`` is a list (a composition).

    ``g`` is anything :func:`covar.transform` accepts (an expression in ``X.var``, text, a
    callable) or a list of such maps applied in turn. ``xlim`` fixes the x-range of the first
    row, ``ylim`` the y-range of the last (default: 99.8 % of the mass). ``extra_maps`` are
    (expression in x, label) curves drawn dashed on the first map panel, e.g. a branch that a
    wrong derivation used. ``results`` passes densities already derived (one per map).
    ``samples`` > 0 adds a histogram of that many samples of g(X) (seeded by ``seed``) under
    the final density. ``values`` gives numbers to the laws' parameters by name (the labels
    keep the symbols). Returns a matplotlib Figure (Agg canvas; save it with ``fig.savefig``).

    >>> import covar, sympy.stats as st
    >>> X = covar.Density.from_stats(st.Normal("X", 0, 1))
    >>> fig = plot_transform(X, lambda x: x**2)
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['$x$', '$x$', '$y$']
    """
    steps = list(results) if results is not None else derive_steps(X, g, timeout)
    fig = new_figure(14, 4.3 * len(steps) + 0.5)
    axes = fig.subplots(len(steps), 3, squeeze=False)
    for row, Y in enumerate(steps):
        d = derivation_of(Y)
        xl = xlim if (xlim is not None and row == 0) else pad(plot_range(d.input, values=values))
        last = row == len(steps) - 1
        yl = ylim if (ylim is not None and last) else pad(map_range(d.g, d.x, xl, Y, values))
        out_range = ylim if (ylim is not None and last) else pad(plot_range(Y, values=values))
        g_tex = rf"{sp.latex(d.y)} = {sp.latex(d.g)}"
        draw_map(axes[row, 0], d, xl, yl, g_label=mathtext(g_tex), extra_maps=extra_maps if row == 0 else (),
                 values=values)
        draw_input(axes[row, 1], d, xl, values=values)
        draw_output(axes[row, 2], Y, out_range, values=values)
        if last and samples > 0:
            draw_samples(axes[row, 2], Y, out_range, samples, seed, values)
        step = f"step {row + 1}: " if len(steps) > 1 else ""
        axes[row, 0].set_title(f"{step}the map " + mathtext(g_tex), fontsize=10)
        axes[row, 1].set_title("input: " + mathtext(fn(d.x)) + ", pieces of g coloured", fontsize=10)
        if Y.discrete:  # a pmf: each point's mass is the sum over its preimages, no Jacobian
            output = "output: " + mathtext(rf"P({rv(d.y)} = {sp.latex(d.y)})") + ", preimages' masses summed"
        else:
            contribution = rf"f_{{{rv(d.x)}}}(h_k({sp.latex(d.y)}))\,|h_k'({sp.latex(d.y)})|"
            output = "output: contributions " + mathtext(contribution) + " stacked"
        axes[row, 2].set_title(output, fontsize=10)
        for ax in axes[row]:
            ax.legend(fontsize=7.5, loc="best", framealpha=0.85)
            ax.grid(alpha=0.25)
        axes[row, 1].text(0.5, -0.2, result_text(Y), transform=axes[row, 1].transAxes, fontsize=9,
                          ha="center", va="top")
    shown = ", ".join(f"{name} = {value:g}" for name, value in values.items())
    if title or shown:  # the parameter values drawn with, so a saved figure says what it shows
        fig.suptitle(" — ".join(t for t in (title, shown and f"with {shown}") if t), fontsize=13)
    return fig
