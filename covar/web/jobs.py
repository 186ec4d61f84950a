"""What a worker process does for one request: derive, draw the figure, or draw the animation.

Every job reads the problem with the CLI's own functions (the same parsers, the same checks of
parameter values, the same messages), runs under one time budget, and returns plain data: a
result, or an error naming the form field that caused it. The page's math comes from the
law's ``summary()`` and its record's ``display()`` steps only (:mod:`covar.render.mathml`).
"""
from __future__ import annotations

import base64
import io
import re
import tempfile
from pathlib import Path
from typing import Any, Callable

from covar.errors import CovarError, DerivationTimeout, ParseError
from covar.numeric.budget import time_budget
from covar.render import mathml

#: parameter values for pictures are bounded like the catalog's location and scale parameters
MAX_VALUE = 1e6
FIGURE_SAMPLES = 20_000
FRAMES = 8


class JobError(Exception):
    """A problem the user can fix, with the form field it concerns."""

    def __init__(self, field: str | None, message: str, kind: str = "input") -> None:
        super().__init__(message)
        self.field, self.kind = field, kind


def _field_of(fields: dict[str, Any], message: str) -> str:
    """Which field a CLI usage message concerns: the map, the assumptions, the support or the density."""
    from covar.text.assumptions import parse_assumptions
    from covar.text.sets import parse_set

    for start, field in (("map ", "map"), ("--vars", "vars"), ("--marginal", "marginal"), ("--layer", "layers"),
                         ("--base", "density"), ("--support", "support"), ("give at least one --layer", "layers")):
        if message.startswith(start):
            return field
    if _fails(parse_assumptions, fields["assume"]):
        return "assume"
    if _fails(parse_set, fields["support"]):
        return "support"
    return "density"


def _fails(parse: Callable[[Any], Any], value: Any) -> bool:
    """Whether ``parse`` refuses ``value`` on its own (an empty value is not read)."""
    try:
        if value:
            parse(value)
    except ParseError:
        return True
    return False


def _solved(fields: dict[str, Any], seconds: float) -> Any:
    """The derived law, read exactly as ``covar derive`` (a univariate or vector problem) or
    ``covar flow`` (when the problem has layers; the density is then the base) read it."""
    from covar.cli.flow import flow_law
    from covar.cli.main import UsageFailure
    from covar.cli.problem import Problem, solve

    try:
        if fields["layers"]:
            return flow_law(tuple(fields["layers"]), fields["density"] or None, seconds)
        names = tuple(n.strip() for n in fields["vars"].split(",") if n.strip())
        return solve(Problem(fields["density"], fields["map"], fields["support"] or None, tuple(fields["assume"]),
                             seconds, names, fields["marginal"] or None))
    except UsageFailure as exc:
        raise JobError(_field_of(fields, exc.message), exc.message) from None


def _values(fields: dict[str, Any], X: Any, Y: Any) -> dict[str, float]:
    """The parameter values, checked by the CLI's rules (-p) and bounded."""
    from covar.cli.main import UsageFailure, check_input_values, parameter_values

    try:
        values = parameter_values(tuple(fields["values"]), Y)
        for name, v in values.items():
            if not (abs(v) <= MAX_VALUE):
                raise JobError("values", f"{name}={v:g}: parameter values for pictures are at most {MAX_VALUE:g} in size")
        check_input_values(X, values)
    except UsageFailure as exc:
        raise JobError("values", exc.message) from None
    return values


def _input_law(Y: Any) -> Any:
    """The law a univariate chain of maps started from (the record's own input)."""
    return Y.derivation.steps[0].input


# ---- the derivation as the page shows it ----------------------------------------------------

_PIECE_TITLE = re.compile(r"^(Piece|Branch) (\d+)\b")


def _piece_of(title: Any) -> int | None:
    """The 0-based piece (or branch) a step is about, from its title ("Piece 2: on ..."), else None.

    >>> _piece_of(("Piece 2: on ", "(0, oo)")), _piece_of(("Map: y = g(x)",))
    (1, None)
    """
    from covar.record import note_words

    found = _PIECE_TITLE.match(note_words(title))
    return int(found.group(2)) - 1 if found else None


def _steps(record: Any) -> list[dict[str, Any]]:
    chain, out, n = record.steps, [], 1
    for d in chain:
        shown = []
        for step in d.display():
            shown.append({
                "n": n, "title": mathml.phrase(step.title), "bulleted": step.bulleted, "piece": _piece_of(step.title),
                "formulas": [{"where": mathml.phrase(f.where) if f.where else None,
                              "math": mathml.equation(f.label, f.values)} for f in step.formulas],
                "remarks": [mathml.phrase(r) for r in step.remarks]})
            n += 1
        out.append({"heading": mathml.phrase(d.heading()) if len(chain) > 1 else None, "steps": shown})
    return out


def _record_of(Y: Any, kind: str) -> Any:
    """The record of ``kind`` ("flow", "joint-map") in Y's chain, the last one, or None."""
    d = Y.derivation
    found = [r for r in (d.steps if d is not None else ()) if r.kind == kind]
    return found[-1] if found else None


def _layers(flow: Any) -> list[dict[str, Any]]:
    """Each layer of a flow record: its name and log|det J| (typeset), in the order applied."""
    from covar.record import Label

    return [{"name": layer.name,
             "log_det": mathml.equation(Label(f"log|det J_{k}|", rf"\log\left|\det J_{{{k}}}\right|"), (layer.log_det,))}
            for k, layer in enumerate(flow.layers, start=1)]


def _support_shown(where: Any, dim: int) -> str:
    """The support as the page shows it: "all of ℝ × ℝ" rather than a bare True."""
    import sympy as sp

    if where is sp.true:
        return "all of " + mathml.expression(sp.S.Reals if dim == 1 else sp.ProductSet(*[sp.S.Reals] * dim))
    return mathml.math_of(where)


def view(Y: Any) -> dict[str, Any]:
    """The result and the numbered derivation of ``Y`` as HTML/MathML fragments.

    ``kind`` says which panels the page shows: "univariate" (a law of one variable, possibly a
    marginal of a vector map), "vector" or "flow" (a joint law); ``layers`` lists a flow's
    log|det J| per layer; ``piece_colours`` are the plots' colours, by piece, for the steps.
    """
    from covar.record import law_phrase
    from covar.render.plot.canvas import PIECE_COLOURS

    s = Y.summary()
    d = Y.derivation
    flow = _record_of(Y, "flow")
    kind = "flow" if flow is not None else "univariate" if hasattr(Y, "cdf") else "vector"
    return {
        "headline": mathml.phrase(d.headline() if d is not None else law_phrase(Y, s.name)),
        "kind": kind,
        "grid": flow is not None or _record_of(Y, "joint-map") is not None,
        "result": {
            "name": s.name, "kind": s.kind, "family": s.family,
            "formula": mathml.equation(s.label, (s.pdf,)) if s.pdf is not None else None,
            "label": mathml.math_of(s.label), "numeric_method": s.numeric_method,
            "support": _support_shown(s.where, len(getattr(Y, "vars", ())) or 1),
            "atoms": [mathml.phrase((f"P({s.name} = ", k, ") = ", v)) for k, v in s.atoms]},
        "steps": _steps(d) if d is not None else [],
        "layers": _layers(flow) if flow is not None else [],
        "piece_colours": list(PIECE_COLOURS),
        "parameters": [p.name for p in Y.params],
    }


def derive_job(fields: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The view, the LaTeX document and the JSON document of the problem's result."""
    Y = _solved(fields, seconds)
    with time_budget(seconds, "rendering"):
        return {"view": view(Y), "latex": Y.latex(document=True), "json": Y.to_json()}


def _png(fig: Any, dpi: int) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


# ---- pictures -----------------------------------------------------------------------------------

def figure_job(fields: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The still figure: ``covar plot``'s (map, f_X, f_Y over a histogram of samples of g(X)) for
    one variable, the warped grid of :func:`covar.render.plot.plot_joint_transform` for a vector
    map or a flow of the plane."""
    from covar.render.plot.canvas import require_matplotlib

    require_matplotlib()
    Y = _solved(fields, seconds)
    if _record_of(Y, "flow") is not None or _record_of(Y, "joint-map") is not None:
        return _grid_figure(Y, seconds)
    from covar.render.plot import plot_transform

    values = _values(fields, _input_law(Y), Y)
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

    flow = _record_of(Y, "flow")
    record = flow if flow is not None else _record_of(Y, "joint-map")
    if len(record.x) != 2:
        raise JobError(None, f"the grid picture is drawn for maps of the plane; this one has {len(record.x)} variables")
    J = JointDensity(record.input_pdf, record.x, record.input_support)
    if flow is not None:
        g, log_det = _composed(flow)
        ys = flow.layers[-1].outputs
        title = "the flow carries the grid"
    else:
        g, ys, log_det = record.g, record.y, None
        if len(record.pieces) != 1:  # several branches: log|det J_g| straight from g
            log_det = sp.log(sp.Abs(sp.Matrix(record.g).jacobian(record.x).det()))
        title = "the map carries the grid"
    K = JointDensity(record.pdf, ys, record.support, derivation=record)
    free = sorted({s.name for e in (J.pdf, K.pdf, *g) for s in e.free_symbols} - {v.name for v in (*J.vars, *K.vars)})
    if free:
        raise JobError(None, f"the grid picture needs numbers: this problem has the parameters {', '.join(free)}")
    with time_budget(seconds, "grid figure"):
        xlim, ylim = _boxes(J, g)
        fig = plot_joint_transform(J, g, ys, K=K, xlim=xlim, ylim=ylim, log_det=log_det, title=title, timeout=seconds)
        return {"png": _png(fig, 64)}


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
    Y = _solved(fields, seconds)
    d = Y.derivation
    if d is None or d.kind != "map" or d.previous is not None:
        raise JobError(None, "the animation shows one univariate map")
    values = _values(fields, _input_law(Y), Y)
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


# ---- the CDF and the moments ----------------------------------------------------------------------

#: what an undefined (nan) mean and variance mean
_UNDEFINED = {"mean": "undefined: E[max(Y, 0)] and E[max(−Y, 0)] are both infinite",
              "variance": "undefined: the mean of Y is not finite"}


def _moment_shown(value: Any, name: str) -> str:
    """A moment as the page shows it: typeset, with what ∞ and an undefined value mean."""
    import sympy as sp

    if value is sp.nan:
        return _UNDEFINED[name]
    shown = mathml.expression(value)
    if value in (sp.oo, -sp.oo):
        return shown + " (the integral diverges)"
    return shown


def moments_job(fields: dict[str, Any], seconds: float) -> dict[str, Any]:
    """F_Y, E[Y] and Var[Y] of a law of one variable, each typeset, or why it has none; ``text``
    holds the same values as the CLI's JSON writes them (``covar derive --cdf --moments -f json``)."""
    from covar.errors import NoClosedForm
    from covar.record import Label

    Y = _solved(fields, seconds)
    if not hasattr(Y, "cdf"):
        raise JobError("marginal", "the CDF and the moments are for the law of one variable: name a marginal, "
                                   "e.g. r")
    import sympy as sp

    y = Y.var
    out: dict[str, Any] = {}
    text: dict[str, str | None] = {"cdf": None, "mean": None, "variance": None}
    with time_budget(seconds, "CDF and moments"):
        try:
            F = Y.cdf
            text["cdf"] = None if F is None else sp.sstr(F)
            out["cdf"] = (mathml.equation(Label(f"F_Y({y})", rf"F_{{Y}}({sp.latex(y)})"), (F,)) if F is not None
                          else "no closed form (covar integrates f_Y numerically)")
        except NoClosedForm as exc:
            out["cdf"] = mathml.phrase((f"no closed form: {exc}",))
        for name in ("mean", "variance"):
            try:
                value = getattr(Y, name)
                text[name] = sp.sstr(value)
                out[name] = _moment_shown(value, name)
            except NoClosedForm as exc:
                out[name] = mathml.phrase((f"no closed form: {exc}",))
    return {**out, "text": text}


JOBS: dict[str, Callable[[dict[str, Any], float], dict[str, Any]]] = {
    "derive": derive_job, "figure": figure_job, "animation": animation_job, "moments": moments_job}


def run(job: str, fields: dict[str, Any], seconds: float) -> dict[str, Any]:
    """Run ``job``: ``{"ok": True, ...}``, or ``{"ok": False, "error": {field, message, kind}}``."""
    try:
        return {"ok": True, **JOBS[job](fields, seconds)}
    except JobError as exc:
        return {"ok": False, "error": {"field": exc.field, "message": str(exc), "kind": exc.kind}}
    except DerivationTimeout as exc:
        return {"ok": False, "error": {"field": None, "message": str(exc), "kind": "timeout"}}
    except CovarError as exc:  # the CLI prints these as one line: so does the page
        return {"ok": False, "error": {"field": "map", "message": str(exc), "kind": type(exc).__name__}}
