"""The Cassandra log asks together what its streams ask within one loop turn: the appends
of many streams take a few requests, not a few each; a batch too big for Cassandra is cut;
and a stream whose lease ran out while the turn's batch was in flight is not acknowledged,
while the others in it are. Real Cassandra."""

import asyncio

import pytest
from cassandra.query import BatchStatement

from parley_contracts import chat
from parley_storage import cassandra, event_log_cassandra
from parley_storage.leases import LeaseLost
from parley_testkit.cassandra_requests import requests
from parley_testkit.waiting import until

from .test_event_log_cassandra_leases import LONG, SHORT, pause, posted

STREAMS = [f"s{n}" for n in range(20)]


async def test_the_appends_of_many_streams_in_one_turn_take_a_few_requests(
    logs, cassandra_session, cassandra_keyspace, monkeypatch
):
    log = logs(LONG)
    monkeypatch.setattr(cassandra, "LAZY_WRITE_S", 60)  # the clears wait for the next turn, however slow the test

    async def post(seq: int, stream: str) -> int:
        appended = await log.append(stream, posted(seq), key=f"{stream}-{seq}")
        await log.mark_published(stream, appended.event.seq)
        return appended.event.seq

    await asyncio.gather(*(post(1, stream) for stream in STREAMS))  # leases held
    await log.together.flush()

    def marked() -> set[int]:
        return {row.seq for row in cassandra_session.execute(f"SELECT seq FROM {cassandra_keyspace}.t_outbox_marks")}

    for seq in (2, 3):
        with requests(cassandra_session, cassandra_keyspace) as sent:
            assert await asyncio.gather(*(post(seq, stream) for stream in STREAMS)) == [seq] * len(STREAMS)
        # One read of the turn's keys, one batch of its outbox marks, one of its rows; the
        # marks cleared after ride with the next turn's marks.
        assert sent == {"statement": 1, "batch": 2}
        assert marked() == {seq}
    monkeypatch.undo()
    await asyncio.gather(*(post(4, stream) for stream in STREAMS))

    async def cleared() -> bool:
        return not marked()

    await until(cleared, timeout_s=5)  # with no turn to ride with, they go alone
    assert [event.seq for event in await logs(LONG).events("s7", 0, 10)] == [1, 2, 3, 4]


async def test_a_turn_too_big_for_one_batch_goes_out_in_several(logs, cassandra_session, cassandra_keyspace):
    log = logs(LONG)
    await asyncio.gather(*(log.append(stream, posted(1)) for stream in STREAMS))
    big = "x" * 4000  # 20 streams of it: past Cassandra's 50 KiB limit on one batch

    def big_post(seq: int) -> chat.MessagePosted:
        event = posted(2)(seq)
        return event.model_copy(update={"message": event.message.model_copy(update={"content": big})})

    with requests(cassandra_session, cassandra_keyspace) as sent:
        appended = await asyncio.gather(*(log.append(stream, big_post) for stream in STREAMS))
    assert [a.event.seq for a in appended] == [2] * len(STREAMS)
    assert 3 <= sent["batch"] <= 8  # the marks, and the rows cut in a few batches
    assert (await logs(LONG).events("s3", 1, 10))[0].message.content == big


async def test_a_stream_whose_lease_ran_out_during_the_turns_batch_is_not_acknowledged(logs, monkeypatch):
    log = logs(SHORT)
    await asyncio.gather(log.append("a", posted(1)), log.append("b", posted(1)))
    real_execute = cassandra.execute
    delayed = {"left": 1}

    async def slow_execute(session, statement, params=None):
        rows = await real_execute(session, statement, params)
        streams = {bytes(part[2][0]).decode() for part in getattr(statement, "_statements_and_parameters", [])
                   if part[1] == log._write_event.query_id}  # fmt: skip
        if delayed["left"] and streams == {"a", "b"}:  # both streams' rows in one batch
            delayed["left"] -= 1
            pause(log)  # no renewals but the one below
            b, a = log.leases.held["b"], log.leases.held["a"]
            assert await log.leases.renew("b", b)  # b's holder renewed in time, a's did not
            assert a.deadline < b.deadline
            # The answer comes when a's lease has run out, b's not.
            monkeypatch.setattr(event_log_cassandra, "now_us", lambda: a.deadline)
        return rows

    monkeypatch.setattr(cassandra, "execute", slow_execute)
    late, in_time = await asyncio.gather(
        log.append("a", posted(2), key="a-2"), log.append("b", posted(2), key="b-2"), return_exceptions=True
    )
    monkeypatch.undo()
    assert delayed["left"] == 0
    assert isinstance(late, LeaseLost)
    assert not isinstance(in_time, BaseException) and in_time.event.seq == 2
    # a's write did land: its client's retry finds it, and the stream goes on after it.
    retried = await log.append("a", posted(3), key="a-2")
    assert retried.duplicate and retried.event.seq == 2
    assert (await log.append("a", posted(4))).event.seq == 3


@pytest.mark.parametrize("size", [1, 5])
def test_in_reads_cut_where_the_product_of_the_lists_grows_too_big(size):
    asks = [(f"s{n}", list(range(n * size, (n + 1) * size))) for n in range(300)]
    reads = cassandra.in_reads(asks, lambda ask: ([ask[0]], [0, 1], ask[1]))
    assert [ask for read, _ in reads for ask in read] == asks
    for read, (streams, buckets, positions) in reads:
        assert len(streams) * len(buckets) * len(positions) <= cassandra.IN_PRODUCT
        assert set(streams) == {ask[0] for ask in read} and buckets == [0, 1]
    assert len(reads) < len(asks) / 5


async def test_the_marks_go_out_with_the_key_read_and_a_seq_a_duplicate_left_unused_keeps_none(
    logs, cassandra_session, cassandra_keyspace, monkeypatch
):
    log = logs(LONG)
    await log.append("s", posted(1), key="k1")
    await log.mark_published("s", 1)
    real_execute, order = cassandra.execute, []

    async def ordered_execute(session, statement, params=None, timeout_s=None):
        kind = "batch" if isinstance(statement, BatchStatement) else "read"
        order.append(f"{kind} sent")
        rows = await real_execute(session, statement, params, timeout_s)
        order.append(f"{kind} answered")
        return rows

    monkeypatch.setattr(cassandra, "execute", ordered_execute)
    monkeypatch.setattr(event_log_cassandra, "execute", ordered_execute)
    first, second = await asyncio.gather(log.append("s", posted(2), key="k1"), log.append("s", posted(3), key="k2"))
    assert (first.duplicate, first.event.seq, second.event.seq) == (True, 1, 2)
    # The key read and the marks of seqs 2 and 3 at once; then the rows (clearing 3's mark),
    # and the original event read for the duplicate.
    assert sorted(order[:2]) == ["batch sent", "read sent"] and order.count("batch sent") == 2, order
    monkeypatch.undo()

    alone = await log.append("s", posted(4), key="k2")  # every append of the batch a duplicate
    assert (alone.duplicate, alone.event.seq) == (True, 2)

    async def only_the_event_to_publish_is_marked() -> bool:
        marks = await cassandra.execute(
            cassandra_session, f"SELECT stream, seq FROM {cassandra_keyspace}.t_outbox_marks"
        )
        return [row.seq for row in marks if row.stream == "s"] == [2]

    await until(only_the_event_to_publish_is_marked, timeout_s=5)  # the duplicate is answered first
