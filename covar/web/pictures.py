"""A problem's pictures as PNG data: the figure, the warped grid, the morphing animation.

``covar plot``'s figure for one variable, the warped grid for a vector map or a flow of the plane,
and the animation of one univariate map. All come from the one plotting stack (:mod:`covar.render.plot`) fed with the law's record.
"""
from __future__ import annotations

import base64
import io
import tempfile
from pathlib import Path
from typing import Any

from covar.errors import CovarError, DerivationTimeout
from covar.numeric.budget import time_budget
from covar.web.reading import JobError, checked_values, input_law, record_of, solved

FIGURE_SAMPLES = 20_000
FRAMES = 8


def _png(fig: Any, dpi: int) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def figure_job(fields: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The still figure: ``covar plot``'s (map, f_X, f_Y over a histogram of samples of g(X)) for
    one variable, the warped grid of :func:`covar.render.plot.plot_joint_transform` for a vector
    map or a flow of the plane."""
    from covar.render.plot.canvas import require_matplotlib

    require_matplotlib()
    Y = solved(fields, seconds)
    if record_of(Y, "flow") is not None or record_of(Y, "joint-map") is not None:
        return _grid_figure(Y, seconds)
    from covar.render.plot import plot_transform

    values = checked_values(fields, input_law(Y), Y)
    with time_budget(seconds, "figure"):
        steps = Y.derivation.steps
        results = [step.input for step in steps[1:]] + [Y]
        fig = plot_transform(steps[0].input, None, results=results, samples=FIGURE_SAMPLES, seed=0, values=values)
        return {"png": _png(fig, 72)}


def _grid_figure(Y: Any, seconds: float) -> dict[str, Any]:
    """Density before with a grid | after with the grid carried by the map | log|det J|, all
    read off the law's record (a vector map's, or a flow's layers composed)."""
    import sympy as sp

    from covar.laws.joint import JointDensity
    from covar.render.plot import plot_joint_transform

    flow = record_of(Y, "flow")
    record = flow if flow is not None else record_of(Y, "joint-map")
    if len(record.x) != 2:
        raise JobError(None, f"the grid picture is drawn for maps of the plane; this one has {len(record.x)} variables")
    J = JointDensity(record.input_pdf, record.x, record.input_support)
    if flow is not None:
        g, log_det = _composed(flow)
        ys = flow.layers[-1].outputs
    else:
        g, ys, log_det = record.g, record.y, None
        if len(record.pieces) != 1:  # several branches: log|det J_g| straight from g
            log_det = sp.log(sp.Abs(sp.Matrix(record.g).jacobian(record.x).det()))
    K = JointDensity(record.pdf, ys, record.support, derivation=record)
    free = sorted({s.name for e in (J.pdf, K.pdf, *g) for s in e.free_symbols} - {v.name for v in (*J.vars, *K.vars)})
    if free:
        raise JobError(None, f"the grid picture needs numbers: this problem has the parameters {', '.join(free)}")
    with time_budget(seconds, "grid figure"):
        xlim, ylim = _boxes(J, g)
        fig = plot_joint_transform(J, g, ys, K=K, xlim=xlim, ylim=ylim, log_det=log_det, timeout=seconds)
        return {"png": _png(fig, 80)}


def _composed(flow: Any) -> tuple[tuple[Any, ...], Any]:
    """(forward map, log|det J|) of a flow record's layers composed, in the base variables."""
    import sympy as sp

    point: tuple[Any, ...] = tuple(flow.x)
    log_det = sp.S.Zero
    for layer in flow.layers:
        at = dict(zip(layer.inputs, point))
        log_det += layer.log_det.xreplace(at)
        point = tuple(f.xreplace(at) for f in layer.forward)
    return point, log_det


def _boxes(J: Any, g: tuple[Any, ...]) -> tuple[Any, Any]:
    """Plot boxes: where X's mass is (quantiles of grid points drawn by density) and where
    g carries it (quantiles of their images)."""
    import numpy as np
    import sympy as sp

    from covar.render.plot.values import evaluate

    axis = np.linspace(-12, 12, 241)
    U, V = np.meshgrid(axis, axis)
    weights = np.nan_to_num(evaluate(J, U, V)).clip(min=0).ravel()
    if not (weights.sum() > 0):
        raise JobError("density", "the density of X is zero on the square [-12, 12]²: nothing to draw")
    rng = np.random.default_rng(0)
    picked = rng.choice(weights.size, 4000, p=weights / weights.sum())
    xs = np.column_stack([U.ravel()[picked], V.ravel()[picked]])
    forward = sp.lambdify(J.vars, list(g), modules="numpy")
    with np.errstate(all="ignore"):
        images = np.column_stack([np.broadcast_to(np.asarray(c, dtype=float), (len(xs),))
                                  for c in forward(xs[:, 0], xs[:, 1])])

    def box(points: Any, q: float) -> Any:
        spans = []
        for column in points.T:
            column = column[np.isfinite(column)]
            lo, hi = np.percentile(column, [q, 100 - q]) if column.size else (-3.0, 3.0)
            pad = 0.08 * (hi - lo) or 1.0
            spans.append((float(lo - pad), float(hi + pad)))
        return tuple(spans)

    return box(xs, 0.5), box(images, 1.0)


#: the animation's frames share its budget: each frame may take this share of it, so a slow
#: frame is drawn as skipped (saying why) and a slow last frame ends the animation with a
#: message, instead of the whole job overrunning
FRAME_SHARE = 1 / (2 * FRAMES)


def animation_job(fields: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The morph of x into g(x), one engine derivation per frame (each under its own share of
    the budget), as PNG frames."""
    from PIL import Image, ImageSequence

    from covar.cli.main import exact_values
    from covar.render.plot import animate_transform
    from covar.render.plot.canvas import require_matplotlib

    require_matplotlib()
    Y = solved(fields, seconds)
    d = Y.derivation
    if d is None or d.kind != "map" or d.previous is not None:
        raise JobError(None, "the animation shows one univariate map")
    values = checked_values(fields, input_law(Y), Y)
    exact = exact_values(values)
    frame_seconds = seconds * FRAME_SHARE
    with time_budget(seconds, "animation"):
        start = d.input.subs({p: exact[p.name] for p in d.input.params}) if d.input.params else d.input
        g = d.g.xreplace({s: exact[s.name] for s in d.g.free_symbols if s.name in exact})
        with tempfile.TemporaryDirectory() as folder:
            gif = Path(folder) / "morph.gif"
            try:
                anim = animate_transform(start, g, frames=FRAMES, gif=gif, timeout=frame_seconds, dpi=80)
            except DerivationTimeout:  # the animation's own budget, not a frame's
                raise
            except CovarError as exc:  # the last frame, the map itself, failed: nothing to end on
                raise JobError(None, f"the animation stops: {exc} (each frame may take {frame_seconds:.2g} s)",
                               "frame") from None
            with Image.open(gif) as image:
                frames = []
                for frame in ImageSequence.Iterator(image):
                    buffer = io.BytesIO()
                    frame.convert("RGB").save(buffer, format="PNG", optimize=True)
                    frames.append("data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"))
    return {"frames": frames, "t": [float(f.t) for f in anim.frames],
            "failed": [f.error for f in anim.frames], "frame_seconds": frame_seconds}
