"""Pictures of change of variables, drawn from covar's own derivations.

* :func:`plot_transform` — the map (identity and g), the density of X and the density of
  Y = g(X), side by side; each monotone piece of g and its image share a colour, the
  contributions of the pieces are stacked, point masses are drawn as stems.
* :func:`animate_transform` — g_t(x) = (1 - t)·x + t·g(x) for t from 0 to 1; the density of
  g_t(X) is derived by the engine at every frame (a frame that fails is annotated, not
  faked) and written as a GIF (matplotlib's Pillow writer) and optionally an HTML player.
* :func:`plot_joint_transform` — a 2-D map: density before, density after with the warped
  image of a grid, and log|det J| of the map.

Every curve of a density comes from the engine (``Y.numpy()``, ``Y.atoms`` and the pieces of
``Y.derivation``); nothing here writes a density by hand. matplotlib is imported only in this
module, and figures are bound to the Agg canvas directly, so pyplot's global state (and the
user's backend) is never touched.
"""
from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import sympy as sp

from covar.laws.density import Density
from covar.errors import CovarError
from covar.text.parsing import as_expression

#: one colour per monotone piece (colour-blind-safe Okabe–Ito order)
PIECE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
_GREY = "#7f7f7f"
_GRID_POINTS = 801


# ---------------------------------------------------------------------------------------------
# matplotlib without global state


def _figure(width: float, height: float, layout: str | None = "constrained") -> Any:
    """A Figure on its own Agg canvas (no pyplot: the user's backend stays as it was)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout=layout)
    FigureCanvasAgg(fig)
    return fig


_PARSER: list = []  # one shared parser: its parse cache then serves every label of every frame


def mathtext(latex: str) -> str:
    """``$latex$`` when matplotlib's mathtext can typeset it, else the plain string.

    >>> mathtext(r"\\sqrt{y}")
    '$\\\\sqrt{y}$'
    >>> mathtext(r"\\begin{cases} 1 \\end{cases}")
    '\\\\begin{cases} 1 \\\\end{cases}'
    """
    if not _PARSER:
        from matplotlib.mathtext import MathTextParser

        _PARSER.append(MathTextParser("path"))
    try:
        _PARSER[0].parse(f"${latex}$")
    except ValueError:  # mathtext is a subset of LaTeX (no cases, no \text)
        return latex
    return f"${latex}$"


# ---------------------------------------------------------------------------------------------
# numbers from the engine's records


def _float(v: Any) -> float:
    v = as_expression(v)
    if v == sp.oo:
        return np.inf
    if v == -sp.oo:
        return -np.inf
    return float(sp.N(v))


def _intervals(support: sp.Set) -> list[tuple[float, float]]:
    from covar.univariate.pieces import support_intervals

    return [(_float(iv.start), _float(iv.end)) for iv in support_intervals(support)]


def _safe(values: Any, shape: tuple) -> np.ndarray:
    """Broadcast to ``shape``; nan/inf (poles, round-off at endpoints) become nan for drawing."""
    out = np.broadcast_to(np.asarray(values, dtype=float), shape).astype(float)
    out[~np.isfinite(out)] = np.nan
    return out


def _evaluate(D: Density, grid: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return _safe(D.numpy()(grid), grid.shape)


def _map_function(g: sp.Expr, x: sp.Symbol) -> Callable[[np.ndarray], np.ndarray]:
    f = sp.lambdify(x, g, modules="numpy")

    def run(xs: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return _safe(f(xs), xs.shape)

    return run


def _contributions(Y: Density) -> list[tuple[int, Density]]:
    """(piece index, unnormalised Density of that piece's term f_X(h(y))|h'(y)| on its image).

    Wrapping a contribution as a Density lets the engine's own numpy evaluator draw it.
    """
    d = Y.derivation
    out = []
    for k, p in enumerate(getattr(d, "pieces", ()) or ()):
        if p.kind != "constant" and p.contribution is not None and p.image is not None:
            out.append((k, Density(p.contribution, d.y, p.image, validate=False)))
    return out


@dataclass(frozen=True)
class Mass:
    """∫ of the continuous part of a law over its support, against 1 − (sum of atom masses)."""

    integral: float
    expected: float

    @property
    def ok(self) -> bool:
        return abs(self.integral - self.expected) < 1e-4


def continuous_mass_of(Y: Density) -> Mass:
    """Integrate ``Y.numpy()`` over the support by adaptive quadrature (covar.numeric.validation).

    >>> import covar, sympy.stats as st
    >>> Y = covar.transform(Density.from_stats(st.Normal("X", 0, 1)), lambda x: sp.Max(0, x))
    >>> m = continuous_mass_of(Y); round(m.integral, 6), m.expected, m.ok
    (0.5, 0.5, True)
    """
    from covar.numeric.validation import continuous_mass

    f = Y.numpy()

    def pdf(t: float) -> float:
        # quad probes next to integrable poles, where round-off gives inf/nan
        with np.errstate(all="ignore"):
            v = float(f(np.array([t]))[0])
        return v if np.isfinite(v) else 0.0

    expected = 1.0 - sum(_float(m) for m in Y.atoms.values())
    return Mass(continuous_mass(pdf, _intervals(Y.support)), expected)


def plot_range(D: Density, lo_q: float = 1e-3, hi_q: float = 1 - 1e-3, span: float = 60.0) -> tuple[float, float]:
    """Where ``D`` keeps all but ``lo_q`` + ``1 - hi_q`` of its mass (numeric CDF of D.numpy()).

    >>> import sympy.stats as st
    >>> lo, hi = plot_range(Density.from_stats(st.Normal("X", 0, 1)))
    >>> round(lo, 1), round(hi, 1)
    (-3.1, 3.1)
    """
    xs, ps = [], []
    for lo, hi in _intervals(D.support):
        grid = np.linspace(max(lo, -span), min(hi, span), 20001)
        xs.append(grid)
        ps.append(np.nan_to_num(_evaluate(D, grid)))
    atoms = [_float(k) for k in D.atoms]
    if not xs:
        return (min(atoms) - 1, max(atoms) + 1) if atoms else (-1.0, 1.0)
    x, p = np.concatenate(xs), np.concatenate(ps)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (p[1:] + p[:-1]) * np.diff(x))])
    cdf /= cdf[-1]
    lo, hi = float(np.interp(lo_q, cdf, x)), float(np.interp(hi_q, cdf, x))
    return min([lo, *atoms]), max([hi, *atoms])


def _top(values: np.ndarray) -> float:
    """A density axis top that shows the body of the curve and clips integrable poles.

    The 99th percentile of the positive values ignores the few grid points next to a pole
    (chi-square(1) at 0) but not a genuine peak, which covers many grid points.
    """
    pos = values[np.isfinite(values) & (values > 0)]
    return 1.15 * float(np.percentile(pos, 99)) if pos.size else 1.0


def _pad(lo: float, hi: float, frac: float = 0.06) -> tuple[float, float]:
    w = (hi - lo) or 1.0
    return lo - frac * w, hi + frac * w


# ---------------------------------------------------------------------------------------------
# drawing one derivation


def _rv(var: sp.Symbol) -> str:
    """The random variable's letter for a value symbol: X for x, Y for y."""
    return sp.latex(sp.Symbol(var.name.upper()))


def _fn(var: sp.Symbol) -> str:
    """f_X(x) for the symbol x, as LaTeX."""
    return rf"f_{{{_rv(var)}}}({sp.latex(var)})"


def _piece_label(p: Any, x: sp.Symbol, y: sp.Symbol) -> str:
    where = mathtext(rf"{sp.latex(x)} \in {sp.latex(p.interval)}")
    if p.kind == "constant":
        return f"{where}: constant {mathtext(sp.latex(p.value))}"
    return f"{where}: {p.kind}, {mathtext(rf'h({sp.latex(y)}) = {sp.latex(p.inverse)}')}"


def _shade_outside(ax: Any, support: sp.Set, lo: float, hi: float, label: str) -> None:
    """Hatch the parts of [lo, hi] outside ``support`` (where the density is 0 by construction)."""
    edges = [lo]
    for a, b in _intervals(support):
        edges += [max(a, lo), min(b, hi)]
    edges.append(hi)
    first = True
    for a, b in zip(edges[::2], edges[1::2]):
        if b > a:
            ax.axvspan(a, b, facecolor="none", edgecolor="#bbbbbb", hatch="///", lw=0,
                       label=label if first else None)
            first = False


def _draw_map(ax: Any, deriv: Any, xlim: tuple, ylim: tuple, g_label: str,
              target: sp.Expr | None = None, extra_maps: Sequence[tuple[sp.Expr, str]] = ()) -> None:
    """Identity, g coloured by monotone piece (the pieces' x-intervals shaded), support of X."""
    x = deriv.x
    identity = mathtext(f"{sp.latex(deriv.y)} = {sp.latex(x)}") + " (identity)"
    ax.plot(xlim, xlim, ls="--", color=_GREY, lw=1, label=identity)
    if target is not None:
        xs = np.linspace(*xlim, _GRID_POINTS)
        ax.plot(xs, _map_function(target, x)(xs), ls=":", color="black", lw=1.2, label="target g")
    for k, p in enumerate(deriv.pieces):
        c = PIECE_COLOURS[k % len(PIECE_COLOURS)]
        a, b = max(_float(p.interval.start), xlim[0]), min(_float(p.interval.end), xlim[1])
        if b <= a:
            continue
        xs = np.linspace(a, b, _GRID_POINTS)
        ax.axvspan(a, b, color=c, alpha=0.07, lw=0)
        ax.plot(xs, _map_function(p.g, x)(xs), color=c, lw=2.2,
                label=g_label if k == 0 else None)
    _shade_outside(ax, deriv.input.support, *xlim, label=f"outside supp$({_rv(x)})$")
    for expr, label in extra_maps:
        xs = np.linspace(*xlim, _GRID_POINTS)
        ax.plot(xs, _map_function(expr, x)(xs), color="#C00000", ls="--", lw=1.6, label=label)
    ax.set(xlim=xlim, ylim=ylim, xlabel=mathtext(sp.latex(x)),
           ylabel=mathtext(f"{sp.latex(deriv.y)} = g({sp.latex(x)})"))


def _draw_input(ax: Any, deriv: Any, xlim: tuple, top: float | None = None) -> None:
    """f_X, the mass of each piece filled in that piece's colour."""
    X, x = deriv.input, deriv.x
    xs = np.linspace(*xlim, _GRID_POINTS)
    fx = _evaluate(X, xs)
    for k, p in enumerate(deriv.pieces):
        c = PIECE_COLOURS[k % len(PIECE_COLOURS)]
        inside = (xs >= _float(p.interval.start)) & (xs <= _float(p.interval.end))
        ax.fill_between(xs, 0, np.nan_to_num(fx), where=inside, color=c, alpha=0.3, lw=0,
                        label=_piece_label(p, x, deriv.y))
    ax.plot(xs, fx, color="black", lw=1.6, label=mathtext(_fn(x)))
    _shade_outside(ax, X.support, *xlim, label=None)
    ax.set(xlim=xlim, ylim=(0, top or _top(fx)), xlabel=mathtext(sp.latex(x)), ylabel="density")


def _draw_output(ax: Any, Y: Density, ylim: tuple, top: float | None = None,
                 reference: Density | None = None) -> None:
    """f_Y with the pieces' contributions stacked in their colours, atoms as stems."""
    y = Y.var
    ys = np.linspace(*ylim, _GRID_POINTS)
    if reference is not None:
        ax.plot(ys, _evaluate(reference, ys), color=_GREY, lw=1, ls="--",
                label=mathtext(_fn(reference.var)) + " (t = 0)")
    stack = np.zeros_like(ys)
    for k, C in _contributions(Y):
        part = np.nan_to_num(_evaluate(C, ys))
        ax.fill_between(ys, stack, stack + part, color=PIECE_COLOURS[k % len(PIECE_COLOURS)],
                        alpha=0.35, lw=0)
        stack = stack + part
    fy = _evaluate(Y, ys)
    ax.plot(ys, fy, color="black", lw=1.8, label=mathtext(_fn(y)))
    # Stems come from Y.atoms (several constant pieces may share one atom); a stem takes the
    # colour of the constant piece that made it, when there is one.
    pieces = getattr(Y.derivation, "pieces", ()) or ()
    made_by = {p.value: PIECE_COLOURS[k % len(PIECE_COLOURS)]
               for k, p in enumerate(pieces) if p.kind == "constant"}
    for point, mass in Y.atoms.items():
        c, v, m = made_by.get(point, "black"), _float(point), _float(mass)
        ax.vlines(v, 0, m, color=c, lw=2.5)
        ax.plot([v], [m], "o", color=c, ms=7,
                label=mathtext(rf"P({_rv(y)} = {sp.latex(point)}) = {sp.latex(mass)}") + " (stem height = mass)")
    _shade_outside(ax, Y.support, *ylim, label=mathtext(rf"f_{{{_rv(y)}}} = 0") + ": no preimage")
    atoms = [_float(m) for m in Y.atoms.values()]
    ax.set(xlim=ylim, ylim=(0, top or max([_top(fy), *[1.12 * m for m in atoms]])),
           xlabel=mathtext(sp.latex(y)), ylabel="density")


def _result_text(Y: Density) -> str:
    """The result cell by cell, as mathtext where it can be typeset."""
    d = Y.derivation
    y = Y.var
    parts = []
    for cell in getattr(d, "cells", ()) or ():
        if cell.simplified != 0:
            parts.append(mathtext(rf"{_fn(y)} = {sp.latex(cell.simplified)}"
                                  rf"\ \ \mathrm{{on}}\ {sp.latex(cell.interval)}"))
    for point, mass in Y.atoms.items():
        parts.append(mathtext(rf"P({_rv(y)} = {sp.latex(point)}) = {sp.latex(mass)}"))
    if Y.family:
        parts.append(f"recognised: {Y.family}")
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------
# public: static figure


def _maps(g: Any) -> list[Any]:
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
    for step in _maps(g):
        D = transform(D, step, timeout=timeout)
        out.append(D)
    return out


def plot_transform(X: Density, g: Any, *, title: str | None = None, xlim: tuple | None = None,
                   ylim: tuple | None = None, timeout: float | None = 30,
                   extra_maps: Sequence[tuple[sp.Expr, str]] = (),
                   results: Sequence[Density] | None = None) -> Any:
    """Map | density of X | density of g(X), one row per map when ``g`` is a list (a composition).

    ``g`` is anything :func:`covar.transform` accepts (an expression in ``X.var``, text, a
    callable) or a list of such maps applied in turn. ``xlim`` fixes the x-range of the first
    row, ``ylim`` the y-range of the last (default: 99.8 % of the mass). ``extra_maps`` are
    (expression in x, label) curves drawn dashed on the first map panel, e.g. a branch that a
    wrong derivation used. ``results`` passes densities already derived (one per map).
    Returns a matplotlib Figure (Agg canvas; save it with ``fig.savefig``).

    >>> import covar, sympy.stats as st
    >>> X = covar.Density.from_stats(st.Normal("X", 0, 1))
    >>> fig = plot_transform(X, lambda x: x**2)
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['$x$', '$x$', '$y$']
    """
    steps = list(results) if results is not None else derive_steps(X, g, timeout)
    fig = _figure(14, 4.3 * len(steps) + 0.5)
    axes = fig.subplots(len(steps), 3, squeeze=False)
    for row, Y in enumerate(steps):
        d = Y.derivation
        xl = xlim if (xlim is not None and row == 0) else _pad(*plot_range(d.input))
        last = ylim is not None and row == len(steps) - 1
        yl = ylim if last else _pad(*_map_range(d.g, d.x, xl, Y))
        out_range = ylim if last else _pad(*plot_range(Y))
        g_tex = rf"{sp.latex(d.y)} = {sp.latex(d.g)}"
        _draw_map(axes[row, 0], d, xl, yl, g_label=mathtext(g_tex), extra_maps=extra_maps if row == 0 else ())
        _draw_input(axes[row, 1], d, xl)
        _draw_output(axes[row, 2], Y, out_range)
        step = f"step {row + 1}: " if len(steps) > 1 else ""
        axes[row, 0].set_title(f"{step}the map " + mathtext(g_tex), fontsize=10)
        axes[row, 1].set_title("input: " + mathtext(_fn(d.x)) + ", pieces of g coloured", fontsize=10)
        contribution = rf"f_{{{_rv(d.x)}}}(h_k({sp.latex(d.y)}))\,|h_k'({sp.latex(d.y)})|"
        axes[row, 2].set_title("output: contributions " + mathtext(contribution) + " stacked",
                               fontsize=10)
        for ax in axes[row]:
            ax.legend(fontsize=7.5, loc="best", framealpha=0.85)
            ax.grid(alpha=0.25)
        axes[row, 1].text(0.5, -0.2, _result_text(Y), transform=axes[row, 1].transAxes, fontsize=9,
                          ha="center", va="top")
    if title:
        fig.suptitle(title, fontsize=13)
    return fig


def _map_range(g: sp.Expr, x: sp.Symbol, xlim: tuple, Y: Density | None = None) -> tuple[float, float]:
    """The y-range a map sweeps over xlim (and the output's atoms), finite values only."""
    xs = np.linspace(*xlim, _GRID_POINTS)
    vals = _map_function(g, x)(xs)
    lo, hi = np.nanmin(vals), np.nanmax(vals)
    if Y is not None and Y.atoms:
        pts = [_float(k) for k in Y.atoms]
        lo, hi = min(lo, *pts), max(hi, *pts)
    return float(lo), float(hi)


# ---------------------------------------------------------------------------------------------
# public: animation


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
    >>> [round(f.mass.integral, 4) for f in derive_frames(X, lambda x: 2 * x, 3)]
    [1.0, 1.0, 1.0]
    """
    from covar.derive import map_expression, transform

    if frames < 2:
        raise ValueError("an animation needs at least 2 frames (t = 0 and t = 1)")
    say = progress or (lambda _msg: None)
    out: list[Frame] = []
    D = X
    for stage, step in enumerate(_maps(g)):
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
            say(f"stage {stage + 1}, t = {float(t):.2f}")
        if last is None or out[-1].density is None:
            raise CovarError(f"the final map {target} of stage {stage + 1} could not be derived: {out[-1].error}")
        D = last
    return out


def animate_transform(X: Density, g: Any, frames: int = 24, *, gif: str | Path | None = None,
                      html: str | Path | None = None, fps: float = 6, timeout: float | None = 5.0,
                      title: str | None = None, xlim: tuple | None = None, dpi: int = 72,
                      progress: Callable[[str], None] | None = None) -> Animation:
    """Morph the identity into g and carry the density along, one engine derivation per frame.

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
    inputs = [X] + [f.density for f in derived if f.t == 1][:-1]
    targets = [_target(f, derived) for f in derived]
    # One x-range per stage; the y-axis covers every g_t (g_t(x) lies between x and g(x)).
    xlims = [xlim if (xlim is not None and s == 0) else _pad(*plot_range(D)) for s, D in enumerate(inputs)]
    ylims = []
    for s, D in enumerate(inputs):
        lo, hi = _map_range(targets[[f.stage for f in derived].index(s)], D.var, xlims[s], _final(derived, s))
        ylims.append(_pad(min(lo, xlims[s][0]), max(hi, xlims[s][1])))
    tops = _density_tops(derived, inputs, ylims)

    # A fixed layout: constrained layout would be recomputed at every frame and cost more
    # than drawing it.
    fig = _figure(10, 4, layout=None)
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
        if f.density is not None:
            _draw_map(ax_map, f.density.derivation, xl, yl, g_label=mathtext(r"g_t"), target=targets[i])
            _draw_output(ax_pdf, f.density, yl, top=tops[f.stage], reference=D)
            m = f.mass
            check = mathtext(rf"\int f\,dy = {m.integral:.4f}") + f"\n(expected {m.expected:.4f})"
            ax_pdf.text(0.98, 0.97, check,
                        transform=ax_pdf.transAxes, ha="right", va="top", fontsize=8,
                        color="black" if m.ok else "#C00000",
                        bbox=dict(boxstyle="round", fc="white", ec="#cccccc", alpha=0.9))
        else:
            xs = np.linspace(*xl, _GRID_POINTS)
            ax_map.plot(xl, xl, ls="--", color=_GREY, lw=1, label="identity")
            ax_map.plot(xs, _map_function(targets[i], D.var)(xs), ls=":", color="black", lw=1.2, label="target g")
            ax_map.plot(xs, _map_function(f.g, D.var)(xs), color="black", lw=2, label=mathtext("g_t"))
            ax_map.set(xlim=xl, ylim=yl, xlabel=mathtext(sp.latex(D.var)), ylabel="y")
            ax_pdf.set(xlim=yl, ylim=(0, tops[f.stage]), xlabel="y", ylabel="density")
            ax_pdf.text(0.5, 0.5, "density of this frame skipped:\n" + _short(f.error), ha="center",
                        va="center", color="#C00000", fontsize=9, wrap=True, transform=ax_pdf.transAxes)
        ax_map.set_title(stage + g_tex + f",  t = {float(f.t):.2f}", fontsize=9.5)
        ax_pdf.set_title(f"density of ${_rv(D.var)}$ pushed through " + mathtext("g_t") + " (derived by covar)",
                         fontsize=9.5)
        for ax in (ax_map, ax_pdf):
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7, loc="upper left", framealpha=0.85)
            ax.grid(alpha=0.25)
        if title:
            fig.suptitle(title, fontsize=11.5)

    writers = []
    if gif is not None:
        writers.append((PillowWriter(fps=fps), Path(gif)))
    if html is not None:  # the player of to_jshtml, fed with the same frames
        writers.append((HTMLWriter(fps=fps, embed_frames=True, default_mode="once"), Path(html)))
    with ExitStack() as stack:
        for writer, path in writers:
            stack.enter_context(writer.saving(fig, path, dpi))
        for i in range(len(derived)):
            draw(i)  # once per frame; each writer then grabs the pixels
            for writer, _path in writers:
                writer.grab_frame()
    gif_path = Path(gif) if gif is not None else None
    html_path = Path(html) if html is not None else None
    return Animation(tuple(derived), gif_path, html_path)


def _short(message: str | None, width: int = 60) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(message or "", width)[:4])


def _target(frame: Frame, frames: list[Frame]) -> sp.Expr:
    """The map g of the frame's stage (the g_t at t = 1)."""
    return next(f.g for f in frames if f.stage == frame.stage and f.t == 1)


def _final(frames: list[Frame], stage: int) -> Density | None:
    """The density at t = 1 of ``stage`` (None if it failed)."""
    return next((f.density for f in frames if f.stage == stage and f.t == 1), None)


def _density_tops(frames: list[Frame], inputs: list[Density], ylims: list[tuple]) -> list[float]:
    """A shared density scale per stage (see :func:`_top`)."""
    tops = []
    for s, D in enumerate(inputs):
        ys = np.linspace(*ylims[s], 401)
        peaks = [_top(_evaluate(D, ys))]
        for f in frames:
            if f.stage == s and f.density is not None:
                peaks.append(_top(_evaluate(f.density, ys)))
                peaks += [1.12 * _float(m) for m in f.density.atoms.values()]
        tops.append(max(peaks))
    return tops


# ---------------------------------------------------------------------------------------------
# public: two dimensions


def _grid_lines(lims: tuple, n: int = 9, m: int = 200) -> list[np.ndarray]:
    """Horizontal and vertical lines of a grid over ((x0, x1), (y0, y1)) as (m, 2) arrays."""
    (a, b), (c, d) = lims
    lines = []
    for v in np.linspace(c, d, n):
        lines.append(np.column_stack([np.linspace(a, b, m), np.full(m, v)]))
    for u in np.linspace(a, b, n):
        lines.append(np.column_stack([np.full(m, u), np.linspace(c, d, m)]))
    return lines


def joint_mass(K: Any, lims: tuple, n: int = 400) -> float:
    """∫∫ of a JointDensity's pdf over the box ((a, b), (c, d)) by the trapezoid rule.

    >>> import covar, sympy.stats as st
    >>> J = covar.independent(st.Normal("X1", 0, 1), st.Normal("X2", 0, 1))
    >>> round(joint_mass(J, ((-8, 8), (-8, 8))), 6)
    1.0
    """
    (a, b), (c, d) = lims
    u, v = np.linspace(a, b, n), np.linspace(c, d, n)
    U, V = np.meshgrid(u, v)
    with np.errstate(all="ignore"):
        P = np.nan_to_num(_safe(K.numpy()(U, V), U.shape))
    return float(np.trapezoid(np.trapezoid(P, u, axis=1), v))


def plot_joint_transform(J: Any, g: Sequence[Any], y: Sequence[Any], *, K: Any = None,
                         inverse: Any = None, xlim: tuple = ((-3, 3), (-3, 3)),
                         ylim: tuple = ((-3, 3), (-3, 3)), log_det: sp.Expr | None = None,
                         title: str | None = None, timeout: float | None = 60) -> Any:
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
    g = tuple(as_expression(e) for e in g)
    if log_det is None:
        h_abs_det = K.derivation.abs_det
        log_det = -sp.log(h_abs_det.xreplace(dict(zip(ys, g))))
    fwd = sp.lambdify(xs, list(g), modules="numpy")
    logdet_f = sp.lambdify(xs, log_det, modules="numpy")

    fig = _figure(15, 4.8)
    ax_in, ax_out, ax_det = fig.subplots(1, 3)
    lines = _grid_lines(xlim)
    _density_image(ax_in, J, xlim)
    for L in lines:
        ax_in.plot(L[:, 0], L[:, 1], color="white", lw=0.7, alpha=0.8)
    _density_image(ax_out, K, ylim)
    span = ylim[1][1] - ylim[1][0]
    for L in lines:
        with np.errstate(all="ignore"):
            W = np.column_stack([np.broadcast_to(np.asarray(c, float), L[:, 0].shape)
                                 for c in fwd(L[:, 0], L[:, 1])])
        # a jump (angle wrapping at ±π) is a cut, not part of the curve
        jump = np.abs(np.diff(W[:, 1])) > span / 2
        W[1:][jump] = np.nan
        ax_out.plot(W[:, 0], W[:, 1], color="white", lw=0.7, alpha=0.8)
    U, V = np.meshgrid(np.linspace(*xlim[0], 300), np.linspace(*xlim[1], 300))
    with np.errstate(all="ignore"):
        L = _safe(logdet_f(U, V), U.shape)
    # symmetric colour limits from percentiles: a singular point (the origin for polar
    # coordinates) would otherwise wash out the whole picture
    lim = float(np.nanmax(np.abs(np.nanpercentile(L, [1, 99])))) or 1.0
    im = ax_det.imshow(L, origin="lower", extent=(*xlim[0], *xlim[1]), aspect="auto", cmap="coolwarm",
                       vmin=-lim, vmax=lim)
    fig.colorbar(im, ax=ax_det, label=mathtext(r"\log|\det J_g|"))
    name = lambda v: mathtext(sp.latex(v))  # noqa: E731
    ax_in.set(xlabel=name(xs[0]), ylabel=name(xs[1]), xlim=xlim[0], ylim=xlim[1])
    ax_out.set(xlabel=name(ys[0]), ylabel=name(ys[1]), xlim=ylim[0], ylim=ylim[1])
    ax_det.set(xlabel=name(xs[0]), ylabel=name(xs[1]))
    pair = lambda v: mathtext(rf"f({sp.latex(v[0])}, {sp.latex(v[1])})")  # noqa: E731
    ax_in.set_title("before: " + pair(xs) + " and a grid", fontsize=10)
    ax_out.set_title("after: " + pair(ys) + ", the grid carried by g",
                     fontsize=10)
    ax_det.set_title(mathtext(rf"\log|\det J_g| = {sp.latex(sp.simplify(log_det))}"), fontsize=10)
    if title:
        fig.suptitle(title, fontsize=13)
    return fig


def _density_image(ax: Any, K: Any, lims: tuple, n: int = 300) -> None:
    U, V = np.meshgrid(np.linspace(*lims[0], n), np.linspace(*lims[1], n))
    with np.errstate(all="ignore"):
        P = _safe(K.numpy()(U, V), U.shape)
    im = ax.imshow(P, origin="lower", extent=(*lims[0], *lims[1]), aspect="auto", cmap="viridis")
    ax.figure.colorbar(im, ax=ax, label="density")
