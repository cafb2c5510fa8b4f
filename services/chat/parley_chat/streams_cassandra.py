"""Cassandra adapter of the stream port: production. The event log is
`parley_storage`'s; this adds the message projection, bucketed like the events so no
partition grows without limit, with the members' read positions and each thread's
replies and figures beside it.

Every projection write carries a write timestamp that grows with its event's seq, so a
late, older event never overwrites a newer one and settling twice changes nothing: a
message's row its event's `projection_stamp`, the rest the seq itself. A new message's
row and index entry go out with its log rows (`_projected_with_log`), a round trip less
per post. Reactions are cells of a map on the message's row (`user:emoji` -> seq) and
pins rows of their own, each written alone: their events commute, and no
read-modify-write can lose one."""

import asyncio
from datetime import UTC
from typing import Any

from cassandra.cluster import Session
from pydantic import TypeAdapter

from parley_contracts import chat
from parley_contracts.chat import ChannelEvent, ChannelMessage, MessagePosted
from parley_storage.buckets import BucketedRows, bucket_of
from parley_storage.cassandra import Write, create_tables, execute
from parley_storage.event_log_cassandra import CassandraEventStore, event_log_tables, projection_stamp
from parley_storage.leases import DEFAULT_TERMS, LeaseTerms

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
    # A member's read position; written with the message's seq as write timestamp, so the furthest wins.
    """CREATE TABLE IF NOT EXISTS read_positions (
        channel_id bigint, user_id bigint, seq bigint, PRIMARY KEY ((channel_id, user_id)))""",
    # One partition per thread: the replies to one message.
    """CREATE TABLE IF NOT EXISTS thread_replies (
        channel_id bigint, parent_id bigint, seq bigint, created_at timestamp,
        PRIMARY KEY ((channel_id, parent_id), seq))""",
    # A thread's figures beside its parent's row, bucketed like it (keyed by the parent's seq).
    """CREATE TABLE IF NOT EXISTS message_threads (
        channel_id bigint, bucket int, seq bigint, reply_count bigint, last_reply_at timestamp,
        PRIMARY KEY ((channel_id, bucket), seq))""",
]
"""`message_index` finds a message by its id alone (ids are unique across channels); a
message posted before it existed is found in `message_seqs` when its channel is named."""


def create_schema(session: Session, keyspace: str) -> None:
    create_tables(session, keyspace, [*event_log_tables("channel"), *PROJECTION_TABLES])


class CassandraStreams(CassandraEventStore[ChannelEvent]):
    def __init__(self, session: Session, keyspace: str, terms: LeaseTerms = DEFAULT_TERMS):
        super().__init__(session, keyspace, "channel", TypeAdapter(ChannelEvent), terms)
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
        self._read_position = prepare("SELECT seq FROM read_positions WHERE channel_id = ? AND user_id = ?")
        self._move_read_position = prepare(
            "UPDATE read_positions USING TIMESTAMP ? SET seq = ? WHERE channel_id = ? AND user_id = ?"
        )
        self._add_reply = prepare(
            "INSERT INTO thread_replies (channel_id, parent_id, seq, created_at) VALUES (?, ?, ?, ?)"
        )
        self._reply_count = prepare("SELECT COUNT(*) AS n FROM thread_replies WHERE channel_id = ? AND parent_id = ?")
        self._last_reply = prepare(
            "SELECT seq, created_at FROM thread_replies WHERE channel_id = ? AND parent_id = ?"
            " ORDER BY seq DESC LIMIT 1"
        )
        self._replies = prepare(
            "SELECT seq FROM thread_replies WHERE channel_id = ? AND parent_id = ? AND seq > ? ORDER BY seq LIMIT ?"
        )
        self._write_thread = prepare(
            "UPDATE message_threads USING TIMESTAMP ? SET reply_count = ?, last_reply_at = ?"
            " WHERE channel_id = ? AND bucket = ? AND seq = ?"
        )
        self._threads = prepare(
            "SELECT seq, reply_count, last_reply_at FROM message_threads"
            " WHERE channel_id = ? AND bucket = ? AND seq >= ? AND seq <= ?"
        )

    async def settle(self, event: ChannelEvent) -> None:
        match event:
            case chat.MessageRead():
                await self._settle_read(event)
                return
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
            if not self._log.projected(event.channel_id, event.seq):
                await self._settle_post(event)
            if event.message.reply_to is not None:
                await self._settle_reply(event.message)
            return
        seq = await self._seq_of(event.channel_id, message_id)
        if seq is None:
            return
        rows = await execute(self._session, self._message_at, (event.channel_id, bucket_of(seq), seq))
        updated = projection.apply(load_message(rows[0].body) if rows and rows[0].body else None, event)
        if updated is not None:
            await execute(self._session, *self._write(updated, projection_stamp(event.seq)))

    def _projected_with_log(self, event: ChannelEvent, term: int) -> list[Write]:
        """A new message's row and index entry, which need no read: they go out with its
        log rows, at its lease's term (`projection_stamp`)."""
        if not isinstance(event, MessagePosted):
            return []
        message = event.message
        return [self._index(message), self._write(message, projection_stamp(event.seq, term))]

    async def _settle_post(self, event: MessagePosted) -> None:
        """A new message's row, when it did not go out with its log rows: unless the row
        holds it already (a later edit's row is kept), written over whatever a write that
        failed halfway left at its seq."""
        message = event.message
        row = await self._message_row(message.channel_id, message.seq)
        if row is None or row.id != message.id:
            await self._together.write([self._index(message), self._write(message, projection_stamp(event.seq))])

    def _index(self, message: ChannelMessage) -> Write:
        return self._index_message, (message.id, message.channel_id, message.seq)

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

    async def _settle_read(self, event: chat.MessageRead) -> None:
        seq = await self._seq_of(event.channel_id, event.message_id)
        if seq is not None:
            await execute(self._session, self._move_read_position, (seq, seq, event.channel_id, event.user_id))

    async def read_position(self, channel_id: int, user_id: int) -> int:
        rows = await execute(self._session, self._read_position, (channel_id, user_id))
        return int(rows[0].seq) if rows else 0

    async def _settle_reply(self, reply: ChannelMessage) -> None:
        """Counts the thread again after adding the reply, and writes the figures with the
        newest reply's seq as write timestamp. Whoever adds a thread's newest reply counts
        after every earlier one is in, so its figures win (Cassandra keeps the larger value
        on a timestamp tie), however settles of the same thread interleave or repeat."""
        channel_id, parent_id = reply.channel_id, reply.reply_to
        assert parent_id is not None  # only replies are settled here
        parent_seq = await self._seq_of(channel_id, parent_id)
        if parent_seq is None:
            return
        await execute(self._session, self._add_reply, (channel_id, parent_id, reply.seq, reply.created_at))
        [count] = await execute(self._session, self._reply_count, (channel_id, parent_id))
        [last] = await execute(self._session, self._last_reply, (channel_id, parent_id))
        params = (last.seq, count.n, last.created_at, channel_id, bucket_of(parent_seq), parent_seq)
        await execute(self._session, self._write_thread, params)

    def _write(self, message: ChannelMessage, stamp: int) -> Write:
        """The message's row, at its event's `projection_stamp`: a late, older event never
        overwrites a newer one."""
        params = (message.channel_id, bucket_of(message.seq), message.seq, dump_message(message), stamp)
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
        return _if_id(await self._message_row(channel_id, seq), message_id) if seq is not None else None

    async def message_by_id(self, message_id: int) -> ChannelMessage | None:
        located = await self._located(message_id)
        return _if_id(await self._message_row(*located), message_id) if located is not None else None

    async def history(
        self, channel_id: int, before_seq: int | None, after_seq: int | None, limit: int
    ) -> list[ChannelMessage]:
        rows = await self._messages.page(channel_id, await self.head(channel_id), before_seq, after_seq, limit)
        return await self._with_threads(channel_id, [_shown(row) for row in rows if row.body])

    async def pinned(self, channel_id: int) -> list[ChannelMessage]:
        pins = sorted(await execute(self._session, self._pins_of, (channel_id,)), key=lambda row: row.pin_seq)
        found = [await self.message(channel_id, row.message_id) for row in pins]
        return [message for message in found if message is not None and not message.deleted]

    async def thread(self, channel_id: int, parent_id: int, after_seq: int | None, limit: int) -> list[ChannelMessage]:
        rows = await execute(self._session, self._replies, (channel_id, parent_id, after_seq or 0, limit))
        found = await asyncio.gather(*(self._message_row(channel_id, row.seq) for row in rows))
        return await self._with_threads(channel_id, [message for message in found if message is not None])

    async def _with_threads(self, channel_id: int, messages: list[ChannelMessage]) -> list[ChannelMessage]:
        if not messages:
            return messages
        low, high = messages[0].seq, messages[-1].seq
        by_seq = {message.seq: message.id for message in messages}
        stats: dict[int, projection.ThreadStats] = {}
        for bucket in range(bucket_of(low), bucket_of(high) + 1):
            for row in await execute(self._session, self._threads, (channel_id, bucket, low, high)):
                if row.seq in by_seq:
                    stats[by_seq[row.seq]] = (row.reply_count, row.last_reply_at.replace(tzinfo=UTC))
        return projection.with_threads(messages, stats)


def _if_id(message: ChannelMessage | None, message_id: int) -> ChannelMessage | None:
    """The message if it is the one asked for: an index entry written with log rows that
    did not land names a seq that another message took since."""
    return message if message is not None and message.id == message_id else None


def _shown(row: Any) -> ChannelMessage:
    cells = [projection.reaction_cell(key, seq) for key, seq in (row.reactions or {}).items()]
    return projection.with_reactions(load_message(row.body), cells)
