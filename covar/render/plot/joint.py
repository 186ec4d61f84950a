"""Pictures of a 2-D map (a bijection or a flow layer): density before with a grid, density
after with the grid carried by g, and log|det J_g| over the input plane."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import sympy as sp

from covar.render.plot.canvas import mathtext, new_figure
from covar.render.plot.values import Box, FloatArray, evaluate, finite_or_nan, linspace
from covar.text.values import as_expression

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _grid_lines(box: Box, n: int = 9, m: int = 200) -> list[FloatArray]:
    """Horizontal and vertical lines of a grid over ((x0, x1), (y0, y1)) as (m, 2) arrays."""
    (a, b), (c, d) = box
    lines = []
    for v in np.linspace(c, d, n):
        lines.append(np.column_stack([np.linspace(a, b, m), np.full(m, v)]))
    for u in np.linspace(a, b, n):
        lines.append(np.column_stack([np.full(m, u), np.linspace(c, d, m)]))
    return lines


def _mesh(box: Box, n: int) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """(u, v, U, V): the axes of an n x n grid over the box and its meshgrid."""
    u, v = linspace(box[0], n), linspace(box[1], n)
    U, V = np.meshgrid(u, v)
    return u, v, U, V


def joint_mass(K: Any, box: Box, n: int = 400) -> float:
    """∫∫ of a JointDensity's pdf over the box ((a, b), (c, d)) by the trapezoid rule.

    >>> import covar, sympy.stats as st
    >>> J = covar.independent(st.Normal("X1", 0, 1), st.Normal("X2", 0, 1))
    >>> round(joint_mass(J, ((-8, 8), (-8, 8))), 6)
    1.0
    """
    u, v, U, V = _mesh(box, n)
    P = np.nan_to_num(evaluate(K, U, V))
    return float(np.trapezoid(np.trapezoid(P, u, axis=1), v))


def _density_image(ax: Axes, K: Any, box: Box, n: int = 300) -> None:
    _u, _v, U, V = _mesh(box, n)
    im = ax.imshow(evaluate(K, U, V), origin="lower", extent=(*box[0], *box[1]), aspect="auto", cmap="viridis")
    ax.figure.colorbar(im, ax=ax, label="density")


def plot_joint_transform(J: Any, g: Sequence[Any], y: Sequence[Any], *, K: Any = None,
                         inverse: Any = None, xlim: Box = ((-3, 3), (-3, 3)),
                         ylim: Box = ((-3, 3), (-3, 3)), log_det: sp.Expr | None = None,
                         title: str | None = None, timeout: float | None = 60) -> Figure:
    """Density of X with a grid | density of g(X) with the warped grid | log|det J_g| over X.

    ``K`` is the engine's density of g(X) (derived with :func:`covar.transform` when not
    given). ``log_det`` is log|det J_g| in the x variables when known from structure (e.g.
    ``AffineCoupling.log_det_jacobian``); otherwise it is read off the derivation as
    -log|det J_h| at y = g(x).

    >>> import covar, sympy.stats as st
    >>> J = covar.independent(st.Normal("X1", 0, 1), st.Normal("X2", 0, 1))
    >>> x1, x2 = J.vars
    >>> fig = plot_joint_transform(J, (x1 + x2, x2), ("u", "v"), ylim=((-5, 5), (-3, 3)))
    >>> fig.axes[1].get_xlabel()
    '$u$'
    """
    from covar.derive import transform

    xs = J.vars
    if K is None:
        K = transform(J, tuple(g), tuple(y), inverse=inverse, timeout=timeout)
    ys = K.vars
    forward = tuple(as_expression(e) for e in g)
    if log_det is None:
        log_det = -sp.log(K.derivation.abs_det.xreplace(dict(zip(ys, forward))))
    fwd = sp.lambdify(xs, list(forward), modules="numpy")
    logdet_f = sp.lambdify(xs, log_det, modules="numpy")

    fig = new_figure(15, 4.8)
    ax_in, ax_out, ax_det = fig.subplots(1, 3)
    lines = _grid_lines(xlim)
    _density_image(ax_in, J, xlim)
    for L in lines:
        ax_in.plot(L[:, 0], L[:, 1], color="white", lw=0.7, alpha=0.8)
    _density_image(ax_out, K, ylim)
    span = ylim[1][1] - ylim[1][0]
    for L in lines:
        with np.errstate(all="ignore"):
            W = np.column_stack([finite_or_nan(c, L[:, 0].shape) for c in fwd(L[:, 0], L[:, 1])])
        # a jump (angle wrapping at ±π) is a cut, not part of the curve
        jump = np.abs(np.diff(W[:, 1])) > span / 2
        W[1:][jump] = np.nan
        ax_out.plot(W[:, 0], W[:, 1], color="white", lw=0.7, alpha=0.8)
    _u, _v, U, V = _mesh(xlim, 300)
    with np.errstate(all="ignore"):
        LD = finite_or_nan(logdet_f(U, V), U.shape)
    # symmetric colour limits from percentiles: a singular point (the origin for polar
    # coordinates) would otherwise wash out the whole picture
    lim = float(np.nanmax(np.abs(np.nanpercentile(LD, [1, 99])))) or 1.0
    im = ax_det.imshow(LD, origin="lower", extent=(*xlim[0], *xlim[1]), aspect="auto", cmap="coolwarm",
                       vmin=-lim, vmax=lim)
    fig.colorbar(im, ax=ax_det, label=mathtext(r"\log|\det J_g|"))

    def name(v: sp.Symbol) -> str:
        return mathtext(sp.latex(v))

    def pair(v: Sequence[sp.Symbol]) -> str:
        return mathtext(rf"f({sp.latex(v[0])}, {sp.latex(v[1])})")

    ax_in.set(xlabel=name(xs[0]), ylabel=name(xs[1]), xlim=xlim[0], ylim=xlim[1])
    ax_out.set(xlabel=name(ys[0]), ylabel=name(ys[1]), xlim=ylim[0], ylim=ylim[1])
    ax_det.set(xlabel=name(xs[0]), ylabel=name(xs[1]))
    ax_in.set_title("before: " + pair(xs) + " and a grid", fontsize=10)
    ax_out.set_title("after: " + pair(ys) + ", the grid carried by g", fontsize=10)
    ax_det.set_title(mathtext(rf"\log|\det J_g| = {sp.latex(sp.simplify(log_det))}"), fontsize=10)
    if title:
        fig.suptitle(title, fontsize=13)
    return fig
