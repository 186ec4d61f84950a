"""Jupyter display of any law: the mimebundle (plain text, LaTeX, HTML with MathML) and ``_repr_latex_``."""
from __future__ import annotations

import html
from typing import Any

import sympy as sp

from covar.render.latex import result_latex
from covar.render.text import render


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
        head = _math(sp.Eq(sp.Symbol(s.label.text), s.pdf, evaluate=False))
    rows = [f"<p>{head}</p>", f"<p>support {_math(s.where)}</p>"]
    if s.atoms:
        rows.append("<p>atoms " + ", ".join(_math(sp.Eq(sp.Symbol(f"P({s.name} = {sp.sstr(k)})"), v, evaluate=False))
                                            for k, v in s.atoms) + "</p>")
    if s.family:
        rows.append(f"<p>family {html.escape(str(s.family))}</p>")
    return "<div>" + "".join(rows) + "</div>"


def _math(expr: Any) -> str:
    """Presentation MathML of one expression, as an inline ``<math>`` element."""
    body = sp.mathml(expr, printer="presentation")
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML">{body}</math>'


def mimebundle(law: Any) -> dict[str, str]:
    """``text/plain`` (the terminal text without steps), ``text/latex`` and ``text/html``.

    >>> import covar
    >>> sorted(mimebundle(covar.parse_density("Exponential(1)")))
    ['text/html', 'text/latex', 'text/plain']
    """
    plain = render(law, steps=False)
    return {"text/plain": plain, "text/latex": latex_display(law),
            "text/html": html_display(law)}
