"""On Cassandra a new message's row goes out with its log rows, and what a write that
failed halfway leaves in the projection never shows. Real Cassandra."""

import pytest
from cassandra import InvalidRequest

from parley_storage import cassandra
from parley_storage.buckets import bucket_of
from parley_storage.event_log_cassandra import TERM_BITS, projection_stamp
from parley_testkit.cassandra_requests import requests

from .test_streams_conformance import edited, posted

PROJECTION = ("messages", "message_index")
TERMS = 1 << TERM_BITS


async def test_a_post_is_projected_with_its_log_rows(cassandra_streams, cassandra_session, cassandra_keyspace):
    streams = cassandra_streams
    await streams.settle((await streams.append(1, posted(1, 1), key="k1")).event)  # the lease taken
    with requests(cassandra_session, cassandra_keyspace) as sent:
        appended = await streams.append(1, posted(1, 2), key="k2")
    # The key read beside the marks, then one batch: the log rows and the message's row.
    assert sent == {"statement": 1, "batch": 2}
    assert [m.id for m in await streams.history(1, None, None, 10)] == [1, 2]
    with requests(cassandra_session, cassandra_keyspace) as sent:
        await streams.settle(appended.event)
    assert sent == {}  # settled already


async def test_a_row_left_by_a_write_that_failed_halfway_loses_to_the_message_that_takes_its_seq(
    cassandra_streams, cassandra_session, cassandra_keyspace, monkeypatch
):
    streams = cassandra_streams
    await streams.settle((await streams.append(1, posted(1, 1), key="k1")).event)
    real = cassandra.execute_together

    async def halfway(session, statements):
        """A batch with log rows: only the projection's rows apply, and it fails."""
        if not any("channel_log" in statement.query_string for statement, _ in statements):
            return await real(session, statements)
        await real(session, [(s, p) for s, p in statements if any(f".{t} (" in s.query_string for t in PROJECTION)])
        raise InvalidRequest("the batch failed halfway")

    monkeypatch.setattr(cassandra, "execute_together", halfway)
    # Message 9 at seq 2: its row lands, its log rows do not, and its client hears a failure.
    with pytest.raises(InvalidRequest):
        await streams.append(1, posted(1, 9), key="k9")
    monkeypatch.undo()
    rows = cassandra_session.execute(
        f"SELECT body FROM {cassandra_keyspace}.messages WHERE channel_id = 1 AND bucket = %s AND seq = 2",
        (bucket_of(2),),
    )
    assert '"id":9' in rows.one().body  # the row a reader must never see
    assert [m.id for m in await streams.history(1, None, None, 10)] == [1]  # past the head

    # The retry is another message at seq 2, written under a new lease term: its row wins.
    # (Its body is smaller than message 9's, so it would lose a tie of timestamps.)
    await streams.settle((await streams.append(1, posted(1, 3), key="k3")).event)
    assert [m.id for m in await streams.history(1, None, None, 10)] == [1, 3]
    assert await streams.message_by_id(9) is None and await streams.message(1, 9) is None
    assert (await streams.message_by_id(3)).seq == 2


async def test_settling_a_post_again_writes_a_lost_row_and_keeps_an_edit(
    cassandra_streams, cassandra_session, cassandra_keyspace
):
    streams = cassandra_streams
    first = await streams.append(1, posted(1, 1), key="k1")
    second = await streams.append(1, posted(1, 2), key="k2")
    await streams.settle(first.event)
    await streams.settle(second.event)
    await streams.settle((await streams.append(1, edited(1, 1, "edited"))).event)
    # Message 2's row is lost: a tombstone above any row written with log rows, below settle's.
    lost = projection_stamp(2, TERMS - 1)
    where = "WHERE channel_id = 1 AND bucket = 0 AND seq = 2"
    cassandra_session.execute(f"DELETE FROM {cassandra_keyspace}.messages USING TIMESTAMP {lost} {where}")
    assert [m.id for m in await streams.history(1, None, None, 10)] == [1]

    # The clients' retries find their posts; settling them again (as the relay does) ...
    for message_id in (1, 2):
        again = await streams.append(1, posted(1, message_id), key=f"k{message_id}")
        assert again.duplicate
        await streams.settle(again.event)
    # ... writes back the row that was lost, and leaves the edited one as it is.
    assert [(m.id, m.content) for m in await streams.history(1, None, None, 10)] == [(1, "edited"), (2, "hi")]
