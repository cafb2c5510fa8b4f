"""Fail fast while the store does not answer, instead of queueing behind it.

Once a statement times out (`StoreUnavailable`), every append fails at once with the
same error until a probe, sent every `PROBE_EVERY_S`, is answered again. Without it,
appends kept going to a stalled node: each waited out its timeout, those queued behind
it waited for theirs in turn, and the node, on waking, first worked through every
statement the clients had long given up on before it served new ones.
"""

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from .cassandra import StoreUnavailable

log = structlog.get_logger("parley.store")
PROBE_EVERY_S = 0.25


class Breaker:
    def __init__(self, probe: Callable[[], Awaitable[object]], probe_every_s: float = PROBE_EVERY_S):
        self._probe = probe
        self._probe_every_s = probe_every_s
        self._probing: asyncio.Task[None] | None = None

    @property
    def open(self) -> bool:
        return self._probing is not None

    def check(self) -> None:
        """Raises `StoreUnavailable` while the store is known not to answer."""
        if self._probing is not None:
            raise StoreUnavailable("the store is not answering; try again shortly")

    def trip(self) -> None:
        if self._probing is None:
            log.warning("store_not_answering")
            self._probing = asyncio.create_task(self._until_answered())

    async def _until_answered(self) -> None:
        while True:
            try:
                await self._probe()
            except Exception:  # still away: any failure of the probe says so
                await asyncio.sleep(self._probe_every_s)
                continue
            log.info("store_answering")
            self._probing = None
            return
