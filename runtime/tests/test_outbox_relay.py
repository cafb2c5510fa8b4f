"""The outbox relay's publishing, on the in-memory event log (pure logic): what one loop
turn's commands appended goes out in one publish, and only the events stored lose their
outbox marks."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from nats.errors import TimeoutError as NatsTimeout

from parley_runtime.outbox_relay import NotPublished, OutboxRelay
from parley_storage.event_log import LoggedStore
from parley_storage.event_log_memory import MemoryEventLog


@dataclass(frozen=True)
class Note:
    stream: str
    seq: int


class NoteStore(LoggedStore[Note]):
    def __init__(self) -> None:
        self._log = MemoryEventLog()

    async def settle(self, event: Note) -> None:
        pass


async def appended(store: NoteStore, *streams: str) -> list[Note]:
    return [(await store.append(stream, lambda seq, stream=stream: Note(stream, seq))).event for stream in streams]


async def owed(store: NoteStore) -> list[Note]:
    return await store.unsettled(datetime.now(UTC) + timedelta(seconds=1), 100)


async def test_the_events_of_commands_answered_in_one_loop_turn_are_published_together():
    store, batches = NoteStore(), []

    async def publish(events: list[Note]) -> list[BaseException | None]:
        batches.append(events)
        return [None] * len(events)

    relay = OutboxRelay(store, publish, stream_of=lambda note: note.stream)
    started: list[asyncio.Task[None]] = []

    def follow_up(work) -> None:
        started.append(asyncio.create_task(work))

    first_turn = await appended(store, "a", "b", "a")
    for event in first_turn:  # three commands answered in the same turn
        relay.publish_soon([event], follow_up)
    await asyncio.gather(*started)
    next_turn = await appended(store, "b")
    relay.publish_soon(next_turn, follow_up)
    await asyncio.gather(*started)

    assert len(started) == 2
    assert batches == [first_turn, next_turn]
    assert await owed(store) == []


async def test_an_event_not_published_keeps_its_mark_and_the_others_lose_theirs():
    store = NoteStore()
    events = await appended(store, "a", "a", "b")

    async def publish(events: list[Note]) -> list[BaseException | None]:
        return [None, NatsTimeout(), None]

    relay = OutboxRelay(store, publish, stream_of=lambda note: note.stream)
    with pytest.raises(NotPublished) as refused:
        await relay.publish(events)
    assert (refused.value.count, type(refused.value.first)) == (1, NatsTimeout)
    assert await owed(store) == [events[1]]
