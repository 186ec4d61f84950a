"""matplotlib without global state: a Figure on its own Agg canvas, mathtext labels, colours.

This is the one place that imports matplotlib for covar.plot; when it (or pillow) is missing,
:func:`require_matplotlib` raises :class:`covar.errors.MissingExtra` naming ``covar[plot]``.
"""
from __future__ import annotations

import functools
import io
from typing import TYPE_CHECKING, Literal

from covar.errors import MissingExtra

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.mathtext import MathTextParser

#: one colour per monotone piece (colour-blind-safe Okabe–Ito order)
PIECE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
GREY = "#7f7f7f"

INSTALL_HINT = 'pip install "covar[plot]"'


def require_matplotlib() -> None:
    """Raise :class:`MissingExtra` (with the pip command) unless matplotlib and pillow import."""
    try:
        import matplotlib  # noqa: F401
        import PIL  # noqa: F401
    except ImportError as exc:
        raise MissingExtra(f"plotting needs matplotlib and pillow ({exc.name or exc} is not "
                           f"installed): {INSTALL_HINT}") from None


def colour(k: int) -> str:
    """The colour of the k-th monotone piece.

    >>> colour(0) == colour(len(PIECE_COLOURS))
    True
    """
    return PIECE_COLOURS[k % len(PIECE_COLOURS)]


def new_figure(width: float, height: float,
               layout: Literal["constrained", "compressed", "tight"] | None = "constrained") -> Figure:
    """A Figure on its own Agg canvas (no pyplot: the user's backend stays as it was) that
    Jupyter shows as a PNG by itself (``_repr_png_``), without ``plt.show()``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = _shown_figure()(figsize=(width, height), layout=layout)
    FigureCanvasAgg(fig)
    return fig


def enlarge_text(fig: Figure, smallest_pt: float) -> None:
    """Raise every text of ``fig`` (titles, labels, ticks, legends) to at least ``smallest_pt``
    points, so that an image shown scaled down stays legible; larger texts keep their size.

    >>> fig = new_figure(4, 3)
    >>> ax = fig.subplots()
    >>> _ = ax.set_title("t", fontsize=6)
    >>> enlarge_text(fig, 11)
    >>> ax.title.get_fontsize()
    11.0
    """
    from matplotlib.text import Text

    for text in fig.findobj(Text):
        if text.get_text() and float(text.get_fontsize()) < smallest_pt:
            text.set_fontsize(smallest_pt)


@functools.cache
def _shown_figure() -> type[Figure]:
    """matplotlib's Figure with a PNG display for notebooks (built once, after the import)."""
    from matplotlib.figure import Figure

    class ShownFigure(Figure):
        def _repr_png_(self) -> bytes:
            buffer = io.BytesIO()
            self.savefig(buffer, format="png", dpi=90)
            return buffer.getvalue()

    return ShownFigure


_PARSER: list[MathTextParser] = []  # one shared parser: its cache serves every label of every frame


def mathtext(latex: str) -> str:
    """``$latex$`` when matplotlib's mathtext can typeset it, else the plain string.

    >>> mathtext(r"\\sqrt{y}")
    '$\\\\sqrt{y}$'
    >>> mathtext(r"\\begin{cases} 1 \\end{cases}")
    '\\\\begin{cases} 1 \\\\end{cases}'
    """
    if not _PARSER:
        from matplotlib.mathtext import MathTextParser

        _PARSER.append(MathTextParser("path"))
    try:
        _PARSER[0].parse(f"${latex}$")
    except ValueError:  # mathtext is a subset of LaTeX (no cases, no \text)
        return latex
    return f"${latex}$"
