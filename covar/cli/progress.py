"""Progress bars of the command line and the gallery build: tqdm on stderr, silent off a terminal."""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from tqdm import tqdm


def progress_bar(total: int | None, what: str) -> tqdm:
    """A tqdm bar on stderr; it is disabled when stderr is not a terminal (pipes, logs, tests).

    >>> with progress_bar(3, "demo") as bar:  # doctest runs without a terminal: nothing shown
    ...     bar.disable
    True
    """
    from tqdm import tqdm

    return tqdm(total=total, desc=what, file=sys.stderr, disable=None, dynamic_ncols=True)


def stepper(bar: tqdm) -> Callable[[str], None]:
    """A ``progress(message)`` callback: one step of the bar, the message shown after it."""

    def step(message: str) -> None:
        bar.set_postfix_str(message, refresh=False)
        bar.update()

    return step
