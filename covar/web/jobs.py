"""What a worker process does for one request: derive, draw the figure, or draw the animation.

Every job reads the problem with the CLI's own functions (the same parsers, the same checks of
parameter values, the same messages), runs under one time budget, and returns plain data: a
result, or an error naming the form field that caused it. The page's math comes from the
law's ``summary()`` and its record's ``display()`` steps only (:mod:`covar.render.mathml`).
"""
from __future__ import annotations

import base64
import io
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

    if message.startswith("map "):
        return "map"
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


def _derived(fields: dict[str, Any], seconds: float) -> tuple[Any, Any]:
    """(X, Y) read and derived exactly as ``covar derive`` does."""
    from covar.cli.main import UsageFailure, derive

    try:
        return derive(fields["density"], fields["map"], fields["support"] or None, tuple(fields["assume"]), seconds)
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


# ---- the derivation as the page shows it ----------------------------------------------------

def _steps(record: Any) -> list[dict[str, Any]]:
    chain, out, n = record.steps, [], 1
    for d in chain:
        shown = []
        for step in d.display():
            shown.append({
                "n": n, "title": mathml.phrase(step.title), "bulleted": step.bulleted,
                "formulas": [{"where": mathml.phrase(f.where) if f.where else None,
                              "math": mathml.equation(f.label, f.values)} for f in step.formulas],
                "remarks": [mathml.phrase(r) for r in step.remarks]})
            n += 1
        out.append({"heading": mathml.phrase(d.heading()) if len(chain) > 1 else None, "steps": shown})
    return out


def view(Y: Any) -> dict[str, Any]:
    """The result and the numbered derivation of ``Y`` as HTML/MathML fragments."""
    from covar.record import law_phrase

    s = Y.summary()
    d = Y.derivation
    return {
        "headline": mathml.phrase(d.headline() if d is not None else law_phrase(Y, s.name)),
        "result": {
            "name": s.name, "kind": s.kind, "family": s.family,
            "formula": mathml.equation(s.label, (s.pdf,)) if s.pdf is not None else None,
            "label": mathml.math_of(s.label), "numeric_method": s.numeric_method,
            "support": mathml.math_of(s.where),
            "atoms": [mathml.phrase((f"P({s.name} = ", k, ") = ", v)) for k, v in s.atoms]},
        "steps": _steps(d) if d is not None else [],
        "parameters": [p.name for p in Y.params],
    }


def derive_job(fields: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The view, the LaTeX document and the JSON document of the problem's result."""
    _, Y = _derived(fields, seconds)
    with time_budget(seconds, "rendering"):
        return {"view": view(Y), "latex": Y.latex(document=True), "json": Y.to_json()}


def _png(fig: Any, dpi: int) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def figure_job(fields: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The still figure of ``covar plot`` (map, f_X, f_Y over a histogram of samples of g(X))."""
    from covar.render.plot import plot_transform
    from covar.render.plot.canvas import require_matplotlib

    require_matplotlib()
    X, Y = _derived(fields, seconds)
    values = _values(fields, X, Y)
    with time_budget(seconds, "figure"):
        steps = Y.derivation.steps
        results = [step.input for step in steps[1:]] + [Y]
        fig = plot_transform(steps[0].input, None, results=results, samples=FIGURE_SAMPLES, seed=0, values=values)
        return {"png": _png(fig, 72)}


def animation_job(fields: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The morph of x into g(x), one engine derivation per frame, as PNG frames."""
    from PIL import Image, ImageSequence

    from covar.cli.main import exact_values
    from covar.render.plot import animate_transform
    from covar.render.plot.canvas import require_matplotlib

    require_matplotlib()
    X, Y = _derived(fields, seconds)
    values = _values(fields, X, Y)
    d = Y.derivation
    if d is None or not hasattr(d, "g") or d.previous is not None:
        raise JobError(None, "the animation shows one univariate map")
    exact = exact_values(values)
    with time_budget(seconds, "animation"):
        start = d.input.subs({p: exact[p.name] for p in d.input.params}) if d.input.params else d.input
        g = d.g.xreplace({s: exact[s.name] for s in d.g.free_symbols if s.name in exact})
        with tempfile.TemporaryDirectory() as folder:
            gif = Path(folder) / "morph.gif"
            anim = animate_transform(start, g, frames=FRAMES, gif=gif, timeout=seconds / 4, dpi=80)
            with Image.open(gif) as image:
                frames = []
                for frame in ImageSequence.Iterator(image):
                    buffer = io.BytesIO()
                    frame.convert("RGB").save(buffer, format="PNG", optimize=True)
                    frames.append("data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"))
    return {"frames": frames, "t": [float(f.t) for f in anim.frames],
            "failed": [f.error for f in anim.frames]}


JOBS: dict[str, Callable[[dict[str, Any], float], dict[str, Any]]] = {
    "derive": derive_job, "figure": figure_job, "animation": animation_job}


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
