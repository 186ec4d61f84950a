"""Answers cached by normalised problem, with one computation shared by identical requests.

A problem's key (:meth:`covar.web.problem.Problem.key`) names the job and the problem's texts
with spacing normalised. Results and the user's own errors are kept (least recently used
first out, bounded in entries and bytes); timeouts (of a job, or of an animation's last frame),
crashes, "busy" and out-of-memory answers are not, since they depend on the load of the moment. Identical requests in flight share one computation.

>>> import asyncio
>>> cache = AnswerCache(entries=2)
>>> async def compute(): return {"ok": True, "n": 1}
>>> asyncio.run(cache.get_or_compute("k", compute)), cache.hits
({'ok': True, 'n': 1}, 0)
>>> asyncio.run(cache.get_or_compute("k", compute)), cache.hits
({'ok': True, 'n': 1}, 1)
"""
from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from typing import Any, Awaitable, Callable

#: error kinds that say something about the load, not the problem: never cached
TRANSIENT = frozenset({"timeout", "crash", "busy", "memory", "frame"})


def _size(answer: dict[str, Any]) -> int:
    return len(json.dumps(answer))


class AnswerCache:
    """An LRU of answers by key, at most ``entries`` of them and ``max_bytes`` of JSON in all."""

    def __init__(self, entries: int = 512, max_bytes: int = 64 * 2 ** 20) -> None:
        self.entries, self.max_bytes = entries, max_bytes
        self._answers: OrderedDict[str, tuple[dict[str, Any], int]] = OrderedDict()
        self._bytes = 0
        self._running: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.hits = 0

    def get(self, key: str) -> dict[str, Any] | None:
        """The cached answer of ``key``, if any (it becomes the most recently used)."""
        if key not in self._answers:
            return None
        self._answers.move_to_end(key)
        self.hits += 1
        return self._answers[key][0]

    def put(self, key: str, answer: dict[str, Any]) -> None:
        """Keep ``answer`` unless it is a transient failure or larger than the whole cache."""
        if not answer.get("ok") and answer.get("error", {}).get("kind") in TRANSIENT:
            return
        size = _size(answer)
        if size > self.max_bytes:
            return
        if key in self._answers:
            self._bytes -= self._answers.pop(key)[1]
        self._answers[key] = (answer, size)
        self._bytes += size
        while len(self._answers) > self.entries or self._bytes > self.max_bytes:
            _, (_, dropped) = self._answers.popitem(last=False)
            self._bytes -= dropped

    async def get_or_compute(self, key: str, compute: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        """The cached answer, the answer of an identical request in flight, or a new one."""
        cached = self.get(key)
        if cached is not None:
            return cached
        if key in self._running:
            self.hits += 1
            return await asyncio.shield(self._running[key])
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._running[key] = future
        try:
            answer = await compute()
            self.put(key, answer)
            future.set_result(answer)
            return answer
        finally:
            del self._running[key]
            if not future.done():  # compute() raised or was cancelled: the waiters get the same
                future.cancel()
