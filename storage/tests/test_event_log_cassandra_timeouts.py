"""A conditional write of a stream's lease that times out has an unknown outcome; the
Cassandra event log must find out instead of failing or holding a lease it believes
lost. Real Cassandra, injected timeouts."""

import pytest
from cassandra import WriteTimeout, WriteType
from pydantic import TypeAdapter

from parley_contracts import chat
from parley_runtime.clock import now
from parley_storage import leases
from parley_storage.cassandra import qualified
from parley_storage.event_log_cassandra import CassandraEventLog, event_log_tables


def posted(seq: int) -> chat.MessagePosted:
    message = chat.ChannelMessage(id=seq, channel_id=7, author_id=1, content=f"m{seq}", seq=seq, created_at=now())
    return chat.MessagePosted(channel_id=7, seq=seq, occurred_at=now(), message=message)


@pytest.fixture
async def log(cassandra_session, cassandra_keyspace):
    for statement in event_log_tables("t"):
        cassandra_session.execute(qualified(cassandra_keyspace)(statement))
    made = CassandraEventLog(cassandra_session, cassandra_keyspace, "t", TypeAdapter(chat.ChannelEvent))
    yield made
    await made.close()


@pytest.mark.parametrize("applied_before_timeout", [True, False])
async def test_a_timed_out_lease_take_is_resolved_by_reading_back(
    log, monkeypatch, applied_before_timeout, cassandra_session, cassandra_keyspace
):
    real_execute = leases.execute
    timeouts = {"left": 1}
    conditional = {log.leases._create.query_id, log.leases._move.query_id}

    async def flaky_execute(session, statement, params=None):
        if getattr(statement, "query_id", None) in conditional and timeouts["left"]:
            timeouts["left"] -= 1
            if applied_before_timeout:
                await real_execute(session, statement, params)
            raise WriteTimeout("CAS operation timed out", write_type=WriteType.CAS)
        return await real_execute(session, statement, params)

    monkeypatch.setattr(leases, "execute", flaky_execute)
    first = await log.append("s", posted)
    second = await log.append("s", posted)
    assert timeouts["left"] == 0
    assert (first.event.seq, second.event.seq) == (1, 2)
    assert [e.seq for e in await log.events("s", 0, 10)] == [1, 2]
    [row] = cassandra_session.execute(f"SELECT owner, term FROM {cassandra_keyspace}.t_lease WHERE stream = 's'")
    assert (row.owner, row.term) == (log.leases.me, log.leases.held["s"].term)
