"""SQLite adapter of the stream port: the embedded default. The event log is
`parley_storage`'s; this adds the message projection in the same file, written in the
append's own transaction, so `settle` has nothing left to do."""

from pathlib import Path

from pydantic import TypeAdapter

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
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_id ON messages (channel_id, id);
"""
)


class SqliteStreams(SqliteEventStore[ChannelEvent]):
    def __init__(self, db: Database):
        super().__init__(db, "channel", TypeAdapter(ChannelEvent), _project)

    @classmethod
    async def open(cls, path: Path | str) -> "SqliteStreams":
        return cls(await Database.open(path, SCHEMA))

    async def message(self, channel_id: int, message_id: int) -> ChannelMessage | None:
        row = await self._db.one("SELECT body FROM messages WHERE channel_id = ? AND id = ?", (channel_id, message_id))
        return load_message(row[0]) if row else None

    async def history(
        self, channel_id: int, before_seq: int | None, after_seq: int | None, limit: int
    ) -> list[ChannelMessage]:
        rows = await sqlite_page(self._db, "messages", "channel_id", channel_id, before_seq, after_seq, limit)
        return [load_message(body) for (body,) in rows]


async def _project(tx: Statements, event: ChannelEvent) -> None:
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
