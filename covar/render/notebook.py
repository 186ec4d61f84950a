"""Jupyter display of laws, records and flow layers: mimebundles of plain text, LaTeX and HTML
with presentation MathML (notes and formulas typeset), and ``_repr_latex_``."""
from __future__ import annotations

import html
from typing import Any

import sympy as sp

from covar.record import DisplayStep, Record
from covar.render import mathml
from covar.render.latex import phrase as latex_phrase
from covar.render.latex import result_latex
from covar.render.text import render, render_record


def latex_display(law: Any) -> str:
    """The result as display math, for ``_repr_latex_``.

    >>> import covar
    >>> latex_display(covar.parse_density("Exponential(1)")).startswith("$\\\\displaystyle f_{X}(x)")
    True
    """
    return "$\\displaystyle " + result_latex(law) + "$"


def html_display(law: Any) -> str:
    """The result as HTML: ``label = pdf`` in presentation MathML, then the support and family.

    >>> import covar
    >>> "<math" in html_display(covar.parse_density("Exponential(1)"))
    True
    """
    s = law.summary()
    if s.pdf is None:
        head = html.escape(f"{s.label.text} has no closed form: it is evaluated numerically ({s.numeric_method})")
    else:
        head = mathml.equation(s.label, (s.pdf,))
    rows = [f"<p>{head}</p>", f"<p>support {mathml.expression(s.where)}</p>"]
    if s.atoms:
        rows.append("<p>atoms " + ", ".join(mathml.expression(sp.Eq(sp.Symbol(f"P({s.name} = {sp.sstr(k)})"), v,
                                                                    evaluate=False)) for k, v in s.atoms) + "</p>")
    if s.family:
        rows.append(f"<p>family {html.escape(str(s.family))}</p>")
    return "<div>" + "".join(rows) + "</div>"


def mimebundle(law: Any) -> dict[str, str]:
    """``text/plain`` (the terminal text without steps), ``text/latex`` and ``text/html``.

    >>> import covar
    >>> sorted(mimebundle(covar.parse_density("Exponential(1)")))
    ['text/html', 'text/latex', 'text/plain']
    """
    plain = render(law, steps=False)
    return {"text/plain": plain, "text/latex": latex_display(law),
            "text/html": html_display(law)}


def _step_html(step: DisplayStep) -> str:
    rows = [f"<p><b>{mathml.phrase(step.title)}</b></p>"]
    for f in step.formulas:
        where = f"<p>({mathml.phrase(f.where)})</p>" if f.where else ""
        rows.append(mathml.equation(f.label, f.values) + where)
    if step.remarks:
        items = "".join(f"<li>{mathml.phrase(r)}</li>" for r in step.remarks)
        rows.append(f"<ul>{items}</ul>" if step.bulleted else "".join(f"<p>{mathml.phrase(r)}</p>" for r in step.remarks))
    return "".join(rows)


def record_mimebundle(record: Record) -> dict[str, str]:
    """A derivation record in a notebook: its steps as text, LaTeX and HTML (MathML).

    >>> import covar
    >>> bundle = record_mimebundle(covar.transform("Exponential(1)", "2*x").derivation)
    >>> "<math" in bundle["text/html"] and "Notes" in bundle["text/plain"]
    True
    """
    steps = [shown for d in record.steps for shown in d.display()]
    latex = "\n\n".join(latex_phrase(s.title) for s in steps)
    return {"text/plain": render_record(record), "text/latex": latex,
            "text/html": "<div>" + "".join(_step_html(s) for s in steps) + "</div>"}


def layer_mimebundle(layer: Any) -> dict[str, str]:
    """A flow layer (or a whole flow) in a notebook: each step's forward map, inverse and log|det J|."""
    lines, rows, tex = [], [], []
    for step in layer.layer_steps():
        zin, zout = sp.Tuple(*step.inputs), sp.Tuple(*step.outputs)
        shown = (sp.Eq(zout, sp.Tuple(*step.forward), evaluate=False),
                 sp.Eq(zin, sp.Tuple(*step.inverse), evaluate=False),
                 sp.Eq(sp.Symbol("log|det J|"), step.log_det, evaluate=False))
        lines += [step.name, *(f"  {sp.sstr(e)}" for e in shown)]
        rows.append(f"<p><b>{html.escape(step.name)}</b></p>" + "".join(f"<p>{mathml.expression(e)}</p>" for e in shown))
        tex.append(r"\text{" + step.name + r"}: \quad " + r", \quad ".join(sp.latex(e) for e in shown))
    return {"text/plain": "\n".join(lines), "text/html": "<div>" + "".join(rows) + "</div>",
            "text/latex": "$\\displaystyle " + r" \\ ".join(tex) + "$"}
