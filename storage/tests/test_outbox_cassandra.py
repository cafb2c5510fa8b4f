"""The Cassandra outbox's sweep on the real server, its clock set by the test: a sweep
moves each shard's watermark past the slots that are over and empty, so their
tombstones are never read again; a mark holds its slot until it is cleared; a sweep
stopped by its limit keeps the slots it did not finish; a sweep after a long stop
catches up; what this process remembers of a mark below the watermark is dropped."""

from datetime import UTC, datetime, timedelta

import pytest

from parley_storage.cassandra import create_tables, execute, execute_together
from parley_storage.outbox_cassandra import (
    CLOCK_SKEW_S,
    RUN,
    SHARDS,
    SLOT_S,
    CassandraOutbox,
    outbox_tables,
    shard_of,
    slot_of,
)

START = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
LATER = timedelta(seconds=CLOCK_SKEW_S + 3 * SLOT_S)
"""Long enough for the slot of START and the one after it to be over."""


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


async def stored(stream: str, seq: int) -> str | None:
    return f"{stream}#{seq}"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def outbox(cassandra_session, cassandra_keyspace, clock) -> CassandraOutbox[str]:
    """Swept once before any mark, as a service sweeps before it serves."""
    create_tables(cassandra_session, cassandra_keyspace, outbox_tables("t"))
    made: CassandraOutbox[str] = CassandraOutbox(cassandra_session, cassandra_keyspace, "t", clock)
    assert await made.owed(clock.now, 10, stored) == []
    return made


@pytest.fixture
def watermarks(cassandra_session, cassandra_keyspace):
    async def read() -> dict[int, int]:
        rows = await execute(cassandra_session, f"SELECT shard, slot FROM {cassandra_keyspace}.t_outbox_swept")
        return {row.shard: row.slot for row in rows}

    return read


async def test_a_sweep_moves_past_the_slots_that_are_over_and_hold_no_mark(
    outbox, cassandra_session, clock, watermarks
):
    await execute_together(cassandra_session, outbox.marks("s", range(1, 41)))
    await execute_together(cassandra_session, outbox.unmarks("s", range(1, 41)))
    assert await outbox.owed(clock.now, 10, stored) == []
    assert max((await watermarks()).values()) <= slot_of(START)  # the marks' slot is not over yet

    clock.now = START + LATER
    assert await outbox.owed(clock.now, 10, stored) == []
    assert (await watermarks()) == {shard: slot_of(START + LATER - timedelta(seconds=CLOCK_SKEW_S)) for shard in
                                    range(SHARDS)}  # fmt: skip


async def test_a_mark_holds_its_slot_until_it_is_cleared(outbox, cassandra_session, clock, watermarks):
    await execute_together(cassandra_session, outbox.marks("s", range(1, 2)))
    clock.now = START + LATER
    assert await outbox.owed(clock.now, 10, stored) == ["s#1"]
    held = await watermarks()
    assert held[shard_of("s", 1)] == slot_of(START)
    assert all(slot > slot_of(START) for shard, slot in held.items() if shard != shard_of("s", 1))

    await execute_together(cassandra_session, outbox.unmarks("s", range(1, 2)))  # published
    assert await outbox.owed(clock.now, 10, stored) == []
    assert (await watermarks())[shard_of("s", 1)] > slot_of(START)


async def test_a_mark_younger_than_asked_is_left_and_holds_its_slot(outbox, cassandra_session, clock, watermarks):
    await execute_together(cassandra_session, outbox.marks("s", range(1, 2)))
    clock.now = START + LATER
    assert await outbox.owed(START - timedelta(seconds=1), 10, stored) == []
    assert (await watermarks())[shard_of("s", 1)] == slot_of(START)


async def test_a_mark_with_no_event_behind_it_is_cleared(outbox, cassandra_session, clock, watermarks):
    async def none_written(stream: str, seq: int) -> None:
        return None

    await execute_together(cassandra_session, outbox.marks("s", range(1, 2)))
    clock.now = START + LATER
    assert await outbox.owed(clock.now, 10, none_written) == []
    assert await outbox.owed(clock.now, 10, stored) == []
    assert (await watermarks())[shard_of("s", 1)] > slot_of(START)


async def test_a_mark_whose_write_failed_is_forgotten_once_its_slot_is_swept(outbox, clock):
    outbox.marks("s", range(1, 2))  # never written: its group's batch failed
    clock.now = START + LATER
    assert await outbox.owed(clock.now, 10, stored) == []
    assert outbox.unmarks("s", range(1, 2)) == []


async def test_a_sweep_stopped_by_its_limit_keeps_the_slots_it_did_not_finish(outbox, cassandra_session, clock,
                                                                              watermarks):  # fmt: skip
    assert shard_of("s", 1) == shard_of("s", 2)
    await execute_together(cassandra_session, outbox.marks("s", range(1, 2)))
    clock.now = START + timedelta(seconds=SLOT_S)
    await execute_together(cassandra_session, outbox.marks("s", range(2, 3)))
    clock.now = START + LATER
    assert await outbox.owed(clock.now, 1, stored) == ["s#1"]
    assert (await watermarks())[shard_of("s", 1)] <= slot_of(START)
    assert await outbox.owed(clock.now, 10, stored) == ["s#1", "s#2"]


async def test_a_sweep_after_a_long_stop_finds_the_marks_left_before_it(outbox, cassandra_session, clock,
                                                                       watermarks):  # fmt: skip
    await execute_together(cassandra_session, outbox.marks("s", range(1, 2)))
    clock.now = START + timedelta(minutes=10)  # every copy down: 120 slots a shard unswept
    assert await outbox.owed(clock.now, 10, stored) == ["s#1"]
    caught_up = slot_of(clock.now - timedelta(seconds=CLOCK_SKEW_S))
    assert (await watermarks()) == {shard: slot_of(START) if shard == shard_of("s", 1) else caught_up for shard in
                                    range(SHARDS)}  # fmt: skip


def test_the_marks_of_one_stream_spread_over_every_shard():
    assert {shard_of("channel:1", seq) for seq in range(1, RUN * SHARDS + 1)} == set(range(SHARDS))
