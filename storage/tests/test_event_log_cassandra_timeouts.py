"""A conditional batch that times out has an unknown outcome; the Cassandra event log
must find out instead of failing or leaving a gap. Real Cassandra, injected timeouts."""

import pytest
from cassandra import WriteTimeout, WriteType
from pydantic import TypeAdapter

from parley_contracts import chat
from parley_runtime.clock import now
from parley_storage import event_log_cassandra
from parley_storage.cassandra import qualified
from parley_storage.event_log_cassandra import CassandraEventLog, event_log_tables


def posted(seq: int) -> chat.MessagePosted:
    message = chat.ChannelMessage(id=seq, channel_id=7, author_id=1, content=f"m{seq}", seq=seq, created_at=now())
    return chat.MessagePosted(channel_id=7, seq=seq, occurred_at=now(), message=message)


@pytest.fixture
def log(cassandra_session, cassandra_keyspace):
    for statement in event_log_tables("t"):
        cassandra_session.execute(qualified(cassandra_keyspace)(statement))
    return CassandraEventLog(cassandra_session, cassandra_keyspace, "t", TypeAdapter(chat.ChannelEvent))


@pytest.mark.parametrize("applied_before_timeout", [True, False])
async def test_a_timed_out_commit_is_resolved_by_reading_back(log, monkeypatch, applied_before_timeout):
    real_execute = event_log_cassandra.execute
    timeouts = {"left": 1}

    def is_commit(statement) -> bool:
        conditions = {log._open_bucket.query_id, log._advance.query_id}
        return any(part[1] in conditions for part in getattr(statement, "_statements_and_parameters", []))

    async def flaky_execute(session, statement, params=None):
        if is_commit(statement) and timeouts["left"]:
            timeouts["left"] -= 1
            if applied_before_timeout:
                await real_execute(session, statement, params)
            raise WriteTimeout("CAS operation timed out", write_type=WriteType.CAS)
        return await real_execute(session, statement, params)

    monkeypatch.setattr(event_log_cassandra, "execute", flaky_execute)
    first = await log.append("s", posted)
    second = await log.append("s", posted)
    assert timeouts["left"] == 0
    assert (first.event.seq, second.event.seq) == (1, 2)
    assert [e.seq for e in await log.events("s", 0, 10)] == [1, 2]
