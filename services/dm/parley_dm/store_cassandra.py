"""Cassandra adapter of the DM store: production.

Messages live in buckets of the conversation's `seq` like every stream; each inbox is
one partition per user. Projection cells are written with the event's `seq` as their
write timestamp, so settling an event again, or an older one late, never undoes a
newer state.
"""

from typing import Any

from cassandra.cluster import Session
from pydantic import TypeAdapter

from parley_contracts.dm import (
    ConversationEvent,
    DirectMessage,
    DirectMessageRead,
    DirectMessageSent,
    InboxEntry,
    participants,
)
from parley_storage.buckets import BucketedRows, bucket_of
from parley_storage.cassandra import PerTurn, all_of, create_tables, execute, in_reads
from parley_storage.event_log_cassandra import CassandraEventStore, event_log_tables
from parley_storage.leases import DEFAULT_TERMS, LeaseTerms

from .store import UNREAD_CAP, Change, changed, newest_first, unread

PROJECTION_TABLES = [
    """CREATE TABLE IF NOT EXISTS dm_messages (
        conversation_id text, bucket int, seq bigint, recipient_id bigint, body text,
        PRIMARY KEY ((conversation_id, bucket), seq))""",
    """CREATE TABLE IF NOT EXISTS dm_message_index (message_id bigint PRIMARY KEY, conversation_id text, seq bigint)""",
    """CREATE TABLE IF NOT EXISTS dm_inbox (
        user_id bigint, conversation_id text, other_user_id bigint, last_at timestamp, last_body text,
        read_upto bigint, PRIMARY KEY ((user_id), conversation_id))""",
    """CREATE TABLE IF NOT EXISTS dm_blocks (
        blocker_id bigint, blocked_id bigint, PRIMARY KEY ((blocker_id), blocked_id))""",
    """CREATE TABLE IF NOT EXISTS dm_id_blocks (name text PRIMARY KEY, last bigint)""",
]


def create_schema(session: Session, keyspace: str) -> None:
    create_tables(session, keyspace, [*event_log_tables("conversation"), *PROJECTION_TABLES])


class CassandraDmStore(CassandraEventStore[ConversationEvent]):
    def __init__(self, session: Session, keyspace: str, terms: LeaseTerms = DEFAULT_TERMS):
        super().__init__(session, keyspace, "conversation", TypeAdapter(ConversationEvent), terms)
        prepare = self._prepare
        self._write_message = prepare(
            "INSERT INTO dm_messages (conversation_id, bucket, seq, recipient_id, body) VALUES (?, ?, ?, ?, ?)"
            " USING TIMESTAMP ?"
        )
        self._index = prepare("INSERT INTO dm_message_index (message_id, conversation_id, seq) VALUES (?, ?, ?)")
        self._find = prepare("SELECT conversation_id, seq FROM dm_message_index WHERE message_id = ?")
        self._message_at = prepare("SELECT body FROM dm_messages WHERE conversation_id = ? AND bucket = ? AND seq = ?")
        self._messages = BucketedRows(session, keyspace, "dm_messages", "conversation_id", "body, recipient_id")
        self._inbox_last = prepare(
            "UPDATE dm_inbox USING TIMESTAMP ? SET other_user_id = ?, last_at = ?, last_body = ?"
            " WHERE user_id = ? AND conversation_id = ?"
        )
        self._inbox_last_body = prepare(
            "UPDATE dm_inbox USING TIMESTAMP ? SET last_body = ? WHERE user_id = ? AND conversation_id = ?"
        )
        self._inbox_entry = prepare("SELECT last_body FROM dm_inbox WHERE user_id = ? AND conversation_id = ?")
        self._inbox_read = prepare(
            "UPDATE dm_inbox USING TIMESTAMP ? SET read_upto = ? WHERE user_id = ? AND conversation_id = ?"
        )
        self._inbox = prepare(
            "SELECT conversation_id, other_user_id, last_at, last_body, read_upto FROM dm_inbox WHERE user_id = ?"
        )
        self._block = prepare("INSERT INTO dm_blocks (blocker_id, blocked_id) VALUES (?, ?)")
        self._unblock = prepare("DELETE FROM dm_blocks WHERE blocker_id = ? AND blocked_id = ?")
        self._blocked = prepare(
            "SELECT blocker_id, blocked_id FROM dm_blocks WHERE blocker_id IN ? AND blocked_id IN ?"
        )
        self._blocks: PerTurn[tuple[int, int], bool] = PerTurn(self._read_blocks)
        self._ids_now = prepare("SELECT last FROM dm_id_blocks WHERE name = 'messages'")
        self._ids_first = prepare("INSERT INTO dm_id_blocks (name, last) VALUES ('messages', ?) IF NOT EXISTS")
        self._ids_next = prepare("UPDATE dm_id_blocks SET last = ? WHERE name = 'messages' IF last = ?")

    async def settle(self, event: ConversationEvent) -> None:
        if isinstance(event, DirectMessageSent):
            await self._settle_sent(event)
        else:
            await self._settle_change(event)

    async def _settle_sent(self, event: DirectMessageSent) -> None:
        message = event.message
        body = message.model_dump_json()
        conv = message.conversation_id
        writes: list[tuple[Any, tuple[object, ...]]] = [
            (self._write_message, (conv, bucket_of(message.seq), message.seq, message.recipient_id, body, event.seq)),
            (self._index, (message.id, conv, message.seq)),
        ]
        for user_id, other_id in ((message.sender_id, message.recipient_id), (message.recipient_id, message.sender_id)):
            writes.append((self._inbox_last, (event.seq, other_id, message.created_at, body, user_id, conv)))
        await self._together.write(writes)

    async def _settle_change(self, event: Change) -> None:
        message = await self.message(event.message_id)
        if message is None:
            return
        updated = changed(message, event)
        if updated is not None:
            body = updated.model_dump_json()
            conv = updated.conversation_id
            row = (conv, bucket_of(updated.seq), updated.seq, updated.recipient_id, body, event.seq)
            await execute(self._session, self._write_message, row)
            # Inboxes whose last message it is show it as it is now. (Should a newer message
            # settle only after this, late, its older write timestamp loses: the inbox keeps
            # this message until the next one. Only a republished event can come that late.)
            for user_id in participants(conv):
                rows = await execute(self._session, self._inbox_entry, (user_id, conv))
                if rows and rows[0].last_body and DirectMessage.model_validate_json(rows[0].last_body).id == updated.id:
                    await execute(self._session, self._inbox_last_body, (event.seq, body, user_id, conv))
        if isinstance(event, DirectMessageRead):
            # The timestamp is the message's seq: the furthest message read wins.
            position = (message.seq, message.seq, event.read_by, message.conversation_id)
            await execute(self._session, self._inbox_read, position)

    async def message(self, message_id: int) -> DirectMessage | None:
        found = await execute(self._session, self._find, (message_id,))
        if not found:
            return None
        conv, seq = found[0].conversation_id, found[0].seq
        rows = await execute(self._session, self._message_at, (conv, bucket_of(seq), seq))
        return DirectMessage.model_validate_json(rows[0].body) if rows else None

    async def history(
        self, conversation_id: str, before_seq: int | None, after_seq: int | None, limit: int
    ) -> list[DirectMessage]:
        head = await self.head(conversation_id)
        rows = await self._messages.page(conversation_id, head, before_seq, after_seq, limit)
        return [DirectMessage.model_validate_json(row.body) for row in rows]

    async def inbox(self, user_id: int) -> list[InboxEntry]:
        entries = []
        for row in await execute(self._session, self._inbox, (user_id,)):
            if row.last_body is None:
                continue  # read before any message arrived here: nothing to show yet
            head = await self.head(row.conversation_id)
            later = await self._messages.after(row.conversation_id, head, row.read_upto or 0, UNREAD_CAP * 2)
            entries.append(
                InboxEntry(conversation_id=row.conversation_id, other_user_id=row.other_user_id,
                           last_message=DirectMessage.model_validate_json(row.last_body),
                           unread=unread((DirectMessage.model_validate_json(m.body) for m in later), user_id),
                           last_read_seq=row.read_upto or 0)
            )  # fmt: skip
        return newest_first(entries)

    async def set_blocked(self, blocker_id: int, blocked_id: int, blocked: bool) -> None:
        await execute(self._session, self._block if blocked else self._unblock, (blocker_id, blocked_id))

    async def is_blocked(self, blocker_id: int, blocked_id: int) -> bool:
        """Read with the other sends' of the loop turn: one read, not one each."""
        return await self._blocks((blocker_id, blocked_id))

    async def _read_blocks(self, asks: list[tuple[int, int]]) -> list[bool | BaseException]:
        reads = in_reads(asks, lambda ask: ([ask[0]], [ask[1]]))
        found = await all_of([execute(self._session, self._blocked, columns) for _, columns in reads])
        blocks = {(row.blocker_id, row.blocked_id) for rows in found for row in rows}
        return [ask in blocks for ask in asks]

    async def reserve_ids(self, count: int) -> int:
        while True:
            rows = await execute(self._session, self._ids_now)
            if not rows:
                [first] = await execute(self._session, self._ids_first, (count,))
                if first.applied:
                    return count
                continue
            last = rows[0].last
            [claimed] = await execute(self._session, self._ids_next, (last + count, last))
            if claimed.applied:
                return last + count
