"""Time budgets for symbolic work.

sympy's ``solve``/``integrate``/``limit`` can run for minutes on unlucky input. Every
derivation runs inside :func:`time_budget`, which turns an overrun into a clean
:class:`~covar.errors.DerivationTimeout`. The alarm is a POSIX interval timer, so the budget
is enforced only in the main thread (elsewhere the work simply runs to completion).
"""
from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from typing import Iterator

from .errors import DerivationTimeout

DEFAULT_BUDGET_SECONDS = 30.0


def _can_alarm() -> bool:
    return threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")


@contextmanager
def time_budget(seconds: float | None, what: str = "derivation") -> Iterator[None]:
    """Run the body for at most ``seconds`` (None: no limit); nested budgets keep the tighter one.

    >>> with time_budget(5):
    ...     1 + 1
    2
    """
    if seconds is None or not _can_alarm():
        yield
        return
    now = time.monotonic()
    previous_handler = signal.getsignal(signal.SIGALRM)
    previous_remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    deadline = now + seconds
    if previous_remaining > 0:
        deadline = min(deadline, now + previous_remaining)

    def on_alarm(signum, frame):
        # Re-arm: sympy sometimes swallows exceptions in broad try/excepts, so keep firing.
        signal.setitimer(signal.ITIMER_REAL, 0.25)
        raise DerivationTimeout(
            f"the {what} ran past its time budget of {seconds:g} s; "
            "pass a larger timeout= or simplify the map or density"
        )

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(deadline - now, 1e-3))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_remaining > 0:
            left = previous_remaining - (time.monotonic() - now)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3))
