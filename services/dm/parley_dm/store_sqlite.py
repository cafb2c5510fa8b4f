"""SQLite adapter of the DM store: the embedded default. Messages and inboxes are
projected in the append's own transaction, so `settle` has nothing left to do."""

from pathlib import Path

from pydantic import TypeAdapter

from parley_contracts.dm import ConversationEvent, DirectMessage, DirectMessageRead, DirectMessageSent, InboxEntry
from parley_storage.event_log_sqlite import SqliteEventStore, event_log_schema
from parley_storage.paging import sqlite_page
from parley_storage.sqlite import Database, Statements, advance_counter

from .store import UNREAD_CAP, Change, changed

SCHEMA = (
    event_log_schema("conversation")
    + """
CREATE TABLE IF NOT EXISTS dm_messages (
    conversation_id TEXT NOT NULL, seq INTEGER NOT NULL, id INTEGER NOT NULL UNIQUE,
    recipient_id INTEGER NOT NULL, body TEXT NOT NULL, last_seq INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE TABLE IF NOT EXISTS dm_inbox (
    user_id INTEGER NOT NULL, conversation_id TEXT NOT NULL, other_user_id INTEGER NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0, last_at TEXT, last_body TEXT, read_upto INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, conversation_id)
);
CREATE TABLE IF NOT EXISTS dm_blocks (
    blocker_id INTEGER NOT NULL, blocked_id INTEGER NOT NULL, PRIMARY KEY (blocker_id, blocked_id)
);
CREATE TABLE IF NOT EXISTS dm_id_blocks (name TEXT PRIMARY KEY, last INTEGER NOT NULL);
"""
)


def _load(body: str) -> DirectMessage:
    return DirectMessage.model_validate_json(body)


class SqliteDmStore(SqliteEventStore[ConversationEvent]):
    def __init__(self, db: Database):
        super().__init__(db, "conversation", TypeAdapter(ConversationEvent), _project)

    @classmethod
    async def open(cls, path: Path | str) -> "SqliteDmStore":
        return cls(await Database.open(path, SCHEMA))

    async def message(self, message_id: int) -> DirectMessage | None:
        row = await self._db.one("SELECT body FROM dm_messages WHERE id = ?", (message_id,))
        return _load(row[0]) if row else None

    async def history(
        self, conversation_id: str, before_seq: int | None, after_seq: int | None, limit: int
    ) -> list[DirectMessage]:
        rows = await sqlite_page(
            self._db, "dm_messages", "conversation_id", conversation_id, before_seq, after_seq, limit
        )
        return [_load(body) for (body,) in rows]

    async def inbox(self, user_id: int) -> list[InboxEntry]:
        rows = await self._db.all(
            "SELECT conversation_id, other_user_id, last_body, read_upto FROM dm_inbox WHERE user_id = ?"
            " ORDER BY last_at DESC, json_extract(last_body, '$.id') DESC",  # within a millisecond, the later id
            (user_id,),
        )
        entries = []
        for conversation_id, other_id, last_body, read_upto in rows:
            (unread,) = await self._db.first(
                "SELECT COUNT(*) FROM (SELECT 1 FROM dm_messages WHERE conversation_id = ? AND recipient_id = ?"
                " AND seq > ? AND NOT IFNULL(json_extract(body, '$.deleted'), 0) LIMIT ?)",
                (conversation_id, user_id, read_upto, UNREAD_CAP),
            )
            entries.append(
                InboxEntry(conversation_id=conversation_id, other_user_id=other_id,
                           last_message=_load(last_body) if last_body else None, unread=unread,
                           last_read_seq=read_upto)
            )  # fmt: skip
        return entries

    async def set_blocked(self, blocker_id: int, blocked_id: int, blocked: bool) -> None:
        if blocked:
            await self._db.execute(
                "INSERT INTO dm_blocks (blocker_id, blocked_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (blocker_id, blocked_id),
            )
        else:
            await self._db.execute(
                "DELETE FROM dm_blocks WHERE blocker_id = ? AND blocked_id = ?", (blocker_id, blocked_id)
            )

    async def is_blocked(self, blocker_id: int, blocked_id: int) -> bool:
        row = await self._db.one(
            "SELECT 1 FROM dm_blocks WHERE blocker_id = ? AND blocked_id = ?", (blocker_id, blocked_id)
        )
        return row is not None

    async def reserve_ids(self, count: int) -> int:
        return await advance_counter(self._db, "dm_id_blocks", "messages", count)


async def _project(tx: Statements, event: ConversationEvent) -> None:
    if isinstance(event, DirectMessageSent):
        await _project_sent(tx, event)
    else:
        await _project_change(tx, event)


async def _project_sent(tx: Statements, event: DirectMessageSent) -> None:
    message = event.message
    body = message.model_dump_json()
    await tx.execute(
        "INSERT INTO dm_messages (conversation_id, seq, id, recipient_id, body, last_seq) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (message.conversation_id, message.seq, message.id, message.recipient_id, body, event.seq),
    )
    inbox_row = (message.conversation_id, message.seq, message.created_at.isoformat(), body)
    await tx.execute(  # both participants' inboxes, in one statement
        "INSERT INTO dm_inbox (user_id, other_user_id, conversation_id, last_seq, last_at, last_body)"
        " VALUES (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, conversation_id) DO UPDATE SET"
        " last_seq = excluded.last_seq, last_at = excluded.last_at, last_body = excluded.last_body"
        " WHERE excluded.last_seq > dm_inbox.last_seq",
        (message.sender_id, message.recipient_id, *inbox_row, message.recipient_id, message.sender_id, *inbox_row),
    )


async def _project_change(tx: Statements, event: Change) -> None:
    row = await tx.one("SELECT body, last_seq FROM dm_messages WHERE id = ?", (event.message_id,))
    if row is None:
        return
    message = _load(row[0])
    updated = changed(message, event) if row[1] < event.seq else None
    if updated is not None:
        body = updated.model_dump_json()
        await tx.execute("UPDATE dm_messages SET body = ?, last_seq = ? WHERE id = ?", (body, event.seq, updated.id))
        # Inboxes whose last message it is show it as it is now.
        await tx.execute(
            "UPDATE dm_inbox SET last_body = ? WHERE conversation_id = ? AND last_seq = ?",
            (body, event.conversation_id, message.seq),
        )
    if isinstance(event, DirectMessageRead):
        await tx.execute(
            "UPDATE dm_inbox SET read_upto = MAX(read_upto, ?) WHERE user_id = ? AND conversation_id = ?",
            (message.seq, event.read_by, event.conversation_id),
        )
