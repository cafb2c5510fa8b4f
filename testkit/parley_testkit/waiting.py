"""Waiting on a condition with a deadline, instead of sleeping for an effect."""

import asyncio
from collections.abc import Awaitable, Callable


async def until(condition: Callable[[], Awaitable[bool]], timeout_s: float, interval_s: float = 0.05) -> None:
    """Return once `condition()` is true; raise TimeoutError after `timeout_s`."""

    async def poll() -> None:
        while not await condition():  # noqa: ASYNC110  polling is the point: the effect is remote
            await asyncio.sleep(interval_s)

    await asyncio.wait_for(poll(), timeout_s)
