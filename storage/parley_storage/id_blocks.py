"""Ids handed out from blocks reserved in the directory, so most ids cost no round trip.

The next block is reserved in the background once half of the current one is handed
out, so ids seldom wait for a reservation, and a store that group-commits (SQLite) folds
the reservation into the commit of the writes made beside it rather than giving it a
write transaction of its own. Callers that do wait (the very first block, a burst larger
than half a block) all wait on the one reservation and go on together in the same loop
turn, so their writes still share a commit. A reservation that failed fails the ids
waiting on it; the next id reserves again."""

import asyncio
from collections.abc import Awaitable, Callable


class IdBlocks:
    def __init__(self, reserve: Callable[[int], Awaitable[int]], block_size: int = 100):
        self._reserve = reserve
        self._block_size = block_size
        self._next = 1
        self._last = 0
        self._ahead: asyncio.Future[int] | None = None
        """The reservation under way: there is never more than one."""

    async def next(self) -> int:
        while self._next > self._last:
            ahead = self._ahead or self._reserve_ahead()
            try:
                last = await asyncio.shield(ahead)  # a waiter cancelled does not cancel it for the others
            except Exception:
                if self._ahead is ahead:
                    self._ahead = None
                raise
            if self._ahead is ahead:  # the first waiter to wake installs the block
                self._ahead = None
                self._last, self._next = last, last - self._block_size + 1
        value = self._next
        self._next += 1
        if self._ahead is None and self._last - value == self._block_size // 2:
            self._reserve_ahead()
        return value

    def _reserve_ahead(self) -> "asyncio.Future[int]":
        self._ahead = asyncio.ensure_future(self._reserve(self._block_size))
        return self._ahead
