"""A keyspace written before the message index: its messages are still found, and
changed, by channel and id."""

from parley_chat.codec import dump_message
from parley_contracts import chat
from parley_runtime.clock import now
from parley_storage.buckets import bucket_of


async def test_a_message_posted_before_the_index_is_found_by_its_channel(cassandra_streams, cassandra_session,
                                                                         cassandra_keyspace):  # fmt: skip
    old = chat.ChannelMessage(id=5, channel_id=3, author_id=1, content="from before", seq=1, created_at=now())
    session, ks = cassandra_session, cassandra_keyspace
    session.execute(f"INSERT INTO {ks}.message_seqs (channel_id, message_id, seq) VALUES (3, 5, 1)")
    insert = f"INSERT INTO {ks}.messages (channel_id, bucket, seq, body) VALUES (3, %s, 1, %s) USING TIMESTAMP 1"
    session.execute(insert, (bucket_of(1), dump_message(old)))
    assert (await cassandra_streams.message(3, 5)).content == "from before"
    assert await cassandra_streams.message(4, 5) is None
    edit = chat.MessageEdited(channel_id=3, seq=2, occurred_at=now(), message_id=5, content="now", edited_at=now())
    await cassandra_streams.settle(edit)
    assert (await cassandra_streams.message(3, 5)).content == "now"
