"""`together` and `all_of`: gather's answers, a single call awaited without a task of its own."""

import asyncio

import pytest

from parley_storage.cassandra import all_of, together


async def answer(value: int) -> int:
    await asyncio.sleep(0)
    return value


async def fail() -> int:
    raise ValueError("no")


async def test_each_call_is_answered_in_order_a_failure_in_its_place():
    outcomes = await together([answer(1), fail(), answer(3)])
    assert outcomes[0] == 1 and isinstance(outcomes[1], ValueError) and outcomes[2] == 3
    [alone] = await together([fail()])
    assert isinstance(alone, ValueError)


async def test_a_single_call_runs_in_the_callers_task():
    async def which_task() -> asyncio.Task | None:
        return asyncio.current_task()

    assert await together([which_task()]) == [asyncio.current_task()]


async def test_all_of_answers_every_call_or_raises_the_first_failure():
    assert await all_of([answer(1), answer(2)]) == [1, 2]
    with pytest.raises(ValueError):
        await all_of([answer(1), fail()])
