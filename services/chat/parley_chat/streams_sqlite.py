"""SQLite adapter of the stream port: the embedded default. The event log is
`parley_storage`'s; this adds the message projection in the same file, written in the
append's own transaction, so `settle` has nothing left to do. Reactions, pins, thread replies
and read positions are rows of their own, read with the messages they belong to."""

from datetime import datetime
from pathlib import Path

from pydantic import TypeAdapter

from parley_contracts import chat
from parley_contracts.chat import ChannelEvent, ChannelMessage
from parley_storage.event_log_sqlite import SqliteEventStore, event_log_schema
from parley_storage.paging import sqlite_page
from parley_storage.sqlite import Database, Statements

from . import projection
from .codec import dump_message, load_message

SCHEMA = (
    event_log_schema("channel")
    + """
CREATE TABLE IF NOT EXISTS messages (
    channel_id INTEGER NOT NULL, seq INTEGER NOT NULL, id INTEGER NOT NULL, body TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (channel_id, seq)
);
DROP INDEX IF EXISTS messages_by_id;
CREATE INDEX IF NOT EXISTS messages_by_message_id ON messages (id);
CREATE TABLE IF NOT EXISTS reactions (
    message_id INTEGER NOT NULL, user_id INTEGER NOT NULL, emoji TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (message_id, user_id, emoji)
);
CREATE TABLE IF NOT EXISTS pins (
    channel_id INTEGER NOT NULL, message_id INTEGER NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (channel_id, message_id)
);
CREATE TABLE IF NOT EXISTS thread_replies (
    channel_id INTEGER NOT NULL, parent_id INTEGER NOT NULL, seq INTEGER NOT NULL, created_at TEXT NOT NULL,
    PRIMARY KEY (channel_id, parent_id, seq)
);
CREATE TABLE IF NOT EXISTS read_positions (
    channel_id INTEGER NOT NULL, user_id INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (channel_id, user_id)
);
"""
)
"""Message ids are unique across channels (`IdBlocks`): one index on them serves every lookup."""


class SqliteStreams(SqliteEventStore[ChannelEvent]):
    def __init__(self, db: Database):
        super().__init__(db, "channel", TypeAdapter(ChannelEvent), _project)

    @classmethod
    async def open(cls, path: Path | str) -> "SqliteStreams":
        return cls(await Database.open(path, SCHEMA))

    async def _shown(self, bodies: list[str]) -> list[ChannelMessage]:
        """Stored messages with their reactions, read in one query."""
        messages = [load_message(body) for body in bodies]
        ids = [m.id for m in messages if not m.deleted]
        if not ids:
            return messages
        marks = ",".join("?" * len(ids))
        rows = await self._db.all(
            f"SELECT message_id, user_id, emoji, seq FROM reactions WHERE message_id IN ({marks})", tuple(ids)
        )
        cells: dict[int, list[projection.ReactionCell]] = {}
        for message_id, user_id, emoji, seq in rows:
            cells.setdefault(message_id, []).append((user_id, emoji, seq))
        return [projection.with_reactions(m, cells.get(m.id, [])) for m in messages]

    async def message(self, channel_id: int, message_id: int) -> ChannelMessage | None:
        row = await self._db.one("SELECT body FROM messages WHERE channel_id = ? AND id = ?", (channel_id, message_id))
        return (await self._shown([row[0]]))[0] if row else None

    async def message_by_id(self, message_id: int) -> ChannelMessage | None:
        row = await self._db.one("SELECT body FROM messages WHERE id = ?", (message_id,))
        return (await self._shown([row[0]]))[0] if row else None

    async def history(
        self, channel_id: int, before_seq: int | None, after_seq: int | None, limit: int
    ) -> list[ChannelMessage]:
        rows = await sqlite_page(self._db, "messages", "channel_id", channel_id, before_seq, after_seq, limit)
        return await self._with_threads(channel_id, await self._shown([body for (body,) in rows]))

    async def pinned(self, channel_id: int) -> list[ChannelMessage]:
        rows = await self._db.all(
            "SELECT m.body FROM pins p JOIN messages m ON m.channel_id = p.channel_id AND m.id = p.message_id"
            " WHERE p.channel_id = ? ORDER BY p.seq",
            (channel_id,),
        )
        return [m for m in await self._shown([body for (body,) in rows]) if not m.deleted]

    async def read_position(self, channel_id: int, user_id: int) -> int:
        row = await self._db.one(
            "SELECT seq FROM read_positions WHERE channel_id = ? AND user_id = ?", (channel_id, user_id)
        )
        return int(row[0]) if row else 0

    async def thread(self, channel_id: int, parent_id: int, after_seq: int | None, limit: int) -> list[ChannelMessage]:
        rows = await self._db.all(
            "SELECT m.body FROM thread_replies t JOIN messages m ON m.channel_id = t.channel_id AND m.seq = t.seq"
            " WHERE t.channel_id = ? AND t.parent_id = ? AND t.seq > ? ORDER BY t.seq LIMIT ?",
            (channel_id, parent_id, after_seq or 0, limit),
        )
        return await self._with_threads(channel_id, await self._shown([body for (body,) in rows]))

    async def _with_threads(self, channel_id: int, messages: list[ChannelMessage]) -> list[ChannelMessage]:
        if not messages:
            return messages
        ids = [message.id for message in messages]
        # SQLite takes a bare column beside MAX() from the row that has the maximum: the last reply's time.
        rows = await self._db.all(
            "SELECT parent_id, COUNT(*), created_at, MAX(seq) FROM thread_replies"
            f" WHERE channel_id = ? AND parent_id IN ({', '.join('?' * len(ids))}) GROUP BY parent_id",
            (channel_id, *ids),
        )
        stats = {parent: (count, datetime.fromisoformat(at)) for parent, count, at, _ in rows}
        return projection.with_threads(messages, stats)


async def _project(tx: Statements, event: ChannelEvent) -> None:
    """Runs in the append's transaction, so events arrive here in `seq` order."""
    match event:
        case chat.MessageRead():
            await tx.execute(
                "INSERT INTO read_positions (channel_id, user_id, seq)"
                " SELECT channel_id, ?, seq FROM messages WHERE channel_id = ? AND id = ?"
                " ON CONFLICT (channel_id, user_id) DO UPDATE SET seq = MAX(seq, excluded.seq)",
                (event.user_id, event.channel_id, event.message_id),
            )
        case chat.ReactionAdded():
            await tx.execute(
                "INSERT INTO reactions (message_id, user_id, emoji, seq) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO UPDATE SET seq = excluded.seq",
                (event.message_id, event.user_id, event.emoji, event.seq),
            )
        case chat.ReactionRemoved():
            await tx.execute(
                "DELETE FROM reactions WHERE message_id = ? AND user_id = ? AND emoji = ?",
                (event.message_id, event.user_id, event.emoji),
            )
        case chat.MessagePinned():
            await tx.execute(
                "INSERT INTO pins (channel_id, message_id, seq) VALUES (?, ?, ?)"
                " ON CONFLICT DO UPDATE SET seq = excluded.seq",
                (event.channel_id, event.message_id, event.seq),
            )
        case chat.MessageUnpinned():
            await tx.execute(
                "DELETE FROM pins WHERE channel_id = ? AND message_id = ?", (event.channel_id, event.message_id)
            )
        case chat.MessagePosted():
            await _project_post(tx, event)
        case _:
            await _project_change(tx, event)


async def _project_post(tx: Statements, event: chat.MessagePosted) -> None:
    """A message's first event: a row already there is this post's own, settled before."""
    await tx.execute(
        "INSERT INTO messages (channel_id, seq, id, body, last_seq) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (event.channel_id, event.seq, event.message.id, dump_message(event.message), event.seq),
    )
    reply = projection.reply_of(event)
    if reply is not None:
        await tx.execute(
            "INSERT INTO thread_replies (channel_id, parent_id, seq, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (reply.channel_id, reply.reply_to, reply.seq, reply.created_at.isoformat()),
        )


async def _project_change(tx: Statements, event: ChannelEvent) -> None:
    """An edit or a delete changes its message's body; every other event changes none."""
    message_id = projection.message_id_of(event)
    if message_id is None:
        return
    row = await tx.one(
        "SELECT body, last_seq FROM messages WHERE channel_id = ? AND id = ?", (event.channel_id, message_id)
    )
    updated = projection.apply_newer((load_message(row[0]), row[1]) if row else None, event)
    if updated is not None:
        await tx.execute(
            "INSERT INTO messages (channel_id, seq, id, body, last_seq) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (channel_id, seq) DO UPDATE SET body = excluded.body, last_seq = excluded.last_seq",
            (event.channel_id, updated.seq, updated.id, dump_message(updated), event.seq),
        )
