"""What a worker process does for one request: derive, draw a picture, or give the CDF and moments.

Every job reads the problem with the CLI's own functions (:mod:`covar.web.reading`: the same
parsers, the same checks of parameter values, the same messages), runs under its time budget,
and returns plain data: a result, or an error naming the form field that caused it. The page's
math comes from the law's ``summary()`` and its records' ``display()`` steps only
(:mod:`covar.render.mathml`); the pictures are in :mod:`covar.web.pictures`.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from covar.errors import CovarError, DerivationTimeout
from covar.numeric.budget import time_budget
from covar.render import mathml
from covar.web.pictures import animation_job, figure_job
from covar.web.reading import JobError, record_of, solved

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
    flow = record_of(Y, "flow")
    kind = "flow" if flow is not None else "univariate" if hasattr(Y, "cdf") else "vector"
    return {
        "headline": mathml.phrase(d.headline() if d is not None else law_phrase(Y, s.name)),
        "kind": kind,
        "grid": flow is not None or record_of(Y, "joint-map") is not None,
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
    Y = solved(fields, seconds)
    with time_budget(seconds, "rendering"):
        return {"view": view(Y), "latex": Y.latex(document=True), "json": Y.to_json()}


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

    Y = solved(fields, seconds)
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
