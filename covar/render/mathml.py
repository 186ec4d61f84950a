"""MathML for the page: sympy objects, record labels and phrases, typeset by the browser itself.

Expressions go through sympy's presentation MathML printer (with a Piecewise written as a brace
of cases); a :class:`~covar.record.Label` is written from its small TeX form (subscripts,
|bars|, a few named symbols) and falls back to its text form. Words are HTML-escaped: nothing
here evaluates or trusts a string.

>>> import sympy as sp
>>> expression(sp.Symbol("y") ** 2)
'<math display="inline"><msup><mi>y</mi><mn>2</mn></msup></math>'
>>> phrase(("on ", sp.Symbol("y"), " & more"))
'on <math display="inline"><mi>y</mi></math> &amp; more'
"""
from __future__ import annotations

import html
import re
import unicodedata
from typing import Any

import sympy as sp
from sympy.printing.mathml import MathMLPresentationPrinter
from sympy.printing.precedence import PRECEDENCE

from covar.record import Label, Phrase, shown_digits


class _Printer(MathMLPresentationPrinter):
    """sympy's presentation printer, with Piecewise as a brace of cases and products split into
    numerator and denominator as written (e^{-y} stays e^{-y}, as in the text and LaTeX)."""

    def _print_Mul(self, expr: sp.Mul) -> Any:
        numer, denom = sp.fraction(expr, exact=True)
        if denom is not sp.S.One:
            return self._node("mfrac", self._print(numer), self._print(denom))
        coeff, terms = expr.as_coeff_mul()
        if coeff.is_negative:
            return self._node("mrow", self._text("mo", "-"), self._print(-expr))
        parts = [] if coeff == 1 else [self._print(coeff)]
        parts += [self.parenthesize(t, PRECEDENCE["Mul"]) for t in sp.Mul._from_args(terms).as_ordered_factors()]
        row = [parts[0]]
        for part in parts[1:]:
            row += [self._text("mo", "\u2062"), part]  # invisible times
        return row[0] if len(row) == 1 else self._node("mrow", *row)

    def _node(self, tag: str, *children: Any) -> Any:
        node = self.dom.createElement(tag)
        for child in children:
            node.appendChild(child)
        return node

    def _text(self, tag: str, text: str) -> Any:
        node = self.dom.createElement(tag)
        node.appendChild(self.dom.createTextNode(text))
        return node

    def _print_Piecewise(self, expr: sp.Piecewise) -> Any:
        table = self.dom.createElement("mtable")
        table.setAttribute("columnalign", "left left")
        for value, condition in expr.args:
            row = self.dom.createElement("mtr")
            cells = [self._print(value), self._otherwise() if condition is sp.true else self._print(condition)]
            for k, content in enumerate(cells):
                cell = self.dom.createElement("mtd")
                if k == 1:
                    cell.setAttribute("style", "padding-left:1em")
                cell.appendChild(content)
                row.appendChild(cell)
            table.appendChild(row)
        brace = self.dom.createElement("mo")
        brace.setAttribute("stretchy", "true")
        brace.appendChild(self.dom.createTextNode("{"))
        out = self.dom.createElement("mrow")
        out.appendChild(brace)
        out.appendChild(table)
        return out

    def _otherwise(self) -> Any:
        text = self.dom.createElement("mtext")
        text.appendChild(self.dom.createTextNode("otherwise"))
        return text


#: brackets and bars set tight, as in print (an <mo> between two terms would get operator spacing)
_TIGHT = {f"<mo>{b}</mo>": f'<mo lspace="0em" rspace="0em">{b}</mo>' for b in "()[]|"}


def _tight(markup: str) -> str:
    for loose, tight in _TIGHT.items():
        markup = markup.replace(loose, tight)
    return markup


def _inner(expr: Any) -> str:
    return _tight(str(_Printer().doprint(shown_digits(expr))))


def expression(expr: Any, display: bool = False) -> str:
    """A sympy object as a ``<math>`` element (block when ``display``)."""
    mode = "block" if display else "inline"
    return f'<math display="{mode}">{_inner(expr)}</math>'


# ---- labels: the TeX of a Label, a tiny subset ----------------------------------------------

_TOKEN = re.compile(r"\\left|\\right|\\[A-Za-z]+|\\.|[A-Za-z]|[0-9]+|[_^{}]|\s+|.", re.S)
_NAMED = {r"\sum": ("mo", "∑"), r"\det": ("mi", "det"), r"\log": ("mi", "log"), r"\partial": ("mo", "∂"),
          r"\cdot": ("mo", "·"), r"\infty": ("mi", "∞")}


class _Unreadable(ValueError):
    """The label's TeX uses something this subset does not know (its text form is shown)."""


def _greek(command: str) -> tuple[str, str]:
    name = command[1:]
    case = "CAPITAL" if name[:1].isupper() else "SMALL"
    try:
        return "mi", unicodedata.lookup(f"GREEK {case} LETTER {name.upper()}")
    except KeyError:
        raise _Unreadable(command) from None


def _element(tag: str, content: str) -> str:
    return f"<{tag}>{html.escape(content, quote=False)}</{tag}>"


def _group(tokens: list[str], i: int) -> tuple[str, int]:
    """One argument of _ or ^ (a {group} or a single token) as MathML, and the next index."""
    if i < len(tokens) and tokens[i] == "{":
        out, i = _sequence(tokens, i + 1, closing=True)
        return f"<mrow>{out}</mrow>", i
    out, i = _sequence(tokens, i, single=True)
    return out, i


def _sequence(tokens: list[str], i: int, closing: bool = False, single: bool = False) -> tuple[str, int]:
    parts: list[str] = []
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok == "}":
            if not closing:
                raise _Unreadable("}")
            return "".join(parts), i
        if tok.isspace() or tok in (r"\left", r"\right", r"\,", r"\ "):
            continue
        if tok in ("_", "^"):
            if not parts:
                raise _Unreadable(tok)
            arg, i = _group(tokens, i)
            parts[-1] = f"<{'msub' if tok == '_' else 'msup'}>{parts[-1]}{arg}</{'msub' if tok == '_' else 'msup'}>"
            continue
        if tok == "{":
            inner, i = _sequence(tokens, i, closing=True)
            parts.append(f"<mrow>{inner}</mrow>")
        elif tok.startswith("\\"):
            tag, text = _NAMED.get(tok) or _greek(tok)
            parts.append(_element(tag, text))
        elif tok.isalpha():
            parts.append(_element("mi", tok))
        elif tok.isdigit():
            parts.append(_element("mn", tok))
        else:
            parts.append(_element("mo", "′" if tok == "'" else tok))
        if single:
            return parts[0], i
    if closing:
        raise _Unreadable("{")
    return "".join(parts), i


def label(lab: Label) -> str:
    """A Label as the inner MathML of a ``<math>`` element (its text form when the TeX is unusual).

    >>> label(Label("h₁(y)", "h_{1}(y)"))
    '<mrow><msub><mi>h</mi><mrow><mn>1</mn></mrow></msub><mo lspace="0em" rspace="0em">(</mo><mi>y</mi><mo lspace="0em" rspace="0em">)</mo></mrow>'
    >>> label(Label("odd", r"\\frac{a}{b}"))
    '<mtext>odd</mtext>'
    """
    try:
        out, _ = _sequence(_TOKEN.findall(lab.tex), 0)
    except _Unreadable:
        return _element("mtext", lab.text)
    return _tight(f"<mrow>{out}</mrow>")


def math_of(part: Any, display: bool = False) -> str:
    """A Label or a sympy object as a ``<math>`` element."""
    if isinstance(part, Label):
        mode = "block" if display else "inline"
        return f'<math display="{mode}">{label(part)}</math>'
    return expression(part, display)


def phrase(parts: Phrase) -> str:
    """Words and math as HTML: strings escaped, math as inline ``<math>`` elements."""
    return "".join(html.escape(p, quote=False) if isinstance(p, str) else math_of(p) for p in parts)


def equation(lab: Label, values: tuple[Any, ...]) -> str:
    """``label = v1 = v2 ...`` as one block ``<math>`` with a row per value (an aligned table)."""
    rows = []
    for k, v in enumerate(values):
        left = label(lab) if k == 0 else ""
        right = label(v) if isinstance(v, Label) else _inner(v)
        rows.append(f'<mtr><mtd columnalign="right">{left}</mtd><mtd columnalign="left">'
                    f"<mrow><mo>=</mo>{right}</mrow></mtd></mtr>")
    return f'<math display="block"><mtable>{"".join(rows)}</mtable></math>'
