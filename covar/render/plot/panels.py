"""Drawing one derivation: the map panel, the input panel, the output panel, labels.

Shared by the still figure (:mod:`.figure`) and the animation (:mod:`.animation`). Every
curve comes from the engine's records (``D.numpy()``, ``Y.atoms``, the pieces' contributions).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import sympy as sp

from covar.errors import CovarError
from covar.laws.density import Density
from covar.record import Derivation, Piece
from covar.render.plot.canvas import GREY, colour, mathtext
from covar.render.plot.values import (GRID_POINTS, NO_VALUES, FloatArray, Span, Values, density_top, evaluate,
                                      intervals, linspace, map_function, number, pmf_points)

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def derivation_of(Y: Density) -> Derivation:
    """The record a picture of Y is drawn from (a law given directly has none to draw)."""
    if not isinstance(Y.derivation, Derivation):
        raise CovarError("this law was not derived from a univariate map by covar.transform, "
                         "so there is no map x -> g(x) to draw")
    return Y.derivation


def rv(var: sp.Symbol) -> str:
    """The random variable's letter for a value symbol: X for x, Y for y."""
    return sp.latex(sp.Symbol(var.name.upper()))


def fn(var: sp.Symbol) -> str:
    """f_X(x) for the symbol x, as LaTeX."""
    return rf"f_{{{rv(var)}}}({sp.latex(var)})"


def _piece_label(p: Piece, x: sp.Symbol, y: sp.Symbol) -> str:
    where = mathtext(rf"{sp.latex(x)} \in {sp.latex(p.interval)}")
    if p.kind == "constant":
        return f"{where}: constant {mathtext(sp.latex(p.value))}"
    return f"{where}: {p.kind}, {mathtext(rf'h({sp.latex(y)}) = {sp.latex(p.inverse)}')}"


def _inside(p: Piece, xs: FloatArray, values: Values) -> Any:
    return (xs >= number(p.interval.start, values)) & (xs <= number(p.interval.end, values))


def shade_outside(ax: Axes, D: Density, span: Span, label: str | None, values: Values = NO_VALUES) -> None:
    """Hatch the parts of ``span`` outside D's support (where the density is 0 by construction).

    A discrete law is drawn as stems on its points, so nothing is hatched.
    """
    if D.discrete:
        return
    lo, hi = span
    edges = [lo]
    for a, b in intervals(D.support, values):
        edges += [max(a, lo), min(b, hi)]
    edges.append(hi)
    first = True
    for a, b in zip(edges[::2], edges[1::2]):
        if b > a:
            ax.axvspan(a, b, facecolor="none", edgecolor="#bbbbbb", hatch="///", lw=0,
                       label=label if first else None)
            first = False


def draw_map(ax: Axes, deriv: Derivation, xlim: Span, ylim: Span, g_label: str,
             target: sp.Expr | None = None, extra_maps: Sequence[tuple[sp.Expr, str]] = (),
             values: Values = NO_VALUES) -> None:
    """Identity, g coloured by monotone piece (the pieces' x-intervals shaded), support of X."""
    x = deriv.x
    identity = mathtext(f"{sp.latex(deriv.y)} = {sp.latex(x)}") + " (identity)"
    ax.plot(xlim, xlim, ls="--", color=GREY, lw=1, label=identity)
    if target is not None:
        xs = linspace(xlim, GRID_POINTS)
        ax.plot(xs, map_function(target, x)(xs), ls=":", color="black", lw=1.2, label="target g")
    for k, p in enumerate(deriv.pieces):
        a, b = max(number(p.interval.start, values), xlim[0]), min(number(p.interval.end, values), xlim[1])
        if b <= a:
            continue
        xs = np.linspace(a, b, GRID_POINTS)
        ax.axvspan(a, b, color=colour(k), alpha=0.07, lw=0)
        ax.plot(xs, map_function(p.g, x, values)(xs), color=colour(k), lw=2.2, label=g_label if k == 0 else None)
    if deriv.input.discrete:  # the map is only ever applied at the input's points
        _draw_enumerated(ax, deriv, xlim, g_label, values)
        pts, _ = pmf_points(deriv.input, values)
        pts = pts[(pts >= xlim[0]) & (pts <= xlim[1])]
        ax.plot(pts, map_function(deriv.g, x, values)(pts), "o", color="black", ms=4,
                label="g at the points of X")
    shade_outside(ax, deriv.input, xlim, f"outside supp$({rv(x)})$", values)
    for expr, label in extra_maps:
        xs = linspace(xlim, GRID_POINTS)
        ax.plot(xs, map_function(expr, x)(xs), color="#C00000", ls="--", lw=1.6, label=label)
    ax.set(xlim=xlim, ylim=ylim, xlabel=mathtext(sp.latex(x)),
           ylabel=mathtext(f"{sp.latex(deriv.y)} = g({sp.latex(x)})"))


def _enumerated_colour(deriv: Derivation) -> str:
    """The colour of g where a pmf's points are mapped one by one (outside every recorded piece)."""
    return colour(len(deriv.pieces))


def _outside_pieces(deriv: Derivation, xs: FloatArray, values: Values) -> Any:
    """Whether each x lies outside the open interior of every recorded piece."""
    out = np.ones(xs.shape, dtype=bool)
    for p in deriv.pieces:
        out &= ~((xs > number(p.interval.start, values)) & (xs < number(p.interval.end, values)))
    return out


def _draw_enumerated(ax: Axes, deriv: Derivation, xlim: Span, g_label: str, values: Values) -> None:
    """g over the part of xlim that no recorded piece covers: a pmf's head points (or all of
    them, for a finite support) are mapped one by one, so the record has no piece there."""
    xs = linspace(xlim, GRID_POINTS)
    ys = np.where(_outside_pieces(deriv, xs, values), map_function(deriv.g, deriv.x, values)(xs), np.nan)
    if np.isfinite(ys).any():
        label = g_label + (" (points mapped one by one)" if deriv.pieces else "")
        ax.plot(xs, ys, color=_enumerated_colour(deriv), lw=2.2, label=label)


def _stems(ax: Axes, D: Density, span: Span, values: Values, colours: Sequence[str] | None = None) -> float:
    """A discrete law's probabilities as stems within span; returns the highest."""
    pts, ps = pmf_points(D, values)
    keep = (pts >= span[0]) & (pts <= span[1])
    pts, ps = pts[keep], ps[keep]
    ax.vlines(pts, 0, ps, colors=list(colours) if colours else "black", lw=2.5)
    ax.plot(pts, ps, "o", color="black", ms=4, label=mathtext(rf"P({rv(D.var)} = {sp.latex(D.var)})"))
    return float(ps.max()) if ps.size else 1.0


def draw_input(ax: Axes, deriv: Derivation, xlim: Span, top: float | None = None,
               values: Values = NO_VALUES) -> None:
    """f_X, the mass of each piece filled in that piece's colour (stems for a pmf)."""
    X, x = deriv.input, deriv.x
    if X.discrete:
        pts, _ = pmf_points(X, values)
        pts = pts[(pts >= xlim[0]) & (pts <= xlim[1])]
        made = [next((colour(k) for k, p in enumerate(deriv.pieces) if _inside(p, np.array([v]), values)[0]),
                     _enumerated_colour(deriv)) for v in pts]
        peak = _stems(ax, X, xlim, values, made)
        ax.set(xlim=xlim, ylim=(0, top or 1.12 * peak), xlabel=mathtext(sp.latex(x)), ylabel="probability")
        return
    xs = linspace(xlim, GRID_POINTS)
    fx = evaluate(X, xs, values=values)
    for k, p in enumerate(deriv.pieces):
        ax.fill_between(xs, 0, np.nan_to_num(fx), where=_inside(p, xs, values), color=colour(k), alpha=0.3, lw=0,
                        label=_piece_label(p, x, deriv.y))
    ax.plot(xs, fx, color="black", lw=1.6, label=mathtext(fn(x)))
    shade_outside(ax, X, xlim, None, values)
    ax.set(xlim=xlim, ylim=(0, top or density_top(fx)), xlabel=mathtext(sp.latex(x)), ylabel="density")


def _contributions(Y: Density) -> list[tuple[int, Density]]:
    """(piece index, unnormalised Density of that piece's term f_X(h(y))|h'(y)| on its image).

    Wrapping a contribution as a Density lets the engine's own numpy evaluator draw it.
    """
    d = derivation_of(Y)
    return [(k, Density(p.contribution, d.y, p.image, validate=False)) for k, p in enumerate(d.pieces)
            if p.kind != "constant" and p.contribution is not None and p.image is not None]


def draw_output(ax: Axes, Y: Density, ylim: Span, top: float | None = None,
                reference: Density | None = None, values: Values = NO_VALUES) -> None:
    """f_Y with the pieces' contributions stacked in their colours, atoms as stems."""
    y = Y.var
    if Y.discrete:
        peak = _stems(ax, Y, ylim, values)
        ax.set(xlim=ylim, ylim=(0, top or 1.12 * peak), xlabel=mathtext(sp.latex(y)), ylabel="probability")
        return
    ys = linspace(ylim, GRID_POINTS)
    if reference is not None:
        ax.plot(ys, evaluate(reference, ys, values=values), color=GREY, lw=1, ls="--",
                label=mathtext(fn(reference.var)) + " (t = 0)")
    stack = np.zeros_like(ys)
    for k, C in _contributions(Y):
        part = np.nan_to_num(evaluate(C, ys, values=values))
        ax.fill_between(ys, stack, stack + part, color=colour(k), alpha=0.35, lw=0)
        stack = stack + part
    fy = evaluate(Y, ys, values=values)
    ax.plot(ys, fy, color="black", lw=1.8, label=mathtext(fn(y)))
    # Stems come from Y.atoms (several constant pieces may share one atom); a stem takes the
    # colour of the constant piece that made it, when there is one.
    pieces = Y.derivation.pieces if isinstance(Y.derivation, Derivation) else ()
    made_by = {p.value: colour(k) for k, p in enumerate(pieces) if p.kind == "constant"}
    for point, mass in Y.atoms.items():
        c, v, m = made_by.get(point, "black"), number(point, values), number(mass, values)
        ax.vlines(v, 0, m, color=c, lw=2.5)
        ax.plot([v], [m], "o", color=c, ms=7,
                label=mathtext(rf"P({rv(y)} = {sp.latex(point)}) = {sp.latex(mass)}") + " (stem height = mass)")
    shade_outside(ax, Y, ylim, mathtext(rf"f_{{{rv(y)}}} = 0") + ": no preimage", values)
    atoms = [number(m, values) for m in Y.atoms.values()]
    ax.set(xlim=ylim, ylim=(0, top or max([density_top(fy), *[1.12 * m for m in atoms]])),
           xlabel=mathtext(sp.latex(y)), ylabel="density")


def draw_samples(ax: Axes, Y: Density, span: Span, samples: int, seed: int, values: Values = NO_VALUES) -> None:
    """A histogram of ``samples`` draws of g(X) (X's own sampler pushed through the map).

    Heights are relative to all samples, so the bars' area is the continuous part's mass;
    draws that hit an atom (or a discrete law's points) are shown as frequency markers.
    """
    draws = Y.sample(samples, np.random.default_rng(seed), **{p.name: values[p.name] for p in Y.params})
    points = pmf_points(Y, values)[0] if Y.discrete else np.array([number(k, values) for k in Y.atoms])
    at_point = np.isclose(draws[:, None], points[None, :]) if points.size else np.zeros((draws.size, 0), bool)
    first = derivation_of(Y).steps[0]
    label = f"{samples} samples of g({rv(first.x if isinstance(first, Derivation) else Y.var)})"
    if points.size:
        freq = at_point.sum(axis=0) / samples
        shown = (points >= span[0]) & (points <= span[1])
        ax.plot(points[shown], freq[shown], "x", color="#C00000", ms=8, mew=2, label=f"{label}: frequencies")
        label = ""
    rest = draws[~at_point.any(axis=1)]
    if rest.size:
        counts, edges = np.histogram(rest, bins=80, range=span)
        ax.stairs(counts / (samples * np.diff(edges)), edges, color="#C00000", lw=1.1, label=label or None)


def result_text(Y: Density) -> str:
    """The result cell by cell, as mathtext where it can be typeset."""
    y = Y.var
    cells = Y.derivation.cells if isinstance(Y.derivation, Derivation) else ()
    parts = [mathtext(rf"{fn(y)} = {sp.latex(cell.simplified)}\ \ \mathrm{{on}}\ {sp.latex(cell.interval)}")
             for cell in cells if cell.simplified != 0]
    for point, mass in Y.atoms.items():
        parts.append(mathtext(rf"P({rv(y)} = {sp.latex(point)}) = {sp.latex(mass)}"))
    if Y.family:
        parts.append(f"recognised: {Y.family}")
    return "\n".join(parts)
