"""Cassandra adapter of the stream port: production. The event log is
`parley_storage`'s; this adds the message projection, bucketed like the events so no
partition grows without limit."""

from cassandra.cluster import Session
from pydantic import TypeAdapter

from parley_contracts.chat import ChannelEvent, ChannelMessage, MessagePosted
from parley_storage.buckets import BucketedRows, bucket_of
from parley_storage.cassandra import create_tables, execute, execute_together
from parley_storage.event_log_cassandra import CassandraEventStore, event_log_tables

from . import projection
from .codec import dump_message, load_message

PROJECTION_TABLES = [
    """CREATE TABLE IF NOT EXISTS messages (
        channel_id bigint, bucket int, seq bigint, body text, PRIMARY KEY ((channel_id, bucket), seq))""",
    """CREATE TABLE IF NOT EXISTS message_seqs (
        channel_id bigint, message_id bigint, seq bigint, PRIMARY KEY ((channel_id, message_id)))""",
]


def create_schema(session: Session, keyspace: str) -> None:
    create_tables(session, keyspace, [*event_log_tables("channel"), *PROJECTION_TABLES])


class CassandraStreams(CassandraEventStore[ChannelEvent]):
    def __init__(self, session: Session, keyspace: str):
        super().__init__(session, keyspace, "channel", TypeAdapter(ChannelEvent))
        prepare = self._prepare
        self._message_seq = prepare("SELECT seq FROM message_seqs WHERE channel_id = ? AND message_id = ?")
        self._index_message = prepare("INSERT INTO message_seqs (channel_id, message_id, seq) VALUES (?, ?, ?)")
        self._message_at = prepare("SELECT body FROM messages WHERE channel_id = ? AND bucket = ? AND seq = ?")
        self._write_message = prepare(
            "INSERT INTO messages (channel_id, bucket, seq, body) VALUES (?, ?, ?, ?) USING TIMESTAMP ?"
        )
        self._messages = BucketedRows(session, keyspace, "messages", "channel_id")

    async def settle(self, event: ChannelEvent) -> None:
        message_id = projection.message_id_of(event)
        if message_id is None:
            return
        if isinstance(event, MessagePosted):
            # A new message needs no read: its row's write timestamp (below) keeps a later edit's row.
            index = (self._index_message, (event.channel_id, message_id, event.seq))
            await execute_together(self._session, [index, self._write(event.message, event.seq)])
            return
        rows = await execute(self._session, self._message_seq, (event.channel_id, message_id))
        if not rows:
            return
        updated = projection.apply(await self._message_row(event.channel_id, rows[0].seq), event)
        if updated is not None:
            await execute(self._session, *self._write(updated, event.seq))

    def _write(self, message: ChannelMessage, event_seq: int) -> tuple:
        """The message's row, with the event's seq as write timestamp: a late, older event
        never overwrites a newer one."""
        params = (message.channel_id, bucket_of(message.seq), message.seq, dump_message(message), event_seq)
        return self._write_message, params

    async def _message_row(self, channel_id: int, seq: int) -> ChannelMessage | None:
        rows = await execute(self._session, self._message_at, (channel_id, bucket_of(seq), seq))
        return load_message(rows[0].body) if rows else None

    async def message(self, channel_id: int, message_id: int) -> ChannelMessage | None:
        rows = await execute(self._session, self._message_seq, (channel_id, message_id))
        return await self._message_row(channel_id, rows[0].seq) if rows else None

    async def history(
        self, channel_id: int, before_seq: int | None, after_seq: int | None, limit: int
    ) -> list[ChannelMessage]:
        rows = await self._messages.page(channel_id, await self.head(channel_id), before_seq, after_seq, limit)
        return [load_message(row.body) for row in rows]
