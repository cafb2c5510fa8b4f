"""Ids handed out from blocks reserved in the directory, so most ids cost no round trip."""

import asyncio
from collections.abc import Awaitable, Callable


class IdBlocks:
    def __init__(self, reserve: Callable[[int], Awaitable[int]], block_size: int = 100):
        self._reserve = reserve
        self._block_size = block_size
        self._next = 1
        self._last = 0
        self._lock = asyncio.Lock()

    async def next(self) -> int:
        async with self._lock:
            if self._next > self._last:
                self._last = await self._reserve(self._block_size)
                self._next = self._last - self._block_size + 1
            value = self._next
            self._next += 1
            return value
