"""Fixtures of the Cassandra event log's tests."""

import pytest
from pydantic import TypeAdapter

from parley_contracts import chat
from parley_storage.cassandra import qualified
from parley_storage.event_log_cassandra import CassandraEventLog, event_log_tables
from parley_storage.leases import LeaseTerms


@pytest.fixture
async def logs(cassandra_session, cassandra_keyspace):
    """Makes logs on one keyspace, as separate processes would have them; closes them after."""
    for statement in event_log_tables("t"):
        cassandra_session.execute(qualified(cassandra_keyspace)(statement))
    made: list[CassandraEventLog] = []

    def make(terms: LeaseTerms) -> CassandraEventLog:
        made.append(CassandraEventLog(cassandra_session, cassandra_keyspace, "t", TypeAdapter(chat.ChannelEvent),
                                      terms=terms))  # fmt: skip
        return made[-1]

    yield make
    for log in made:
        await log.close()
