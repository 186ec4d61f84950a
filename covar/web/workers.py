"""A bounded pool of worker processes: each job in its own process, under a hard deadline.

The server never derives in its own process. A job goes to an idle worker (a spawned process
that has imported covar once); the worker runs it under covar's time budget and answers on a
pipe. A worker that overruns its deadline by more than ``grace`` seconds is killed and replaced,
and so is one that dies (a crash): the request gets an error answer and the server goes on.
Each worker's address space is limited (``RLIMIT_AS``, set once covar is imported): a job that
needs more is stopped by a MemoryError, answered with a message saying so, and its worker is
replaced (a worker that ran out of memory may hold half-built state).
Waiting requests queue for a free worker; beyond ``max_waiting`` they are told to come back.
(tests/test_web.py starts pools: a doctest here would cost a process start.)
"""
from __future__ import annotations

import asyncio
import multiprocessing
import resource
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

#: how long a new worker may take to import covar before it is given up
START_SECONDS = 120.0


def _limit_memory(memory_mb: int | None) -> None:
    """Cap this process's address space at ``memory_mb`` MiB (no cap for None)."""
    if memory_mb is not None:
        limit = memory_mb * 2 ** 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _memory_failure(memory_mb: int | None) -> dict[str, Any]:
    return _failure(f"the job needed more than the {memory_mb} MiB of memory a worker may use and was stopped "
                    "(the worker has been replaced); simplify the map or density", "memory")


def _serve(conn: Connection, memory_mb: int | None = None) -> None:
    """The worker's loop: import once, then answer one job per message until the pipe closes."""
    from covar.web.jobs import run

    _limit_memory(memory_mb)
    try:
        conn.send("ready")
    except (BrokenPipeError, OSError):  # the pool closed before this worker was ready
        return
    while True:
        try:
            job, fields, seconds = conn.recv()
        except (EOFError, OSError):
            return
        if job == "echo":  # a job with no covar work: the pool's own health check
            conn.send({"ok": True, "fields": fields})
        elif job == "crash":  # test hooks (not reachable over HTTP): a dying worker is replaced ...
            raise SystemExit(3)
        elif job == "sleep":  # ... and so is one stuck in a single long call, past the budget
            time.sleep(fields["seconds"])
            conn.send({"ok": True})
        else:
            try:
                answer = run(job, fields, seconds) if job != "allocate" else {"ok": len(bytearray(fields["bytes"])) > 0}
            except MemoryError:  # "allocate" is the test hook of this path
                answer = None
            if answer is None:  # outside the handler: the failed allocation's frames are released
                conn.send(_memory_failure(memory_mb))
                return
            conn.send(answer)


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    ready: bool = False
    jobs: int = field(default=0)


class WorkerPool:
    """``size`` worker processes; :meth:`run` sends a job to a free one and awaits its answer."""

    def __init__(self, size: int, grace: float = 5.0, max_waiting: int = 64, memory_mb: int | None = None) -> None:
        self.size, self.grace, self.max_waiting, self.memory_mb = size, grace, max_waiting, memory_mb
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._idle: list[_Worker] = [self._start() for _ in range(size)]
        self._free = threading.Semaphore(size)
        self._waiting = 0
        # one thread per request in flight: each blocks on a worker's pipe, not on the event loop
        self._threads = ThreadPoolExecutor(max_workers=size + max_waiting, thread_name_prefix="covar-web")
        self.restarts = 0

    def _start(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(child, self.memory_mb), daemon=True, name="covar-web-worker")
        process.start()
        child.close()
        return _Worker(process, parent)

    def _replace(self, worker: _Worker) -> _Worker:
        """Kill ``worker`` (whatever it is doing) and start a fresh one in its place."""
        worker.process.kill()
        worker.process.join(5)
        worker.conn.close()
        self.restarts += 1
        return self._start()

    def _exchange(self, job: str, fields: dict[str, Any], seconds: float) -> dict[str, Any]:
        """Blocking: take a worker, send the job, wait for the answer or the deadline."""
        self._free.acquire()
        with self._lock:
            worker = self._idle.pop()
        try:
            if not worker.ready:
                if not worker.conn.poll(START_SECONDS):
                    worker = self._replace(worker)
                    return _failure("the worker process did not start; try again", "crash")
                worker.conn.recv()
                worker.ready = True
            worker.conn.send((job, fields, seconds))
            worker.jobs += 1
            if not worker.conn.poll(seconds + self.grace):
                worker = self._replace(worker)
                return _failure(f"the job ran past its time budget of {seconds:g} s and was stopped; "
                                "simplify the map or density", "timeout")
            answer = dict(worker.conn.recv())
            if answer.get("error", {}).get("kind") == "memory":  # that worker has left its loop
                worker = self._replace(worker)
            return answer
        except (EOFError, OSError, BrokenPipeError):
            worker = self._replace(worker)
            return _failure("the worker process stopped while deriving this problem (it has been replaced); "
                            "please report the problem", "crash")
        finally:
            with self._lock:
                self._idle.append(worker)
            self._free.release()

    async def run(self, job: str, fields: dict[str, Any], seconds: float) -> dict[str, Any]:
        """The answer of ``job`` (``{"ok": ...}``); never raises for a slow or crashing job."""
        if self._waiting >= self.max_waiting:
            return _failure("the server is busy; try again in a moment", "busy")
        self._waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._threads, self._exchange, job, fields, seconds)
        finally:
            self._waiting -= 1

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            for worker in self._idle:
                worker.process.kill()
                worker.process.join(5)
                worker.conn.close()
            self._idle.clear()
        self._threads.shutdown(wait=False, cancel_futures=True)


def _failure(message: str, kind: str) -> dict[str, Any]:
    return {"ok": False, "error": {"field": None, "message": message, "kind": kind}}
