"""The time budget holds in every thread, nests, and leaves nothing behind when it exits.

A budget is wall-clock time, so it never fires early (checked on the wall clock); that it fires
soon enough is checked on the CPU time of the thread that did the work, which a loaded machine
does not inflate (a budget that failed to fire would keep that thread computing past the bound).
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sympy as sp

import covar
from covar.errors import DerivationTimeout
from covar.numeric.budget import time_budget

x = sp.Symbol("x", real=True)
# about 9 s of sympy work without a budget (solving a quartic over a quadratic)
SLOW_MAP = (x**4 + x**3 + x) / (1 + x**2)


def _spin() -> None:
    while True:
        sp.factorint(2**200 + 1)


def _timed_spin(seconds: float, what: str = "spin") -> tuple[float, float, str]:
    """(wall seconds, this thread's CPU seconds, message) of a spin stopped by its budget."""
    wall, cpu = time.monotonic(), time.thread_time()
    with pytest.raises(covar.DerivationTimeout) as info:
        with time_budget(seconds, what):
            _spin()
    return time.monotonic() - wall, time.thread_time() - cpu, str(info.value)


def _swallowing_spin() -> None:
    # code that catches everything it can, as parts of sympy do
    while True:
        try:
            sp.factorint(2**200 + 1)
        except Exception:  # noqa: BLE001 - the point of the test
            pass


def test_budget_in_the_main_thread():
    assert threading.current_thread() is threading.main_thread()
    wall, cpu, message = _timed_spin(0.3, "main work")
    assert 0.25 <= wall and cpu < 3
    assert "main work ran past its time budget of 0.3 s" in message


def test_budget_in_worker_threads():
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(_timed_spin, [0.3, 0.6, 0.9]))
    for seconds, (wall, cpu, message) in zip([0.3, 0.6, 0.9], results):
        assert seconds <= wall + 0.05 and cpu < seconds + 3
        assert f"time budget of {seconds:g} s" in message


def test_budget_is_not_swallowed_by_except_exception():
    def run() -> float:
        start = time.thread_time()
        with pytest.raises(covar.DerivationTimeout):
            with time_budget(0.3):
                _swallowing_spin()
        return time.thread_time() - start

    assert run() < 3
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(run).result() < 3


def test_transform_in_a_worker_thread_honours_its_timeout():
    def derive() -> tuple[float, BaseException | None]:
        start = time.thread_time()
        try:
            covar.transform("Normal(0, 1)", SLOW_MAP, timeout=1)
        except covar.CovarError as exc:
            return time.thread_time() - start, exc
        return time.thread_time() - start, None

    with ThreadPoolExecutor(max_workers=1) as pool:
        cpu, error = pool.submit(derive).result(timeout=60)
    assert isinstance(error, covar.DerivationTimeout), error
    assert cpu < 5


@pytest.mark.parametrize("outer, inner, fired", [(0.4, 30, "outer ran past its time budget of 0.4 s"),
                                                  (30, 0.3, "inner ran past")])
def test_nested_budgets_keep_the_tighter_deadline(outer, inner, fired):
    start = time.thread_time()
    with pytest.raises(covar.DerivationTimeout, match=fired):
        with time_budget(outer, "outer"):
            with time_budget(inner, "inner"):
                _spin()
    assert time.thread_time() - start < 3


def test_an_outer_budget_fires_again_after_an_inner_handler_swallows_it():
    start = time.thread_time()
    caught = []
    with pytest.raises(covar.DerivationTimeout, match="outer"):
        with time_budget(0.4, "outer"):
            try:
                with time_budget(30, "inner"):
                    _spin()
            except covar.DerivationTimeout as exc:  # e.g. an optional simplification gives up
                caught.append(exc)
            _spin()
    assert caught and time.thread_time() - start < 3


def test_nothing_fires_after_the_budget_exits():
    for _ in range(5):
        with time_budget(0.05):
            pass
    with pytest.raises(covar.DerivationTimeout):
        with time_budget(0.2):
            time.sleep(0.6)  # expires inside a C call; the timeout is raised when it returns
    # a pending or repeated injection would fire within the next bytecodes
    deadline = time.monotonic() + 0.8
    while time.monotonic() < deadline:
        sum(range(100))


def test_nothing_fires_after_exit_in_a_worker_thread():
    def work() -> str:
        try:
            with time_budget(0.2):
                time.sleep(0.6)
        except covar.DerivationTimeout:
            pass
        deadline = time.monotonic() + 0.8
        while time.monotonic() < deadline:
            sum(range(100))
        return "done"

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert [f.result() for f in [pool.submit(work), pool.submit(work)]] == ["done", "done"]


def test_budget_exits_cleanly_when_the_body_raises():
    with pytest.raises(KeyError):
        with time_budget(5):
            raise KeyError("mine")
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:
        pass


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0, 0.0, "2", True])
def test_a_bad_timeout_is_a_clear_error(bad):
    with pytest.raises(covar.CovarError, match="timeout"):
        with time_budget(bad):
            pass


def test_transform_rejects_a_nan_timeout():
    with pytest.raises(covar.CovarError, match="timeout"):
        covar.transform("Normal(0, 1)", "2*x", timeout=float("nan"))


def test_no_timeout_means_no_limit():
    with time_budget(None):
        time.sleep(0.05)


def test_parsing_runs_under_the_budget():
    # thousands of "a != k" statements; the transform's budget covers reading them
    start = time.thread_time()
    with pytest.raises(covar.CovarError):
        covar.transform("Normal(0, 1)", "a*x", assume=", ".join(f"a != {k}" for k in range(3000)),
                        timeout=1)
    assert time.thread_time() - start < 5


def test_many_expiring_budgets_in_threads_never_deadlock():
    """Budgets that run out while other threads enter and leave theirs: the watchdog re-injects
    every 0.25 s, and an injection landing next to the lock must never leave it held (a lock
    left held hangs the next exit for ever; the join below turns that into a failure)."""
    def churn() -> None:
        for _ in range(40):
            try:
                with time_budget(0.002, "outer"):
                    with time_budget(0.001, "inner"):
                        while True:
                            sum(range(200))
            except covar.DerivationTimeout:
                pass
            with time_budget(5, "quick"):
                sum(range(10))

    from covar.numeric import budget

    # the lock is taken in C by ``with`` (a Condition's __enter__ is Python code, where an
    # injection can land between the acquire and the block); the churn below is the stress test
    assert type(budget._WATCHDOG.lock) is type(threading.Lock())
    threads = [threading.Thread(target=churn, daemon=True) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a budget exit hung (the watchdog's lock was left held)"


def test_a_budget_never_cuts_an_import_in_half(tmp_path, monkeypatch):
    """A budget that runs out while its thread imports a module waits for the import to end:
    cut in half, the module would stay half built (or its import lock held) for every later
    import in the process."""
    import importlib
    import sys

    (tmp_path / "covar_slow_module.py").write_text(
        "import time\n"
        "for _ in range(40):\n"
        "    time.sleep(0.01)\n"
        "DONE = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("covar_slow_module", None)
    try:
        with pytest.raises(DerivationTimeout):
            with time_budget(0.05):
                importlib.import_module("covar_slow_module")
                while True:  # the budget fires here, after the import
                    sum(range(100))
        assert sys.modules["covar_slow_module"].DONE is True
    finally:
        sys.modules.pop("covar_slow_module", None)
