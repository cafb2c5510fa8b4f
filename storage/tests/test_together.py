"""`together`, `all_of` and `PerTurn`: gather's answers, with futures under way and a single call
awaited in place."""

import asyncio

import pytest

from parley_storage.cassandra import PerTurn, all_of, together


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


async def test_futures_under_way_are_awaited_in_place_each_outcome_in_order(monkeypatch):
    def no_gather(*calls, **options):
        raise AssertionError("futures under way need no gather, nor its loop iteration")

    monkeypatch.setattr(asyncio, "gather", no_gather)
    loop = asyncio.get_running_loop()
    first, second, third = loop.create_future(), loop.create_future(), loop.create_future()
    loop.call_soon(third.set_result, 3)  # answered in any order
    loop.call_soon(second.set_exception, ValueError("no"))
    loop.call_soon(first.set_result, 1)
    outcomes = await together([first, second, third])
    assert outcomes[0] == 1 and isinstance(outcomes[1], ValueError) and outcomes[2] == 3


async def test_per_turn_serves_the_items_asked_within_one_turn_together():
    served: list[list[int]] = []

    async def serve(items: list[int]) -> list[int | BaseException]:
        served.append(items)
        return [ValueError("odd") if item % 2 else item * 10 for item in items]

    tens = PerTurn(serve)
    asked = [tens(1), tens(2), tens(4)]  # futures: asking is not waiting
    assert all(isinstance(answer, asyncio.Future) for answer in asked)
    outcomes = await together(asked)
    assert served == [[1, 2, 4]]
    assert isinstance(outcomes[0], ValueError) and outcomes[1:] == [20, 40]
    assert await tens(6) == 60 and served[-1] == [6]  # a later turn, served apart
