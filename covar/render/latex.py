"""LaTeX of a result, rendered from its law's summary and its record's display steps.

:func:`derivation_latex` writes every step of every record that led to the result (one
paragraph per display step, formulas in ``align*``, each map of a composition in turn) and the
result as ``cases``; :func:`result_latex` writes only the result, as math, for notebooks.
Nothing is re-derived and no kind of result is special-cased here. Standalone documents use only
amsmath/amssymb and compile with pdflatex.
"""
from __future__ import annotations

import re
from typing import Any

import sympy as sp

from covar.record import DisplayStep, Formula, Label, LawSummary, Phrase

_PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[margin=2cm]{geometry}
\usepackage{amsmath,amssymb}
\allowdisplaybreaks
\begin{document}
"""

# pdflatex without extra packages knows no unicode: the few characters notes use become math.
_TEXT_ESCAPES = {
    "\\": r"$\backslash$", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "%": r"\%", "_": r"\_", "^": r"\^{}", "~": r"\~{}",
    "<": "$<$", ">": "$>$", "≤": r"$\le$", "≥": r"$\ge$", "∞": r"$\infty$",
    "→": r"$\to$", "≡": r"$\equiv$", "√": r"$\surd$", "²": r"$^2$", "∪": r"$\cup$", "…": r"\ldots{}", "Σ": r"$\Sigma$", "ₙ": r"$_n$", "−": "-", "×": r"$\times$", "·": r"$\cdot$", "–": "--", "—": "---", "∈": r"$\in$", "′": "'",
}


def escape_text(text: str) -> str:
    """Plain text made safe for LaTeX text mode.

    >>> escape_text("x**2 on Interval(0, oo) & 50%")
    'x*{}*2 on Interval(0, oo) \\\\& 50\\\\%'
    """
    out = []
    for ch in text:
        if ch in _TEXT_ESCAPES:
            out.append(_TEXT_ESCAPES[ch])
        elif ord(ch) < 128:
            out.append(ch)
        else:  # an unknown non-ASCII character would stop pdflatex: name it instead
            out.append(f"[U+{ord(ch):04X}]")
    # "**" would read as a ligature-free but odd "**"; keep it visibly two stars
    return "".join(out).replace("**", "*{}*")


def _tex(expr: Any) -> str:
    return expr.tex if isinstance(expr, Label) else sp.latex(expr)


def _breakable(tex: str) -> str:
    r"""Inline math that TeX may break inside a line of text: ``\left(``/``\right)`` groups
    (which TeX never breaks) become plain delimiters, and a line may break after a comma.

    >>> _breakable(r"\left( a, \  b\right)")
    '( a,\\allowbreak\\  b)'
    """
    tex = tex.replace(r"\left.", "").replace(r"\right.", "")
    tex = re.sub(r"\\(?:left|right)(?=[()\[\]|]|\\[{}])", "", tex)
    return tex.replace(r", \ ", r",\allowbreak\ ")


def phrase(parts: Phrase) -> str:
    """A phrase in LaTeX text mode: words escaped, math between dollars (breakable, see
    :func:`_breakable`)."""
    return "".join(escape_text(p) if isinstance(p, str) else f"${_breakable(_tex(p))}$" for p in parts)


def _family(law: Any) -> str:
    return r"\text{" + escape_text(str(law)) + "}"


def _atoms(s: LawSummary) -> str:
    return r",\quad ".join(rf"P({s.name} = {_tex(k)}) = {_tex(v)}" for k, v in s.atoms)


def result_latex(law: Any) -> str:
    r"""The result as math (no environment): f_Y(y) = ..., with atoms and the recognised family.

    >>> import covar
    >>> print(result_latex(covar.parse_density("Exponential(2)")))
    f_{X}(x) = 2 e^{- 2 x}, \quad x \in \left[0, \infty\right) \quad (\text{Exponential(2)})
    """
    s = law.summary()
    if s.pdf is None:
        out = s.label.tex + rf"\ \text{{(numeric only: no closed form; evaluated by {escape_text(s.numeric_method)})}}"
    else:
        out = f"{s.label.tex} = {_tex(s.pdf)}"
        if law.derivation is None:  # an input pdf is valid on its support only: say which
            out += rf", \quad {_tex(s.where)}"
    if s.atoms:
        out += r",\quad " + _atoms(s)
    if s.family:
        out += rf" \quad ({_family(s.family)})"
    return out


#: Characters of LaTeX source that fit on one display line after the label (a rough measure:
#: commands are longer than what they print, so a line this long rarely overflows 17 cm).
_LINE_SOURCE = 150


def _value_rows(value: Any) -> list[str]:
    r"""One value of a formula as align rows: ``= value``, or a long sum split term by term.

    >>> x = sp.Symbol("x")
    >>> rows = _value_rows(sp.Add(*[sp.exp(-k * x) * sp.sin(k * x) / (k + x) for k in range(1, 9)]))
    >>> len(rows) > 1 and rows[1].startswith(r"&\quad")
    True
    """
    tex = _tex(value)
    if isinstance(value, Label) or not isinstance(value, sp.Add) or len(tex) <= _LINE_SOURCE:
        return [f"&= {tex}"]
    rows, line = [], ""
    for term in value.as_ordered_terms():
        shown = sp.latex(term)
        if line:
            shown = f"- {sp.latex(-term)}" if shown.startswith("-") else f"+ {shown}"
        if line and len(line) + len(shown) > _LINE_SOURCE:
            rows.append(line)
            line = ""
        line += (" " if line else "") + shown
    rows.append(line)
    return [f"&= {rows[0]}"] + [rf"&\quad {row}" for row in rows[1:]]


def _formula_rows(f: Formula) -> list[str]:
    rows = [rf"\intertext{{{phrase(f.where)}:}}" "\n"] if f.where else [""]
    values = [row for v in f.values for row in _value_rows(v)]
    rows[0] += f"{f.label.tex} {values[0]}"
    return rows + values[1:]


def _step_lines(step: DisplayStep) -> list[str]:
    lines = [rf"\paragraph{{{phrase(step.title)}}}"]
    if step.formulas:
        rows = [row for f in step.formulas for row in _formula_rows(f)]
        lines += [r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}"]
    if step.bulleted:
        lines += [r"\begin{itemize}", *(r"\item " + phrase(r) for r in step.remarks), r"\end{itemize}"]
    else:
        lines += [phrase(r) + "\n" for r in step.remarks]
    return lines


def _result_lines(law: Any) -> list[str]:
    s = law.summary()
    lines = [r"\paragraph{Result.}"]
    if s.pdf is None:
        lines.append(rf"${s.label.tex}$ has no closed form; covar evaluates it numerically.")
    else:
        lines += [r"\begin{align*}", f"{s.label.tex} &= {_tex(s.pdf)}", r"\end{align*}"]
    facts = [rf"support ${_tex(s.where)}$"]
    if s.atoms:
        facts.append(f"point masses ${_atoms(s)}$")
    if s.family:
        facts.append(f"recognised as ${_family(s.family)}$")
    lines.append(", ".join(facts) + ".")
    return lines


def derivation_latex(law: Any, document: bool = False) -> str:
    """The derivation of ``law`` as LaTeX (a standalone document when ``document``).

    >>> import covar
    >>> tex = derivation_latex(covar.transform(covar.parse_density("Normal(0, 1)"), "x**2"))
    >>> r"\\begin{cases}" in tex and "h_{2}" in tex
    True
    """
    d = law.derivation
    if d is None:
        body = [rf"\[ {result_latex(law)} \]"]
    else:
        chain = d.steps
        body = []
        for i, step in enumerate(chain, start=1):
            if len(chain) > 1:
                body.append(rf"\subsection*{{Map {i} of {len(chain)}: {phrase(step.heading())}}}")
            for shown in step.display():
                body += _step_lines(shown)
        body += _result_lines(law)
    text = "\n".join(body) + "\n"
    if not document:
        return text
    title = phrase(d.headline()) if d is not None else f"${law.summary().name}$"
    return _PREAMBLE + rf"\section*{{The law of {title}}}" + "\n" + text + "\\end{document}\n"
