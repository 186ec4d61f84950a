"""Time budgets for symbolic work, enforced in every thread by one watchdog.

sympy's ``solve``/``integrate``/``limit`` can run for minutes on unlucky input. Every
derivation (and the parsing and validation of its input) runs inside :func:`time_budget`,
which turns an overrun into a clean :class:`~covar.errors.DerivationTimeout`.

The rule, the same in the main thread and in any other thread (a ``ThreadPoolExecutor``
worker, a web server's request thread):

* each thread keeps a stack of deadlines; a nested budget keeps the tighter deadline;
* one daemon watchdog thread sleeps until the earliest deadline of any thread; when it has
  passed, it raises an exception in the owning thread (``PyThreadState_SetAsyncExc``) and
  raises it again every 0.25 s until the budget exits, because sympy sometimes swallows
  exceptions in broad ``try``/``except`` blocks;
* the injected exception derives from ``BaseException`` so that ``except Exception`` inside
  sympy cannot swallow it; the budget's exit turns it into a :class:`DerivationTimeout`
  naming the budget that ran out;
* on exit any pending injection for the thread is cleared, so nothing fires later;
* an injection waits while the thread is inside the import system or threading's own Python
  code (a lock taken there and never released would hang every later import).

Limits: Python delivers the exception between bytecodes, so one single call into C that runs
for minutes (an exact factorial of a huge integer) is interrupted only when it returns; this
is why the parser and the family catalog bound the sizes of numbers. No signal is used, so
covar leaves the program's own SIGALRM handler alone.

>>> with time_budget(5):
...     1 + 1
2
"""
from __future__ import annotations

import ctypes
import math
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from types import FrameType, TracebackType
from typing import Literal

from covar.errors import CovarError, DerivationTimeout

DEFAULT_BUDGET_SECONDS = 30.0
_REPEAT_SECONDS = 0.25   # re-injection period while an expired budget has not exited
_MAX_WAIT_SECONDS = 3600.0  # the watchdog's longest sleep (Event.wait overflows on huge values)

# PyThreadState_SetAsyncExc(thread id, exception class), or NULL to clear a pending one
_inject_exc = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.py_object)(
    ("PyThreadState_SetAsyncExc", ctypes.pythonapi))
_clear_exc = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p)(
    ("PyThreadState_SetAsyncExc", ctypes.pythonapi))


class _Expired(BaseException):
    """Raised asynchronously in a thread whose budget ran out; :func:`time_budget`'s exit turns
    it into a DerivationTimeout (a BaseException, so that sympy's ``except Exception`` cannot
    swallow it)."""

    def __init__(self, *args: object) -> None:
        super().__init__(*(args or ("a covar time budget ran out",)))


@dataclass(eq=False)
class _Frame:
    """One active budget of one thread."""

    seconds: float
    what: str
    own_deadline: float          # now + seconds at entry
    deadline: float              # the tighter of own_deadline and the enclosing budget's
    caller: FrameType | None     # the frame running the ``with``: the budget is live while it is
    last_injection: float = field(default=-math.inf)


def _on_stack(frame: FrameType | None, top: FrameType | None) -> bool:
    while top is not None:
        if top is frame:
            return True
        top = top.f_back
    return False


class _Watchdog:
    """Deadline stacks of every thread, and the one thread that enforces them."""

    def __init__(self) -> None:
        # A plain Lock taken by ``with`` is acquired in C and released by the with-block's exit
        # even when an injected _Expired lands on the first bytecode after the acquire; a
        # Condition's __enter__ is Python code, where an injection could land after the acquire
        # and before the block, leaving the lock held for ever (a deadlock on the next pop).
        self.lock = threading.Lock()
        self.wakeup = threading.Event()
        self.stacks: dict[int, list[_Frame]] = {}
        self.thread: threading.Thread | None = None

    def push(self, frame: _Frame) -> None:
        tid = threading.get_ident()
        with self.lock:
            stack = self.stacks.setdefault(tid, [])
            here = sys._getframe(1)
            while stack and not _on_stack(stack[-1].caller, here):
                stack.pop().caller = None  # left without its exit running (see _live_top)
            if stack:
                frame.deadline = min(frame.deadline, stack[-1].deadline)
            stack.append(frame)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="covar-budget-watchdog",
                                               daemon=True)
                self.thread.start()
        self.wakeup.set()

    def pop(self, frame: _Frame) -> _Frame:
        """Remove ``frame`` (and any frame left above it); clear a pending injection.

        Returns the budget to blame if the thread was interrupted: the earliest own deadline."""
        tid = threading.get_ident()
        with self.lock:
            stack = self.stacks.get(tid, [])
            if frame in stack:
                index = stack.index(frame)
                enclosing = stack[:index]
                del stack[index:]
            else:
                enclosing = list(stack)
            if not stack:
                self.stacks.pop(tid, None)
            _clear_exc(tid, None)  # an injection still pending must not fire later
            frame.caller = None
        # the budget whose own deadline came first is the one that ran out
        return min([frame, *enclosing], key=lambda f: f.own_deadline)

    def _run(self) -> None:
        while True:
            self.wakeup.clear()  # before reading the stacks: a push after this read wakes us
            with self.lock:
                now = time.monotonic()
                wake = now + _MAX_WAIT_SECONDS
                for tid in list(self.stacks):
                    top = self._live_top(tid, now)
                    if top is None:
                        continue
                    if top.deadline <= now:
                        if _in_machinery(sys._current_frames().get(tid)):
                            wake = min(wake, now + _MACHINERY_RETRY_SECONDS)  # after the import
                            continue
                        if top.last_injection + _REPEAT_SECONDS <= now:
                            _inject_exc(tid, _Expired)
                            top.last_injection = now
                        wake = min(wake, top.last_injection + _REPEAT_SECONDS)
                    else:
                        wake = min(wake, top.deadline)
            self.wakeup.wait(max(wake - now, 1e-3))

    def _live_top(self, tid: int, now: float) -> _Frame | None:
        """The innermost budget of thread ``tid`` that is still running, once it has expired.

        A budget whose ``with`` frame is no longer on the thread's stack was left without its
        exit running (an injection landing exactly as the body ended): it is dropped, never
        enforced on unrelated code. Called with the lock held."""
        stack = self.stacks[tid]
        if stack[-1].deadline > now:
            return stack[-1]
        current = sys._current_frames().get(tid)
        while stack and not _on_stack(stack[-1].caller, current):
            stack.pop().caller = None
        if not stack:
            del self.stacks[tid]
            return None
        return stack[-1]


_MACHINERY_RETRY_SECONDS = 0.01
# Python code that must never be cut in the middle: the import system (an exception between
# taking and releasing a module's import lock, or half way through a module's body, leaves the
# lock held or the module half built for every later import) and threading's locks.
_IMPORT_FILES = ("<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>")


def _in_machinery(frame: FrameType | None) -> bool:
    """Is the thread whose innermost frame is ``frame`` importing a module (an importlib frame
    anywhere on its stack), or running threading's own code (its innermost frame; a thread's
    outermost frames are always threading's bootstrap)?"""
    if frame is not None and frame.f_code.co_filename == threading.__file__:
        return True
    while frame is not None:
        if frame.f_code.co_filename in _IMPORT_FILES:
            return True
        frame = frame.f_back
    return False


_WATCHDOG = _Watchdog()


def _reset_after_fork() -> None:
    # a forked child has none of the parent's threads: start from an empty state
    global _WATCHDOG
    _WATCHDOG = _Watchdog()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


class time_budget:
    """Run the body for at most ``seconds`` (None: no limit); nested budgets keep the tighter one.

    Works in every thread. ``seconds`` must be a positive finite number or None.

    >>> with time_budget(5, "example"):
    ...     sum(range(10))
    45
    """

    def __init__(self, seconds: float | None, what: str = "derivation") -> None:
        if seconds is not None:
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
                raise CovarError(f"a timeout is a number of seconds or None, got {seconds!r}")
            if not (0 < seconds < math.inf):
                raise CovarError(f"a timeout must be a positive finite number of seconds "
                                 f"(or None for no limit), got {seconds!r}")
        self.seconds = seconds
        self.what = what
        self._frame: _Frame | None = None

    def __enter__(self) -> None:
        if self.seconds is None:
            return None
        deadline = time.monotonic() + float(self.seconds)
        frame = _Frame(float(self.seconds), self.what, deadline, deadline, sys._getframe(1))
        self._frame = frame
        _WATCHDOG.push(frame)
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        frame, self._frame = self._frame, None
        if frame is None:
            return False
        while True:  # an injection may land inside pop itself; pop again until it completes
            try:
                culprit = _WATCHDOG.pop(frame)
                break
            except _Expired:
                kind = _Expired
        if kind is not None and issubclass(kind, _Expired):
            raise DerivationTimeout(
                f"the {culprit.what} ran past its time budget of {culprit.seconds:g} s; "
                "pass a larger timeout= or simplify the map or density"
            ) from None
        return False
