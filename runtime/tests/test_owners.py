"""Stream owners among a service's copies: who owns what (pure), and commands handed to
the owner over a real NATS server, including an owner that died or stopped answering."""

import asyncio

import pytest

from parley_contracts import chat
from parley_contracts.errors import ErrorCode
from parley_contracts.replies import Empty
from parley_contracts.subjects import Command
from parley_runtime.bus import Bus
from parley_runtime.errors import ParleyError
from parley_runtime.owners import FORGET_AFTER_S, Owners

MARK = Command("test.cmd.mark", chat.MarkRead, Empty, idempotent=True, stream_of=lambda r: r.channel_id)
"""A repeatable command appending to the channel named in it."""
ONCE = Command("test.cmd.once", chat.MarkRead, Empty, stream_of=lambda r: r.channel_id)
"""The same, not repeatable."""


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def owners_of(clock: Clock, count: int) -> list[Owners]:
    """`count` copies' views, each having heard from all the others just now."""
    copies = [Owners(None, "test", clock) for _ in range(count)]  # type: ignore[arg-type]  # no bus: pure logic
    for copy in copies:
        for other in copies:
            if other is not copy:
                copy.heard(other.me)
    return copies


def test_a_lone_copy_owns_every_stream():
    [alone] = owners_of(Clock(), 1)
    assert {alone.owner(stream) for stream in range(50)} == {alone.me}


def test_copies_agree_on_each_owner_and_share_the_streams():
    copies = owners_of(Clock(), 3)
    for stream in [*range(100), "conv_3_9"]:
        assert len({copy.owner(stream) for copy in copies}) == 1
    owned = [sum(copies[0].owner(stream) == copy.me for stream in range(300)) for copy in copies]
    assert all(60 < count < 140 for count in owned), owned


def test_a_copy_not_heard_from_owns_nothing_and_only_its_streams_move():
    clock = Clock()
    first, second, third = owners_of(clock, 3)
    before = {stream: first.owner(stream) for stream in range(200)}
    clock.now += FORGET_AFTER_S / 2
    first.heard(second.me)  # third is silent from now on
    clock.now += FORGET_AFTER_S / 2 + 0.01
    after = {stream: first.owner(stream) for stream in range(200)}
    assert third.me not in after.values()
    assert all(after[s] == before[s] for s in before if before[s] != third.me)
    first.forget(second.me)
    assert {first.owner(stream) for stream in range(200)} == {first.me}


def mark(channel_id: int) -> chat.MarkRead:
    return chat.MarkRead(actor_id=1, channel_id=channel_id, message_id=1)


async def serving_copies(
    nats_url: str, count: int, handler_for, request_timeout_s: float = 5.0
) -> tuple[list[Bus], list[Owners]]:
    """`count` copies serving MARK and ONCE with stream owners, each knowing the others."""
    buses, owners = [], []
    for index in range(count):
        bus = await Bus.connect(nats_url, f"copy{index}", request_timeout_s=request_timeout_s)
        copy = Owners(bus, "test", Clock())  # a still clock: the copies stay heard from however slow the run
        await copy.start()
        for command in (MARK, ONCE):
            await bus.serve(command, handler_for(index), copy)
        buses.append(bus)
        owners.append(copy)
    for copy in owners:
        for other in owners:
            copy.heard(other.me)
    return buses, owners


async def test_each_stream_is_handled_by_its_owner_whichever_copy_receives_it(nats_url):
    handled_by: dict[int, set[int]] = {}

    def handler_for(index: int):
        async def handle(request: chat.MarkRead) -> Empty:
            handled_by.setdefault(request.channel_id, set()).add(index)
            return Empty()

        return handle

    buses, owners = await serving_copies(nats_url, 2, handler_for)
    client = await Bus.connect(nats_url, "client")
    for _ in range(5):
        for channel_id in range(1, 21):
            await client.request(MARK, mark(channel_id))
    expected = {c: {[o.me for o in owners].index(owners[0].owner(c))} for c in range(1, 21)}
    assert handled_by == expected
    assert {index for copies in handled_by.values() for index in copies} == {0, 1}

    # One copy dies: the other hears that no one listens on its subject and takes its streams at once.
    await buses[1].nc.close()
    handled_by.clear()
    for channel_id in range(1, 21):
        await asyncio.wait_for(client.request(MARK, mark(channel_id)), 1.0)
    assert handled_by == {c: {0} for c in range(1, 21)}
    for bus in (buses[0], client):
        await bus.nc.close()


async def test_an_owner_that_does_not_answer_loses_repeatable_commands_and_refuses_others(nats_url):
    stuck = asyncio.Event()

    def handler_for(index: int):
        async def handle(_request: chat.MarkRead) -> Empty:
            if index == 1:
                await stuck.wait()  # the second copy hangs: frozen, or its store stalls
            return Empty()

        return handle

    buses, owners = await serving_copies(nats_url, 2, handler_for, request_timeout_s=1.5)
    first, second = owners
    channel_id = next(c for c in range(1, 100) if first.owner(c) == second.me)
    request = mark(channel_id)
    data = request.model_dump_json().encode()

    with pytest.raises(ParleyError) as refused:
        await first.forward(ONCE, request, data)
    assert refused.value.code is ErrorCode.UNAVAILABLE
    assert first.owner(channel_id) == first.me  # forgotten until it is heard from again

    first.heard(second.me)
    assert await first.forward(MARK, request, data) is None  # handled here after the request timeout
    assert first.owner(channel_id) == first.me
    stuck.set()
    for bus in buses:
        await bus.nc.close()
