"""Ids from reserved blocks: unique and rising, the next block reserved ahead of need.
Pure logic: a counter in memory stands for the store."""

import asyncio

import pytest

from parley_storage.id_blocks import IdBlocks


class Counter:
    def __init__(self) -> None:
        self.last = 0
        self.reservations: list[int] = []
        self.failures = 0

    async def reserve(self, count: int) -> int:
        await asyncio.sleep(0)  # a store's round trip
        if self.failures:
            self.failures -= 1
            raise OSError("store unavailable")
        self.last += count
        self.reservations.append(self.last)
        return self.last


async def settled() -> None:
    """Lets a reservation made in the background finish."""
    for _ in range(3):
        await asyncio.sleep(0)


async def test_ids_are_unique_and_rising_across_blocks():
    counter = Counter()
    ids = IdBlocks(counter.reserve, block_size=10)
    handed = [await ids.next() for _ in range(35)]
    handed += await asyncio.gather(*(ids.next() for _ in range(40)))
    assert handed == list(range(1, 76))


async def test_the_next_block_is_reserved_once_half_of_the_current_one_is_handed_out():
    counter = Counter()
    ids = IdBlocks(counter.reserve, block_size=10)
    for _ in range(4):
        await ids.next()
    await settled()
    assert counter.reservations == [10]
    await ids.next()  # the fifth: half of the block is handed out
    await settled()
    assert counter.reservations == [10, 20]  # before the block runs out
    assert [await ids.next() for _ in range(7)] == [6, 7, 8, 9, 10, 11, 12]
    assert counter.reservations == [10, 20]


async def test_a_reservation_that_failed_ahead_is_tried_again_when_needed():
    counter = Counter()
    ids = IdBlocks(counter.reserve, block_size=4)
    assert [await ids.next() for _ in range(2)] == [1, 2]
    counter.failures = 1  # the reservation ahead fails
    await ids.next()
    await ids.next()
    with pytest.raises(OSError):
        await ids.next()
    assert await ids.next() == 5


async def test_callers_waiting_on_a_reservation_go_on_together_and_a_cancelled_one_does_not_stop_it():
    counter = Counter()
    ids = IdBlocks(counter.reserve, block_size=10)
    loop = asyncio.get_running_loop()
    woke_after_the_first_turn: list[bool] = []

    def turn_ends() -> None:
        woke_after_the_first_turn.append(True)

    async def take() -> int:
        value = await ids.next()
        if not woke_after_the_first_turn:
            loop.call_soon(turn_ends)  # runs after every callback already due in this turn
        woke_after_the_first_turn.append(False)
        return value

    waiting = [asyncio.ensure_future(take()) for _ in range(8)]
    doomed = asyncio.ensure_future(ids.next())
    await asyncio.sleep(0)
    doomed.cancel()
    assert sorted(await asyncio.gather(*waiting)) == list(range(1, 9))
    assert woke_after_the_first_turn[:8] == [False] * 8
