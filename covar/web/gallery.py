"""The gallery page: worked examples that open in the calculator.

The repository's ``gallery/examples.py`` is not installed with covar. When it can be imported
(``covar serve`` started from a checkout), its univariate single-map rows and its joint rows
with a map of the plane are listed, written as the calculator's text (family calls, and a map
in x, or in x1, x2 with its components separated by commas); otherwise the short list below,
kept here as data, is shown. Matrix and composed examples, and layers built in Python, have no
place in the calculator's form and are left out.
"""
from __future__ import annotations

import html
from importlib import import_module
from typing import Any
from urllib.parse import urlencode

import sympy as sp

#: (name, density, map, one line): the fallback when gallery/examples.py cannot be imported
#: (a density of families joined by * is a random vector: the map's components are separated by commas)
EXAMPLES: tuple[tuple[str, str, str, str], ...] = (
    ("shift", "Normal(0, 1)", "x + 1", "a shift moves the curve without stretching it"),
    ("scale", "Normal(0, 1)", "2*x", "a scale stretches the line: the density halves"),
    ("log_gamma", "Gamma(5, 1)", "log(x)", "the log of a Gamma is the exp-gamma law, skewed to the left"),
    ("sqrt_chi2", "ChiSquared(1)", "sqrt(x)", "a half-normal on [0, oo), not N(0, 1)"),
    ("square", "Normal(0, 1)", "x**2", "two branches make a chi-squared(1)"),
    ("abs_value", "Normal(0, 1)", "Abs(x)", "folding the line: the half-normal again"),
    ("relu", "Normal(0, 1)", "Max(0, x)", "a point mass of 1/2 at 0"),
    ("polar", "Normal(0, 1) * Normal(0, 1)", "sqrt(x1**2 + x2**2), atan2(x2, x1)",
     "polar coordinates: a Rayleigh radius and a uniform angle, independent"),
)


def _from_repository() -> list[tuple[str, str, str, str]] | None:
    """The univariate single-map rows of gallery/examples.py, or None when it is not importable."""
    try:  # the repository's gallery, present in a checkout only (not a dependency of covar)
        examples = import_module("gallery.examples")
    except ImportError:
        return None
    rows = []
    for ex in examples.EXAMPLES:
        if ex.kind not in ("univariate", "joint") or ex.stages != 1:
            continue
        xs = [sp.Symbol("x", real=True)] if ex.kind == "univariate" else \
            [sp.Symbol(f"x{k + 1}", real=True) for k in range(len(ex.laws))]
        g = ex.g(*xs)
        parts = g if isinstance(g, tuple) and ex.kind == "joint" else (g,) if ex.kind == "univariate" else ()
        if not parts or not all(isinstance(part, sp.Basic) for part in parts):
            continue
        density = " * ".join(f"{family}({', '.join(sp.sstr(sp.S(p)) for p in parameters)})"
                             for _, family, *parameters in ex.laws)
        rows.append((ex.name, density, ", ".join(sp.sstr(part) for part in parts), ex.explanation))
    return rows


def examples_shown() -> tuple[list[tuple[str, str, str, str]], str]:
    """The rows the page lists and where they come from."""
    rows = _from_repository()
    if rows:
        return rows, "the repository's gallery/examples.py"
    return list(EXAMPLES), "covar's built-in list (gallery/examples.py is not importable here)"


def _link(density: str, g: str) -> str:
    mode = {"mode": "vector"} if " * " in density else {}
    return "/?" + urlencode({**mode, "density": density, "map": g})


def gallery_page() -> str:
    """The gallery as an HTML page (every text escaped)."""
    rows, source = examples_shown()
    items: list[Any] = []
    for name, density, g, text in rows:
        items.append(
            f'<li class="example"><a href="{html.escape(_link(density, g))}">'
            f"<code>{html.escape(density)}</code> → <code>{html.escape(g)}</code></a>"
            f' <span class="name">({html.escape(name)})</span><p>{html.escape(text)}</p></li>')
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>covar gallery</title>"
            "<link rel=\"stylesheet\" href=\"/static/style.css\"></head><body><header><h1>covar gallery</h1>"
            "<nav><a href=\"/\">calculator</a></nav></header><main><p>Worked examples; each opens in the "
            f"calculator. Listed from {html.escape(source)}.</p><ul class=\"gallery\">{''.join(items)}</ul>"
            "</main></body></html>")
