"""What posts into many channels at once cost Cassandra: a few requests for all of them
(the turn's key read, marks, and log rows with the messages' rows; the marks cleared ride
with the next turn's writes), not a few each."""

import asyncio

from parley_chat.streams_cassandra import CassandraStreams, create_schema
from parley_storage import cassandra
from parley_storage.leases import LeaseTerms
from parley_testkit.cassandra_requests import requests

from .test_streams_conformance import posted

CHANNELS = range(1, 21)


async def test_posts_into_many_channels_in_one_turn_take_a_few_requests(
    cassandra_session, cassandra_keyspace, monkeypatch
):
    create_schema(cassandra_session, cassandra_keyspace)
    # Leases long enough that none is renewed inside the counted turn, however slow the host.
    streams = CassandraStreams(cassandra_session, cassandra_keyspace, LeaseTerms(length_s=60.0))
    monkeypatch.setattr(cassandra, "LAZY_WRITE_S", 60)  # the unmarks wait for the next turn, however slow the test

    async def post(channel_id: int, message_id: int) -> None:
        appended = await streams.append(channel_id, posted(channel_id, message_id), key=f"k{message_id}")
        await streams.settle(appended.event)
        await streams.mark_published(channel_id, appended.event.seq)

    await asyncio.gather(*(post(channel, channel) for channel in CHANNELS))  # the leases taken
    with requests(cassandra_session, cassandra_keyspace) as sent:
        await asyncio.gather(*(post(channel, 100 + channel) for channel in CHANNELS))
    # The key read; the marks, with the earlier posts' unmarks; the log rows with the messages' rows.
    assert sent == {"statement": 1, "batch": 2}
    assert [m.id for m in await streams.history(7, None, None, 10)] == [7, 107]
    assert (await streams.message_by_id(107)).seq == 2
