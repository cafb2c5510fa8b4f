"""SQLite adapter of the event log.

An append is one unit of the database's group commit (see `sqlite.Database.write`):
the appends waiting in one loop turn share one `BEGIN IMMEDIATE` transaction, which
takes SQLite's write lock, so service copies sharing the file still get gap-free,
unique `seq`s. The service's projection of the event (`project`) is written in the
same unit, so a post costs one write transaction at most, shared with its neighbours,
and its history row can never lag behind its event. Clearing an outbox mark rides
along with the next commit: lost in a crash, it only means one harmless re-publish.

Statements are most of what an append costs the service's CPU, so an append claims its
idempotency key by inserting it (a duplicate is the rare case, read only when the insert
finds the key taken), reads its stream's head once per shared transaction (the appends
after it in the same transaction know it: `Statements.known`), and the marks published
meanwhile are cleared by one unit. The JSON an event is stored as is kept for its publish
(`stored_json`), so it is serialised once.
"""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Generic

from pydantic import TypeAdapter

from .event_log import Appended, Event, LoggedStore, Stream, new_epoch, stored_form
from .paging import sqlite_page
from .sqlite import Database, Statements
from .stored_json import StoredJson


def event_log_schema(name: str) -> str:
    return f"""
CREATE TABLE IF NOT EXISTS {name}_events (
    stream TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (stream, seq)
);
CREATE TABLE IF NOT EXISTS {name}_keys (
    stream TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (stream, key)
);
CREATE TABLE IF NOT EXISTS {name}_epochs (
    stream TEXT NOT NULL PRIMARY KEY, epoch TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS {name}_outbox (
    stream TEXT NOT NULL, seq INTEGER NOT NULL, marked_at TEXT NOT NULL, PRIMARY KEY (stream, seq)
);
"""


Projector = Callable[[Statements, Event], Awaitable[None]]
"""Writes a service's projection of one event, inside the append's transaction."""


async def _no_projection(_: Statements, __: object) -> None:
    return None


class SqliteEventLog(Generic[Event]):
    def __init__(self, db: Database, name: str, codec: TypeAdapter[Event], project: Projector[Event] = _no_projection):
        """`name` prefixes the tables; the database must have `event_log_schema(name)`."""
        self._db = db
        self._t = name
        self._codec = codec
        self._project = project
        self._published: list[tuple[str, int]] = []
        """Outbox marks to clear in the next shared transaction."""
        self._stored_json = StoredJson()

    def _dump(self, event: Event) -> str:
        """The event's stored form, kept for its publish (`stored_json`)."""
        body = stored_form(event)
        self._stored_json.keep(event, body)
        return body

    def stored_json(self, event: Event) -> bytes | None:
        return self._stored_json.take(event)

    async def append(self, stream: Stream, build: Callable[[int], Event], key: str | None = None) -> Appended[Event]:
        return await self._db.write(lambda tx: self._append(tx, str(stream), build, key))

    async def _append(
        self, tx: Statements, stream: str, build: Callable[[int], Event], key: str | None
    ) -> Appended[Event]:
        t = self._t
        known = (t, stream)  # the head, once read or written in this transaction
        head = tx.known.get(known)
        if not isinstance(head, int):
            (head,) = await tx.first(f"SELECT COALESCE(MAX(seq), 0) FROM {t}_events WHERE stream = ?", (stream,))
            tx.known[known] = head
        seq = head + 1
        if key is not None and not await tx.execute(
            f"INSERT INTO {t}_keys (stream, key, seq) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", (stream, key, seq)
        ):  # the key was used before: its event is the answer
            (body,) = await tx.first(
                f"SELECT e.body FROM {t}_keys k JOIN {t}_events e ON e.stream = k.stream AND e.seq = k.seq"
                " WHERE k.stream = ? AND k.key = ?",
                (stream, key),
            )
            return Appended(self._codec.validate_json(body), duplicate=True)
        event = build(seq)
        if head == 0:  # the stream starts (again): a new epoch
            await tx.execute(f"INSERT OR REPLACE INTO {t}_epochs (stream, epoch) VALUES (?, ?)", (stream, new_epoch()))
        await tx.execute(
            f"INSERT INTO {t}_events (stream, seq, body) VALUES (?, ?, ?)", (stream, seq, self._dump(event))
        )
        tx.known[known] = seq  # forgotten again if the rest of this unit fails and is undone
        await tx.execute(
            f"INSERT INTO {t}_outbox (stream, seq, marked_at) VALUES (?, ?, ?)",
            (stream, seq, datetime.now(UTC).isoformat()),
        )
        await self._project(tx, event)
        return Appended(event, duplicate=False)

    async def mark_published(self, stream: Stream, seq: int) -> None:
        if not self._published:
            self._db.write_soon(self._clear_published)
        self._published.append((str(stream), seq))

    async def _clear_published(self, tx: Statements) -> None:
        marks, self._published = self._published, []
        await tx.execute_many(f"DELETE FROM {self._t}_outbox WHERE stream = ? AND seq = ?", marks)

    async def unsettled(self, older_than: datetime, limit: int) -> list[Event]:
        await self._db.flush()  # marks cleared a moment ago are not owed
        t = self._t
        rows = await self._db.all(
            f"SELECT e.body FROM {t}_outbox o JOIN {t}_events e ON e.stream = o.stream AND e.seq = o.seq"
            " WHERE o.marked_at < ? ORDER BY o.stream, o.seq LIMIT ?",
            (older_than.isoformat(), limit),
        )
        return [self._codec.validate_json(body) for (body,) in rows]

    async def events(self, stream: Stream, after_seq: int, limit: int) -> list[Event]:
        rows = await sqlite_page(self._db, f"{self._t}_events", "stream", str(stream), None, after_seq, limit)
        return [self._codec.validate_json(body) for (body,) in rows]

    async def head(self, stream: Stream) -> int:
        query = f"SELECT COALESCE(MAX(seq), 0) FROM {self._t}_events WHERE stream = ?"
        (head,) = await self._db.first(query, (str(stream),))
        return int(head)

    async def epoch(self, stream: Stream) -> str:
        row = await self._db.one(f"SELECT epoch FROM {self._t}_epochs WHERE stream = ?", (str(stream),))
        return str(row[0]) if row else ""


class SqliteEventStore(LoggedStore[Event]):
    """Base of a service's store in a SQLite file: its event log, and its projection,
    which `project` writes in the append's own transaction."""

    def __init__(self, db: Database, name: str, codec: "TypeAdapter[Event]", project: "Projector[Event]"):
        self._db = db
        self._log = SqliteEventLog(db, name, codec, project)

    async def settle(self, event: Event) -> None:
        """The append wrote the projection already."""

    async def ping(self) -> bool:
        return await self._db.one("SELECT 1") == (1,)

    async def close(self) -> None:
        await self._db.close()
