"""SQLite adapter of the stream port: the embedded default.

`append` runs in one `BEGIN IMMEDIATE` transaction, which takes SQLite's write lock,
so copies of the service sharing the file still get gap-free, unique `seq`s.
"""

from datetime import UTC, datetime
from pathlib import Path

from parley_contracts.chat import ChannelEvent, ChannelMessage
from parley_storage.sqlite import Database, Statements

from . import projection
from .codec import dump_event, dump_message, load_event, load_message
from .streams import Appended, BuildEvent, IdempotencyKey

SCHEMA = """
CREATE TABLE IF NOT EXISTS channel_events (
    channel_id INTEGER NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (channel_id, seq)
);
CREATE TABLE IF NOT EXISTS post_keys (
    channel_id INTEGER NOT NULL, author_id INTEGER NOT NULL, client_msg_id TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (channel_id, author_id, client_msg_id)
);
CREATE TABLE IF NOT EXISTS outbox (
    channel_id INTEGER NOT NULL, seq INTEGER NOT NULL, marked_at TEXT NOT NULL,
    PRIMARY KEY (channel_id, seq)
);
CREATE TABLE IF NOT EXISTS messages (
    channel_id INTEGER NOT NULL, seq INTEGER NOT NULL, id INTEGER NOT NULL, body TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (channel_id, seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_id ON messages (channel_id, id);
"""


class SqliteStreams:
    def __init__(self, db: Database):
        self._db = db

    @classmethod
    async def open(cls, path: Path | str) -> "SqliteStreams":
        return cls(await Database.open(path, SCHEMA))

    async def append(self, channel_id: int, build: BuildEvent, key: IdempotencyKey | None = None) -> Appended:
        async with self._db.transaction() as tx:
            return await self._append(tx, channel_id, build, key)

    async def _append(self, tx: Statements, channel_id: int, build: BuildEvent, key: IdempotencyKey | None) -> Appended:
        if key:
            row = await tx.one(
                "SELECT e.body FROM post_keys k JOIN channel_events e ON e.channel_id = k.channel_id AND e.seq = k.seq"
                " WHERE k.channel_id = ? AND k.author_id = ? AND k.client_msg_id = ?",
                (key.channel_id, key.author_id, key.client_msg_id),
            )
            if row:
                return Appended(load_event(row[0]), duplicate=True)
        (head,) = await tx.one("SELECT COALESCE(MAX(seq), 0) FROM channel_events WHERE channel_id = ?", (channel_id,))
        event = build(head + 1)
        await tx.execute(
            "INSERT INTO channel_events (channel_id, seq, body) VALUES (?, ?, ?)",
            (channel_id, event.seq, dump_event(event)),
        )
        await tx.execute(
            "INSERT INTO outbox (channel_id, seq, marked_at) VALUES (?, ?, ?)",
            (channel_id, event.seq, datetime.now(UTC).isoformat()),
        )
        if key:
            await tx.execute(
                "INSERT INTO post_keys (channel_id, author_id, client_msg_id, seq) VALUES (?, ?, ?, ?)",
                (key.channel_id, key.author_id, key.client_msg_id, event.seq),
            )
        return Appended(event, duplicate=False)

    async def settle(self, event: ChannelEvent) -> None:
        message_id = projection.message_id_of(event)
        if message_id is None:
            return
        async with self._db.transaction() as tx:
            row = await tx.one(
                "SELECT body, last_seq FROM messages WHERE channel_id = ? AND id = ?", (event.channel_id, message_id)
            )
            if row is not None and row[1] >= event.seq:
                return  # a newer event already shaped this message
            updated = projection.apply(load_message(row[0]) if row else None, event)
            if updated is not None:
                await tx.execute(
                    "INSERT INTO messages (channel_id, seq, id, body, last_seq) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (channel_id, seq) DO UPDATE SET body = excluded.body, last_seq = excluded.last_seq",
                    (event.channel_id, updated.seq, updated.id, dump_message(updated), event.seq),
                )

    async def mark_published(self, channel_id: int, seq: int) -> None:
        await self._db.execute("DELETE FROM outbox WHERE channel_id = ? AND seq = ?", (channel_id, seq))

    async def unsettled(self, older_than: datetime, limit: int) -> list[ChannelEvent]:
        rows = await self._db.all(
            "SELECT e.body FROM outbox o JOIN channel_events e ON e.channel_id = o.channel_id AND e.seq = o.seq"
            " WHERE o.marked_at < ? ORDER BY o.channel_id, o.seq LIMIT ?",
            (older_than.isoformat(), limit),
        )
        return [load_event(body) for (body,) in rows]

    async def events(self, channel_id: int, after_seq: int, limit: int) -> list[ChannelEvent]:
        rows = await self._db.all(
            "SELECT body FROM channel_events WHERE channel_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (channel_id, after_seq, limit),
        )
        return [load_event(body) for (body,) in rows]

    async def head(self, channel_id: int) -> int:
        (head,) = await self._db.one(
            "SELECT COALESCE(MAX(seq), 0) FROM channel_events WHERE channel_id = ?", (channel_id,)
        )
        return head

    async def message(self, channel_id: int, message_id: int) -> ChannelMessage | None:
        row = await self._db.one("SELECT body FROM messages WHERE channel_id = ? AND id = ?", (channel_id, message_id))
        return load_message(row[0]) if row else None

    async def history(
        self, channel_id: int, before_seq: int | None, after_seq: int | None, limit: int
    ) -> list[ChannelMessage]:
        if after_seq is not None:
            rows = await self._db.all(
                "SELECT body FROM messages WHERE channel_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                (channel_id, after_seq, limit),
            )
            return [load_message(body) for (body,) in rows]
        rows = await self._db.all(
            "SELECT body FROM messages WHERE channel_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
            (channel_id, before_seq if before_seq is not None else 2**62, limit),
        )
        return [load_message(body) for (body,) in reversed(rows)]

    async def ping(self) -> bool:
        return await self._db.one("SELECT 1", ()) == (1,)

    async def close(self) -> None:
        await self._db.close()
