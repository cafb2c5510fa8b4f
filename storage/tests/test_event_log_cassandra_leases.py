"""The Cassandra log's leases on the real server: a paused old holder's late write loses
to the new holder's, a stale key row is no duplicate, a write that completes past the
lease is not acknowledged, and a stream moves to another log once the first's lease
lapses, is released, or is handed over; a read answered late never sets the holder's
head back."""

import asyncio
import dataclasses
import time

import pytest
from cassandra.query import BatchStatement

from parley_contracts import chat
from parley_runtime.clock import now
from parley_storage import cassandra, event_log_cassandra, leases
from parley_storage.cassandra import execute
from parley_storage.event_log_cassandra import CassandraEventLog, key_position
from parley_storage.leases import LeaseLost, LeaseTerms
from parley_testkit.cassandra_requests import requests
from parley_testkit.waiting import until

SHORT = LeaseTerms(length_s=1.5, margin_s=0.2)
LONG = LeaseTerms(length_s=60.0, margin_s=0.5)
"""Longer than any test: a stream moves within it only by a release."""


def posted(message_id: int):
    def build(seq: int) -> chat.MessagePosted:
        message = chat.ChannelMessage(id=message_id, channel_id=1, author_id=1, content=f"m{message_id}", seq=seq,
                                      created_at=now())  # fmt: skip
        return chat.MessagePosted(channel_id=1, seq=seq, occurred_at=now(), message=message)

    return build


def pause(log: CassandraEventLog) -> None:
    """The process stops running, as under SIGSTOP or a long pause: its lease is not renewed."""
    log._keeper.cancel()


async def land_late(monkeypatch, old: CassandraEventLog, stale, head: int, events, keys) -> None:
    """The old holder's write, issued before its deadline (so timestamped below it), lands now."""
    issued_at = stale.deadline - 1000
    monkeypatch.setattr(leases, "now_us", lambda: issued_at)
    monkeypatch.setattr(event_log_cassandra, "now_us", lambda: issued_at)
    await old._write("s", stale, head, events, keys)
    monkeypatch.undo()


async def test_a_late_write_of_a_paused_old_holder_loses(logs, monkeypatch):
    old, new = logs(SHORT), logs(SHORT)
    for n in range(1, 4):
        await old.append("s", posted(n))
    stale = dataclasses.replace(old.leases.held["s"])
    pause(old)
    assert (await new.append("s", posted(40), key="k-new")).event.seq == 4

    await land_late(monkeypatch, old, stale, 3, [(4, posted(90)(4)), (5, posted(91)(5))], ["k-late", None])

    fresh = logs(SHORT)  # reads without any hint of its own
    assert await fresh.head("s") == 4
    assert [e.message.id for e in await fresh.events("s", 0, 10)] == [1, 2, 3, 40]
    retried = await new.append("s", posted(41), key="k-new")
    assert retried.duplicate and retried.event.message.id == 40
    # The late key row names seq 4, whose event carries another key: not a duplicate.
    assert not (await new.append("s", posted(92), key="k-late")).duplicate
    assert [e.message.id for e in await fresh.events("s", 0, 10)] == [1, 2, 3, 40, 92]


async def test_a_late_write_landing_before_the_new_holders_first_append_does_not_show(logs, monkeypatch):
    old, new = logs(SHORT), logs(SHORT)
    await old.append("s", posted(1))
    stale = dataclasses.replace(old.leases.held["s"])
    pause(old)
    await new._lease("s")  # taken (the head fenced), nothing appended yet

    await land_late(monkeypatch, old, stale, 1, [(2, posted(90)(2))], ["k-late"])

    fresh = logs(SHORT)
    assert await fresh.head("s") == 1
    assert [e.message.id for e in await fresh.events("s", 0, 10)] == [1]
    appended = await new.append("s", posted(2), key="k-late")
    assert (appended.duplicate, appended.event.seq, appended.event.message.id) == (False, 2, 2)


async def test_a_key_row_pointing_at_an_event_with_another_key_is_no_duplicate(logs, cassandra_session):
    log = logs(LONG)
    original = await log.append("k", posted(1), key="a")
    stray = log._write_key.bind(("k", 0, key_position("b"), "b", 1, 1))  # a key row left by a fenced-out write
    await execute(cassandra_session, stray)
    appended = await log.append("k", posted(2), key="b")
    assert (appended.duplicate, appended.event.seq) == (False, 2)
    again = await log.append("k", posted(3), key="a")
    assert again.duplicate and again.event == original.event


async def test_a_write_completing_after_the_deadline_is_not_acknowledged(logs, monkeypatch):
    log = logs(SHORT)
    real_execute = cassandra.execute
    delayed = {"left": 1}

    async def slow_execute(session, statement, params=None):
        rows = await real_execute(session, statement, params)
        writes = getattr(statement, "_statements_and_parameters", [])
        if delayed["left"] and any(part[1] == log._write_event.query_id for part in writes):
            delayed["left"] -= 1
            pause(log)  # a renewal would extend the deadline past the answer: none comes
            lease = log.leases.held["s"]
            await asyncio.sleep(max(0.0, lease.left_us() / 1_000_000) + 0.05)  # the answer comes too late
        return rows

    monkeypatch.setattr(cassandra, "execute", slow_execute)
    with pytest.raises(LeaseLost):
        await log.append("s", posted(1), key="c-1")
    # The client retries with the same key: the write did land, so it is the original.
    retried = await log.append("s", posted(2), key="c-1")
    assert retried.duplicate and (retried.event.seq, retried.event.message.id) == (1, 1)
    assert (await log.append("s", posted(3))).event.seq == 2


async def test_a_read_of_the_head_answered_late_does_not_set_the_holders_head_back(logs, monkeypatch):
    """A read of the head that Cassandra answered before the holder's last appends reaches
    the holder after them: its next append still takes the seq after them. (Under a NATS
    node kill the edges' gap fills and the republisher read busy streams, and a stale head
    had the holder write over two acknowledged messages.)"""
    log = logs(LONG)
    await log.append("s", posted(1))
    real_execute = event_log_cassandra.execute
    answered, delivered = asyncio.Event(), asyncio.Event()

    async def late_head(session, statement, params=None, timeout_s=None):
        rows = await real_execute(session, statement, params, timeout_s)
        if statement is log._head_of and not answered.is_set():
            answered.set()
            await delivered.wait()  # the answer reaches the reader only now
        return rows

    monkeypatch.setattr(event_log_cassandra, "execute", late_head)
    reading = asyncio.create_task(log.head("s"))
    await answered.wait()
    assert [(await log.append("s", posted(n))).event.seq for n in (2, 3)] == [2, 3]
    delivered.set()
    await reading
    assert (await log.append("s", posted(4))).event.seq == 4
    assert [event.message.id for event in await logs(LONG).events("s", 0, 10)] == [1, 2, 3, 4]


async def test_a_second_log_takes_over_after_the_first_ones_lease_lapses(logs):
    killed, survivor = logs(SHORT), logs(SHORT)
    await asyncio.gather(*(killed.append("s", posted(n)) for n in range(1, 6)))
    lease = killed.leases.held["s"]
    pause(killed)  # killed: never renews, never releases
    results = await asyncio.gather(*(survivor.append("s", posted(n)) for n in range(6, 11)))
    assert time.time_ns() // 1000 > lease.until + SHORT.margin_us  # it waited for the lease to lapse
    assert sorted(r.event.seq for r in results) == list(range(6, 11))
    assert [e.seq for e in await survivor.events("s", 0, 20)] == list(range(1, 11))


async def test_a_released_lease_is_taken_at_once(logs):
    first, second = logs(LONG), logs(LONG)
    await first.append("s", posted(1))
    await first.close()
    assert (await asyncio.wait_for(second.append("s", posted(2)), timeout=10)).event.seq == 2


async def test_a_stream_another_copy_owns_now_is_handed_over(logs):
    first, second = logs(LONG), logs(LONG)
    await first.append("s", posted(1))
    await first.append("t", posted(1))
    first.follow_owners(lambda stream: stream != "s")  # a copy that owns "s" arrived
    assert (await asyncio.wait_for(second.append("s", posted(2)), timeout=10)).event.seq == 2
    assert "t" in first.leases.held


async def test_a_renewal_whose_answer_was_lost_does_not_lock_the_holder_out(logs, cassandra_session):
    log = logs(SHORT)
    await log.append("s", posted(1))
    lease = log.leases.held["s"]
    pause(log)
    # The renewal applied, but its answer never came: the row is a term ahead, its until too.
    applied = log.leases._move.bind((log.leases.me, lease.term + 1, leases.now_us() + SHORT.length_us, "s", lease.term))
    await execute(cassandra_session, applied)
    assert not await log.leases.renew("s", lease)  # the next renewal finds the term moved on
    assert (await log.append("s", posted(2))).event.seq == 2


async def test_appends_do_not_wait_for_a_renewal_under_way_while_the_lease_has_time(logs):
    log = logs(LeaseTerms(length_s=4.0, margin_s=0.2))
    await log.append("s", posted(1))
    real_cas, answer_renewal = log.leases._cas, asyncio.Event()

    async def held_up_cas(*args):
        await answer_renewal.wait()  # a Paxos round slow to answer
        return await real_cas(*args)

    async def renewing() -> bool:
        return "s" in log._renewing

    async def renewed() -> bool:
        return "s" not in log._renewing

    log.leases._cas = held_up_cas
    await until(renewing, timeout_s=10)  # the keeper renews at half the length
    try:
        assert (await asyncio.wait_for(log.append("s", posted(2)), 1.5)).event.seq == 2  # the lease has ~2 s left
    finally:
        answer_renewal.set()
    await until(renewed, timeout_s=10)
    assert log.leases.held["s"].active  # used while the renewal was under way: the next one is due too
    assert (await log.append("s", posted(3))).event.seq == 3


async def lapsed(log: CassandraEventLog, stream: str) -> None:
    async def given_up() -> bool:
        return stream not in log.leases.held

    await until(given_up, timeout_s=10)


async def test_a_lease_that_lapsed_while_the_stream_was_idle_is_taken_back_with_one_request(
    logs, cassandra_session, cassandra_keyspace
):
    log = logs(SHORT)
    await log.append("s", posted(1))
    await lapsed(log, "s")
    with requests(cassandra_session, cassandra_keyspace) as sent:
        assert (await log.append("s", posted(2))).event.seq == 2
    # The conditional write taking it back, then the marks and the rows: no read of the
    # lease row, nor of the head and its fence (four requests before the rows, before).
    assert sent == {"statement": 1, "batch": 2}


async def test_the_take_back_goes_out_with_the_marks_and_the_key_read(logs, monkeypatch):
    log = logs(SHORT)
    await log.append("s", posted(1), key="k1")
    await lapsed(log, "s")
    real_execute, order = cassandra.execute, []

    async def ordered_execute(session, statement, params=None, timeout_s=None):
        kind = "batch" if isinstance(statement, BatchStatement) else statement.query_string.split()[0].lower()
        order.append(f"{kind} sent")
        rows = await real_execute(session, statement, params, timeout_s)
        order.append(f"{kind} answered")
        return rows

    for module in (cassandra, event_log_cassandra, leases):
        monkeypatch.setattr(module, "execute", ordered_execute)
    assert (await log.append("s", posted(2), key="k2")).event.seq == 2
    # The conditional write, the marks and the key read at once; then the rows.
    assert sorted(order[:3]) == ["batch sent", "select sent", "update sent"], order
    assert order[-2:] == ["batch sent", "batch answered"], order


async def test_a_lease_another_log_held_meanwhile_is_not_taken_back_blind(logs):
    first, second = logs(SHORT), logs(SHORT)
    await first.append("s", posted(1))
    await lapsed(first, "s")
    assert (await second.append("s", posted(2), key="k2")).event.seq == 2
    await lapsed(second, "s")
    # Its own head (1) no longer holds: the key read that went out with the take, by that
    # head, is made again, and finds k2 at seq 2.
    retried = await first.append("s", posted(20), key="k2")
    assert (retried.duplicate, retried.event.seq) == (True, 2)
    assert (await first.append("s", posted(3))).event.seq == 3
    assert [event.seq for event in await logs(SHORT).events("s", 0, 10)] == [1, 2, 3]


async def test_after_a_failed_write_the_lease_is_taken_back_with_the_head_read_and_fenced(
    logs, cassandra_session, cassandra_keyspace, monkeypatch
):
    log = logs(SHORT)
    await log.append("s", posted(1))
    real_execute = cassandra.execute

    async def failing_rows(session, statement, params=None, timeout_s=None):
        if isinstance(statement, BatchStatement) and len(statement) > 1:  # the rows' batch: it may land later
            raise cassandra.StoreUnavailable("Cassandra did not answer")
        return await real_execute(session, statement, params, timeout_s)

    monkeypatch.setattr(cassandra, "execute", failing_rows)
    with pytest.raises(cassandra.StoreUnavailable):
        await log.append("s", posted(2))
    monkeypatch.undo()

    async def answering() -> bool:
        return not log.breaker.open

    await until(answering, timeout_s=10)
    assert await log.head("s") == 1  # a reader on this process sees the head again
    await lapsed(log, "s")
    with requests(cassandra_session, cassandra_keyspace) as sent:
        assert (await log.append("s", posted(3))).event.seq == 2
    assert sent["statement"] == 4  # the lease row read, the conditional write, the head read, the fence


async def test_leases_taken_together_are_renewed_apart(logs):
    """Idle streams woken by one burst take their leases at once. Each renewal is a Paxos
    round, so they must not all be renewed in the same moment, every half length after."""
    log = logs(SHORT)
    streams = [f"s{n}" for n in range(24)]
    renewed_at: dict[str, float] = {}
    real_renew = log.leases.renew

    async def renew(stream, lease) -> bool:
        renewed_at.setdefault(stream, time.monotonic())
        return await real_renew(stream, lease)

    async def all_renewed() -> bool:
        return len(renewed_at) == len(streams)

    log.leases.renew = renew
    await asyncio.gather(*(log.append(stream, posted(1)) for stream in streams))
    await until(all_renewed, timeout_s=10)
    moments = sorted(renewed_at.values())
    together = max(sum(1 for t in moments if first <= t < first + 0.02) for first in moments)
    assert together <= len(streams) // 2, moments
