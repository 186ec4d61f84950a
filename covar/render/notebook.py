"""Jupyter display of any law: the mimebundle (plain text, LaTeX, HTML) and ``_repr_latex_``."""
from __future__ import annotations

import html
from typing import Any

from covar.render.latex import result_latex
from covar.render.text import render


def latex_display(law: Any) -> str:
    """The result as display math, for ``_repr_latex_``.

    >>> import covar
    >>> latex_display(covar.parse_density("Exponential(1)")).startswith("$\\\\displaystyle f_{X}(x)")
    True
    """
    return "$\\displaystyle " + result_latex(law) + "$"


def mimebundle(law: Any) -> dict[str, str]:
    """``text/plain`` (the terminal text without steps), ``text/latex`` and ``text/html``.

    >>> import covar
    >>> sorted(mimebundle(covar.parse_density("Exponential(1)")))
    ['text/html', 'text/latex', 'text/plain']
    """
    plain = render(law, steps=False)
    return {"text/plain": plain, "text/latex": latex_display(law),
            "text/html": f"<pre>{html.escape(plain)}</pre>"}
