"""Cassandra adapter of the stream port: production. The event log is
`parley_storage`'s; this adds the message projection, bucketed like the events so no
partition grows without limit.

Every projection write carries its event's seq as write timestamp, so a late, older
event never overwrites a newer one and settling twice changes nothing. Reactions are
cells of a map on the message's row (`user:emoji` -> seq) and pins rows of their own,
each written alone: their events commute, and no read-modify-write can lose one."""

from typing import Any

from cassandra.cluster import Session
from pydantic import TypeAdapter

from parley_contracts import chat
from parley_contracts.chat import ChannelEvent, ChannelMessage, MessagePosted
from parley_storage.buckets import BucketedRows, bucket_of
from parley_storage.cassandra import create_tables, execute, execute_together
from parley_storage.event_log_cassandra import CassandraEventStore, event_log_tables

from . import projection
from .codec import dump_message, load_message

PROJECTION_TABLES = [
    """CREATE TABLE IF NOT EXISTS messages (
        channel_id bigint, bucket int, seq bigint, body text, reactions map<text, bigint>,
        PRIMARY KEY ((channel_id, bucket), seq))""",
    "ALTER TABLE messages ADD IF NOT EXISTS reactions map<text, bigint>",  # a table made before reactions
    """CREATE TABLE IF NOT EXISTS message_index (
        message_id bigint PRIMARY KEY, channel_id bigint, seq bigint)""",
    # Before the index: messages by (channel, id), read only for a message posted then.
    """CREATE TABLE IF NOT EXISTS message_seqs (
        channel_id bigint, message_id bigint, seq bigint, PRIMARY KEY ((channel_id, message_id)))""",
    """CREATE TABLE IF NOT EXISTS pins (
        channel_id bigint, message_id bigint, pin_seq bigint, PRIMARY KEY (channel_id, message_id))""",
]
"""`message_index` finds a message by its id alone (ids are unique across channels); a
message posted before it existed is found in `message_seqs` when its channel is named."""


def create_schema(session: Session, keyspace: str) -> None:
    create_tables(session, keyspace, [*event_log_tables("channel"), *PROJECTION_TABLES])


class CassandraStreams(CassandraEventStore[ChannelEvent]):
    def __init__(self, session: Session, keyspace: str):
        super().__init__(session, keyspace, "channel", TypeAdapter(ChannelEvent))
        prepare = self._prepare
        self._locate = prepare("SELECT channel_id, seq FROM message_index WHERE message_id = ?")
        self._seq_before_index = prepare("SELECT seq FROM message_seqs WHERE channel_id = ? AND message_id = ?")
        self._index_message = prepare("INSERT INTO message_index (message_id, channel_id, seq) VALUES (?, ?, ?)")
        self._message_at = prepare(
            "SELECT body, reactions FROM messages WHERE channel_id = ? AND bucket = ? AND seq = ?"
        )
        self._write_message = prepare(
            "INSERT INTO messages (channel_id, bucket, seq, body) VALUES (?, ?, ?, ?) USING TIMESTAMP ?"
        )
        where_message = "WHERE channel_id = ? AND bucket = ? AND seq = ?"
        self._add_reaction = prepare(f"UPDATE messages USING TIMESTAMP ? SET reactions[?] = ? {where_message}")
        self._remove_reaction = prepare(f"DELETE reactions[?] FROM messages USING TIMESTAMP ? {where_message}")
        self._pin = prepare("INSERT INTO pins (channel_id, message_id, pin_seq) VALUES (?, ?, ?) USING TIMESTAMP ?")
        self._unpin = prepare("DELETE FROM pins USING TIMESTAMP ? WHERE channel_id = ? AND message_id = ?")
        self._pins_of = prepare("SELECT message_id, pin_seq FROM pins WHERE channel_id = ?")
        self._messages = BucketedRows(session, keyspace, "messages", "channel_id", columns="body, reactions")

    async def settle(self, event: ChannelEvent) -> None:
        match event:
            case chat.ReactionAdded() | chat.ReactionRemoved():
                await self._settle_reaction(event)
                return
            case chat.MessagePinned():
                params = (event.channel_id, event.message_id, event.seq, event.seq)
                await execute(self._session, self._pin, params)
                return
            case chat.MessageUnpinned():
                await execute(self._session, self._unpin, (event.seq, event.channel_id, event.message_id))
                return
        message_id = projection.message_id_of(event)
        if message_id is None:
            return
        if isinstance(event, MessagePosted):
            # A new message needs no read: its row's write timestamp (below) keeps a later edit's row.
            index = (self._index_message, (message_id, event.channel_id, event.seq))
            await execute_together(self._session, [index, self._write(event.message, event.seq)])
            return
        seq = await self._seq_of(event.channel_id, message_id)
        if seq is None:
            return
        rows = await execute(self._session, self._message_at, (event.channel_id, bucket_of(seq), seq))
        updated = projection.apply(load_message(rows[0].body) if rows and rows[0].body else None, event)
        if updated is not None:
            await execute(self._session, *self._write(updated, event.seq))

    async def _settle_reaction(self, event: chat.ReactionAdded | chat.ReactionRemoved) -> None:
        seq = await self._seq_of(event.channel_id, event.message_id)
        if seq is None:
            return
        key = projection.reaction_key(event.user_id, event.emoji)
        where = (event.channel_id, bucket_of(seq), seq)
        if isinstance(event, chat.ReactionAdded):
            await execute(self._session, self._add_reaction, (event.seq, key, event.seq, *where))
        else:
            await execute(self._session, self._remove_reaction, (key, event.seq, *where))

    def _write(self, message: ChannelMessage, event_seq: int) -> tuple:
        """The message's row, with the event's seq as write timestamp: a late, older event
        never overwrites a newer one."""
        params = (message.channel_id, bucket_of(message.seq), message.seq, dump_message(message), event_seq)
        return self._write_message, params

    async def _located(self, message_id: int) -> tuple[int, int] | None:
        """The message's channel and seq."""
        rows = await execute(self._session, self._locate, (message_id,))
        return (rows[0].channel_id, rows[0].seq) if rows else None

    async def _seq_of(self, channel_id: int, message_id: int) -> int | None:
        located = await self._located(message_id)
        if located is not None:
            return located[1] if located[0] == channel_id else None
        rows = await execute(self._session, self._seq_before_index, (channel_id, message_id))
        return rows[0].seq if rows else None

    async def _message_row(self, channel_id: int, seq: int) -> ChannelMessage | None:
        rows = await execute(self._session, self._message_at, (channel_id, bucket_of(seq), seq))
        return _shown(rows[0]) if rows and rows[0].body else None

    async def message(self, channel_id: int, message_id: int) -> ChannelMessage | None:
        seq = await self._seq_of(channel_id, message_id)
        return await self._message_row(channel_id, seq) if seq is not None else None

    async def message_by_id(self, message_id: int) -> ChannelMessage | None:
        located = await self._located(message_id)
        return await self._message_row(*located) if located is not None else None

    async def history(
        self, channel_id: int, before_seq: int | None, after_seq: int | None, limit: int
    ) -> list[ChannelMessage]:
        rows = await self._messages.page(channel_id, await self.head(channel_id), before_seq, after_seq, limit)
        return [_shown(row) for row in rows if row.body]

    async def pinned(self, channel_id: int) -> list[ChannelMessage]:
        pins = sorted(await execute(self._session, self._pins_of, (channel_id,)), key=lambda row: row.pin_seq)
        found = [await self.message(channel_id, row.message_id) for row in pins]
        return [message for message in found if message is not None and not message.deleted]


def _shown(row: Any) -> ChannelMessage:
    cells = [projection.reaction_cell(key, seq) for key, seq in (row.reactions or {}).items()]
    return projection.with_reactions(load_message(row.body), cells)
