"""The store breaker (pure asyncio): open after a trip, closed once the probe answers."""

import asyncio

import pytest

from parley_storage.breaker import Breaker
from parley_storage.cassandra import StoreUnavailable
from parley_testkit.waiting import until


async def test_a_tripped_breaker_refuses_until_the_probe_answers():
    answering = asyncio.Event()
    probes = 0

    async def probe() -> None:
        nonlocal probes
        probes += 1
        if not answering.is_set():
            raise StoreUnavailable("still stalled")

    breaker = Breaker(probe, probe_every_s=0.01)
    breaker.check()  # closed: nothing raised
    breaker.trip()
    breaker.trip()  # one probe loop, however often it trips
    with pytest.raises(StoreUnavailable):
        breaker.check()
    await until(lambda: _true(probes >= 3), timeout_s=2)
    assert breaker.open
    answering.set()
    await until(lambda: _true(not breaker.open), timeout_s=2)
    breaker.check()


async def _true(value: bool) -> bool:
    return value
