"""LaTeX of a derived Density, rendered from its Derivation record (nothing is re-derived).

:func:`derivation_latex` writes the whole derivation (input, the monotone pieces with their
inverses h_k and |h_k'|, the branch sum on each cell of the y-line, the result as ``cases``,
atoms, notes; every map of a composition in turn); :func:`result_latex` writes only the
result, as math, for ``Density._repr_latex_`` in notebooks. Standalone documents use only
amsmath/amssymb and compile with pdflatex.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

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
    return sp.latex(expr)


def _letter(var: sp.Symbol) -> str:
    return str(var).upper()


def _fn(density: Any) -> str:
    """f_Y(y) or p_Y(y) for a pmf."""
    return rf"{'p' if density.discrete else 'f'}_{{{_letter(density.var)}}}({_tex(density.var)})"


def _family(law: Any) -> str:
    return r"\text{" + escape_text(str(law)) + "}"


def _atoms(density: Any) -> str:
    letter = _letter(density.var)
    return r",\quad ".join(rf"P({letter} = {_tex(k)}) = {_tex(v)}" for k, v in density.atoms.items())


def result_latex(density: Any) -> str:
    """The result as math (no environment): f_Y(y) = ..., with atoms and the recognised family.

    >>> import covar
    >>> print(result_latex(covar.parse_density("Exponential(2)")))
    f_{X}(x) = 2 e^{- 2 x}, \\quad x \\in \\left[0, \\infty\\right) \\quad (\\text{Exponential(2)})
    """
    if hasattr(density, "vars"):  # a JointDensity: the pdf on its support condition
        args = ", ".join(_tex(v) for v in density.vars)
        return rf"f({args}) = {_tex(density.pdf)}, \quad {_tex(density.support)}"
    if density.pdf is None:
        how = getattr(density.numeric, "method", "root-finding")
        out = _fn(density) + rf"\ \text{{(numeric only: no closed form; evaluated by {how})}}"
    else:
        out = f"{_fn(density)} = {_tex(density.pdf)}"
        if density.derivation is None:  # an input pdf is valid on its support only: say which
            out += rf", \quad {_tex(density.var)} \in {_tex(density.support)}"
    if density.atoms:
        out += r",\quad " + _atoms(density)
    if density.family:
        out += rf" \quad ({_family(density.family)})"
    return out


def _input_lines(d: Any) -> list[str]:
    X, x = d.input, d.x
    name = _letter(x)
    if X.family:
        intro = rf"Let ${name} \sim {_family(X.family)}$"
    else:
        intro = f"Let ${name}$ have the {'pmf' if X.discrete else 'density'}"
    lines = [intro + (" with" if X.family and X.pdf is not None else "")]
    if X.pdf is not None:
        lines += [r"\begin{align*}",
                  rf"{_fn(X)} &= {_tex(X.pdf)}, \qquad {_tex(x)} \in {_tex(X.support)}",
                  r"\end{align*}"]
    else:
        lines.append(rf"(numeric only) on ${_tex(X.support)}$.")
    lines.append(rf"and let ${_letter(d.y)} = g({name})$ with $g({_tex(x)}) = {_tex(d.g)}$.")
    return lines


def _piece_lines(k: int, piece: Any, d: Any) -> list[str]:
    x, y = _tex(d.x), _tex(d.y)
    head = rf"\paragraph{{Piece {k}.}} On ${x} \in {_tex(piece.interval)}$, $g$ is {piece.kind}"
    if piece.kind == "constant":
        return [head + rf": $g = {_tex(piece.value)}$ there, so the probability "
                rf"$P({_letter(d.x)} \in {_tex(piece.interval)}) = {_tex(piece.mass)}$ "
                rf"becomes an atom at ${y} = {_tex(piece.value)}$."]
    lines = [head + rf", with image ${_tex(piece.image)}$."]
    if piece.inverse is None:
        return lines + [rf"$g({x}) = {y}$ has no closed-form solution; it is solved numerically."]
    hk = f"h_{{{k}}}"
    rows = [rf"{x} = {hk}({y}) &= {_tex(piece.inverse)}"]
    if piece.jacobian is not None:
        rows.append(rf"\left|{hk}'({y})\right| &= {_tex(piece.jacobian)}")
    if piece.contribution is not None:
        rows.append(rf"f_{{{_letter(d.x)}}}({hk}({y}))\,\left|{hk}'({y})\right| &= {_tex(piece.contribution)}")
    lines += [r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}"]
    if piece.rejected:
        roots = ", ".join(f"${_tex(r)}$" for r in piece.rejected)
        lines.append(f"The other root{'s' if len(piece.rejected) > 1 else ''} {roots} of $g({x}) = {y}$ "
                     "lies outside the piece and is rejected.")
    return lines


def _sum_lines(d: Any) -> list[str]:
    fx, fy, y = _letter(d.x), _letter(d.y), _tex(d.y)
    lines = [r"\paragraph{Change of variables.} Summing over the pieces whose image contains $"
             + y + "$:", r"\begin{align*}",
             rf"f_{{{fy}}}({y}) &= \sum_{{k}} f_{{{fx}}}(h_k({y}))\,\left|h_k'({y})\right| \\"]
    for n, cell in enumerate(d.cells):
        terms = " + ".join(rf"f_{{{fx}}}(h_{{{i + 1}}}({y}))\left|h_{{{i + 1}}}'({y})\right|" for i in cell.pieces)
        rows = [rf"\intertext{{for ${y} \in {_tex(cell.interval)}$:}}" "\n" rf"f_{{{fy}}}({y}) &= {terms}"]
        if len(cell.pieces) > 1:  # the branch sum written out before it is merged
            rows.append("&= " + " + ".join(_tex(d.pieces[i].contribution) for i in cell.pieces))
        rows.append(f"&= {_tex(cell.raw)}")
        if cell.simplified != cell.raw:
            rows.append(f"&= {_tex(cell.simplified)}")
        lines.append(" \\\\\n".join(rows) + (r" \\" if n < len(d.cells) - 1 else ""))
    lines.append(r"\end{align*}")
    return lines


def _step_lines(d: Any) -> list[str]:
    lines = _input_lines(d)
    if d.discrete and not d.pieces:
        lines.append(f"Each value of ${_letter(d.x)}$ is sent through $g$; the masses of equal images add up.")
    else:
        inner = [b for b in d.breakpoints if b.is_finite is not False]
        where = (f"split at ${', '.join(_tex(b) for b in inner)}$" if inner else "not split")
        lines.append(rf"\paragraph{{Monotone pieces.}} The support of ${_letter(d.x)}$ is {where}: "
                     f"{len(d.pieces)} piece(s) on which $g$ is monotone or constant.")
    for k, piece in enumerate(d.pieces, start=1):
        lines += _piece_lines(k, piece, d)
    if d.cells:
        lines += _sum_lines(d)
    if d.notes:
        lines += [r"\paragraph{Notes.}", r"\begin{itemize}"]
        lines += [r"\item " + escape_text(n) for n in d.notes]
        lines.append(r"\end{itemize}")
    return lines


def _result_lines(density: Any) -> list[str]:
    lines = [r"\paragraph{Result.}"]
    if density.pdf is None:
        lines.append(rf"${_fn(density)}$ has no closed form; covar evaluates it numerically.")
    else:
        lines += [r"\begin{align*}", f"{_fn(density)} &= {_tex(density.pdf)}", r"\end{align*}"]
    facts = [rf"support ${_tex(density.support)}$"]
    if density.atoms:
        facts.append(f"point masses ${_atoms(density)}$")
    if density.family:
        facts.append(f"recognised as ${_family(density.family)}$")
    lines.append(", ".join(facts) + ".")
    return lines


def derivation_latex(density: Any, document: bool = False) -> str:
    """The derivation of ``density`` as LaTeX (a standalone document when ``document``).

    >>> import covar
    >>> tex = derivation_latex(covar.transform(covar.parse_density("Normal(0, 1)"), "x**2"))
    >>> r"\\begin{cases}" in tex and "h_{2}" in tex
    True
    """
    d = density.derivation
    if d is None:
        body = [rf"\[ {result_latex(density)} \]"]
        if hasattr(density.numeric, "latex_lines"):  # a marginal: the integral it came from
            body = density.numeric.latex_lines(_fn(density)) + _result_lines(density)
    else:
        chain = d.steps
        body = []
        for i, step in enumerate(chain, start=1):
            if len(chain) > 1:
                body.append(rf"\subsection*{{Map {i} of {len(chain)}: "
                            rf"${_letter(step.y)} = {_tex(step.g.xreplace({step.x: sp.Symbol(_letter(step.x))}))}$}}")
            body += _step_lines(step)
        body += _result_lines(density)
    text = "\n".join(body) + "\n"
    if not document:
        return text
    title = "The law of " + (f"${_letter(d.y)} = g({_letter(d.x)})$" if d is not None else f"${_letter(density.var)}$")
    return _PREAMBLE + rf"\section*{{{title}}}" + "\n" + text + "\\end{document}\n"
