"""The load's pace and patience: an open loop of sends at a fixed rate, and the wait for
what they should bring."""

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from parley_client import Listener

from .target import Target, every


def received(sockets: list[Listener]) -> int:
    """Frames the sockets hold in all."""
    return sum(len(s.received) for s in sockets)


async def at_rate(rate: float, count: int, send: Callable[[int], Coroutine[Any, Any, object]], target: Target) -> None:
    """Start `send(n)` for each n at `rate` per second without waiting for the one before
    (an open loop, as independent clients are), then wait for them all."""
    loop = asyncio.get_running_loop()
    started, due = loop.time(), every(2.0)
    tasks: list[asyncio.Task[object]] = []
    for n in range(count):
        tasks.append(asyncio.create_task(send(n)))
        if due():
            target.progress(f"{n}/{count} sent")
        await asyncio.sleep(max(0.0, started + (n + 1) / rate - loop.time()))
    await asyncio.gather(*tasks)


async def settle(
    received: Callable[[], int], expected: Callable[[], int], target: Target, stalled_s: float = 10
) -> None:
    """Wait until `received()` reaches `expected()`, or nothing more has come for
    `stalled_s`; what is missing then counts as lost."""
    due = every(2.0)
    loop = asyncio.get_running_loop()
    last, progressed = -1, loop.time()
    while (now := received()) < expected():
        if now != last:
            last, progressed = now, loop.time()
        elif loop.time() - progressed > stalled_s:
            return
        if due():
            target.progress(f"{now}/{expected()} received")
        await asyncio.sleep(0.05)
