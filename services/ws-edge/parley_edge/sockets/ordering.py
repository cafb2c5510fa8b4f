"""One socket's frames handled at once where their order cannot matter.

A socket used to wait for each frame's answer before reading the next, so one slow
command (a store that takes its time) held every frame behind it: a client sending into
ten channels sent at the pace of the slowest. Now frames about one stream (a channel, a
conversation) run in the order they came, frames about different streams at the same
time, and a frame about no stream alone, after everything before it and before
everything after it. At most `limit` run at once; past that the socket is not read,
which slows the client down over TCP rather than queueing without bound.
"""

import asyncio
from collections.abc import Coroutine
from typing import Any

import structlog

log = structlog.get_logger("parley.edge.socket")


class InOrder:
    __slots__ = ("_last", "_running", "_slots")

    def __init__(self, limit: int):
        self._slots = asyncio.Semaphore(limit)
        self._last: dict[object, asyncio.Task[None]] = {}
        # Each stream's latest frame: the next one about it waits for it.
        self._running: set[asyncio.Task[None]] = set()

    async def submit(self, stream: object | None, work: Coroutine[Any, Any, None]) -> None:
        """Returns once `work` may run: started (about a stream) or done (about none)."""
        await self._slots.acquire()
        if stream is None:
            try:
                await self.finish()
                await work
            finally:
                self._slots.release()
            return
        task = asyncio.create_task(self._after(self._last.get(stream), work))
        self._last[stream] = task
        self._running.add(task)
        task.add_done_callback(lambda done: self._done(stream, done))

    async def _after(self, before: asyncio.Task[None] | None, work: Coroutine[Any, Any, None]) -> None:
        if before is not None:
            await asyncio.wait([before])
        await work

    def _done(self, stream: object, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._slots.release()
        if self._last.get(stream) is task:
            del self._last[stream]
        if not task.cancelled() and task.exception() is not None:
            log.error("frame_failed", error=repr(task.exception()))

    async def finish(self) -> None:
        """Until every frame submitted so far is handled."""
        if self._running:
            await asyncio.wait(set(self._running))
