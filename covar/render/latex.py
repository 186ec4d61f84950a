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

from covar.record import DisplayStep, Formula, Label, LawSummary, Phrase, shown_digits

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
    "→": r"$\to$", "·": r"$\cdot$", "–": "--", "—": "---", "∈": r"$\in$", "′": "'",
    # the matrix records' words: Greek letters, operators, super- and subscripts
    "−": "-", "×": r"$\times$", "±": r"$\pm$", "∂": r"$\partial$", "∏": r"$\prod$", "∫": r"$\int$",
    "√": r"$\surd$", "↦": r"$\mapsto$", "λ": r"$\lambda$", "θ": r"$\theta$", "φ": r"$\varphi$",
    "π": r"$\pi$", "Σ": r"$\Sigma$", "Ψ": r"$\Psi$", "Γ": r"$\Gamma$",
    "ᵀ": r"$^T$", "²": r"$^2$", "¹": r"$^1$", "⁻": r"$^-$", "⁺": r"$^+$", "⁽": r"$^($", "⁾": r"$^)$",
    "ᵖ": r"$^p$", "ⁱ": r"$^i$", "₀": r"$_0$", "₁": r"$_1$", "₂": r"$_2$", "₃": r"$_3$", "ᵢ": r"$_i$",
    "ⱼ": r"$_j$", "₍": r"$_($", "₎": r"$_)$", "≠": r"$\ne$",
    "≡": r"$\equiv$", "∪": r"$\cup$", "…": r"\ldots{}", "ₙ": r"$_n$",
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
    return expr.tex if isinstance(expr, Label) else sp.latex(shown_digits(expr))


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


# ---- long formulas: broken over align rows at sums and products --------------------------------
_WIDTH = 60  #: estimated printed characters of one align row (the page holds about 80)


def _width(tex: str) -> int:
    """A rough printed width of math: a command counts as one character, braces and scripts as none."""
    tex = re.sub(r"\\(left|right|Big|big)\b.?", "x", tex)
    return len(re.sub(r"\s+", " ", re.sub(r"[{}^_]", "", re.sub(r"\\[A-Za-z]+", "x", tex))))


def _wrapped(open_: str, pieces: list[str], close: str) -> list[str]:
    return [open_ + pieces[0], *pieces[1:-1], pieces[-1] + close] if len(pieces) > 1 else [open_ + pieces[0] + close]


def _factor_pieces(e: sp.Basic) -> list[str]:
    """One factor of a product, in pieces when it is long (unpaired \\Big delimiters may span rows)."""
    tex = sp.latex(e)
    if _width(tex) <= _WIDTH:
        return [rf"\left({tex}\right)" if isinstance(e, sp.Add) else tex]
    if isinstance(e, sp.Add):
        return _wrapped(r"\Big(", _pieces(e), r"\Big)")
    if isinstance(e, sp.exp):
        return _wrapped(r"\exp\Big(", _pieces(e.args[0]), r"\Big)")
    if isinstance(e, sp.Abs):
        return _wrapped(r"\Big|", _pieces(e.args[0]), r"\Big|")
    if isinstance(e, sp.Pow) and _width(sp.latex(e.exp)) <= _WIDTH:
        return _wrapped(r"\Big(", _pieces(e.base), rf"\Big)^{{{sp.latex(e.exp)}}}")
    return [tex]


def _pieces(e: sp.Basic) -> list[str]:
    """LaTeX chunks that read as ``e`` when written one after another (a term or a factor each)."""
    tex = sp.latex(e)
    if _width(tex) <= _WIDTH:
        return [tex]
    if not isinstance(e, (sp.Add, sp.Mul)):
        return _factor_pieces(e)
    if isinstance(e, sp.Add):
        out: list[str] = []
        for k, term in enumerate(e.as_ordered_terms()):
            negative = term.could_extract_minus_sign()
            body = _pieces(-term if negative else term)
            out += ["- " + body[0] if negative else ("+ " if k else "") + body[0], *body[1:]]
        return out
    coeff, factors = e.as_coeff_mul()
    numerator, denominator = [], [sp.Integer(abs(coeff.q)) if coeff.is_Rational else sp.S.One]
    for f in factors:
        if isinstance(f, sp.Pow) and f.exp.is_number and f.exp.is_negative:
            denominator.append(f.base ** -f.exp)
        else:
            numerator.append(f)
    lead = sp.Integer(abs(coeff.p)) if coeff.is_Rational else abs(coeff)
    if lead != 1:
        numerator.insert(0, lead)
    den = sp.Mul(*denominator)
    out = ["-"] if coeff.is_negative else []
    if den != 1:
        den_tex = sp.latex(den)
        out += [rf"\frac{{1}}{{{den_tex}}}"] if _width(den_tex) <= _WIDTH else _wrapped(r"\Big(", _pieces(den), r"\Big)^{-1}")
    for f in numerator:
        part = _factor_pieces(f)
        out += [(r"\cdot " if out and out != ["-"] else "") + part[0], *part[1:]]
    return [" ".join(out[:2])] + out[2:] if out[:1] == ["-"] else out


def _lines(value: Any) -> list[str]:
    """``value`` as LaTeX lines of about :data:`_WIDTH` printed characters (one line when short)."""
    if isinstance(value, Label):
        return [value.tex]
    lines: list[str] = []
    for piece in _pieces(shown_digits(value)):
        if lines and _width(lines[-1] + piece) <= _WIDTH:
            lines[-1] += " " + piece
        else:
            lines.append(piece)
    return lines


def _equal_rows(label: str, value: Any) -> list[str]:
    """``label &= value`` over as many align rows as the value needs."""
    first, *rest = _lines(value)
    return [f"{label} &= {first}", *(rf"&\quad {line}" for line in rest)]


def _formula_rows(f: Formula) -> list[str]:
    rows = []
    for k, v in enumerate(f.values):
        rows += _equal_rows(f.label.tex if k == 0 else "", v)
    rows = [r.lstrip() for r in rows]
    if f.where:
        rows[0] = rf"\intertext{{{phrase(f.where)}:}}" "\n" + rows[0]
    return rows


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
        lines += [r"\begin{align*}", " \\\\\n".join(_equal_rows(s.label.tex, s.pdf)), r"\end{align*}"]
    from covar.univariate.cases import support_by_case

    by_case = support_by_case(law)  # a case split: each case's own support, not Piecewise ends
    facts = [rf"support ${_tex(s.where)}$"] if not by_case else \
        ["support " + "; ".join(rf"${_tex(sp.Contains(law.var, where, evaluate=False))}$ if ${_tex(cond)}$"
                                for cond, where in by_case)]
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
