"""SQLite for a store: WAL, a busy timeout so several processes can share a file, and
one connection whose statements never interleave with another request's transaction.

`synchronous=NORMAL`: a commit survives the process being killed (it is in the WAL,
which the OS holds), and the WAL is synced at checkpoints, so only a power loss can
take the last moments back. That is the durability the rest of the stack has too
(JetStream and Cassandra's periodic commit log sync on an interval), at a twentieth of
the cost per commit of syncing every one. Checkpoints (copying the WAL back into the
database file, and syncing it) run on a thread of their own every second, rather than
inside whichever commit crosses SQLite's threshold, so no request waits on them.

Statements run on the event loop's own thread. A statement takes microseconds and a
commit's sync well under a millisecond on a local disk, while handing each statement
to a worker thread and back cost more than the statement itself (chat's appends ran at
~115/s that way). The methods stay coroutines so that a transaction is held across the
awaits of the code inside it: `Database` runs everything under one lock, or a plain
statement issued while another coroutine is inside BEGIN ... COMMIT would join (and
could be rolled back with) that transaction.

Group commit: `write` queues a unit of work, and every unit queued within one loop
turn runs in one transaction, each under a savepoint of its own, so one unit's failure
undoes only that unit. A commit, not a statement, is what a write costs: many requests
in flight share one. `write_soon` is for bookkeeping whose loss in a crash is harmless
(clearing outbox marks): it rides along with the next commit, or goes alone within
`LAZY_WRITE_S`.
"""

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

import structlog

from .metrics import timed

IntegrityError = sqlite3.IntegrityError
CHECKPOINT_EVERY_S = 1.0
LAZY_WRITE_S = 0.2
log = structlog.get_logger("parley.sqlite")
Unit = Callable[["Statements"], Awaitable[object]]
"""A unit of work inside a shared write transaction."""
Result = TypeVar("Result")
Row = tuple[Any, ...]
Params = tuple[object, ...]


class Statements:
    """Statements on a connection the caller already holds exclusively."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection
        self.known: dict[object, object] = {}
        """What the units of the shared write transaction learnt and keep true while it
        lasts (an event log's heads): it holds SQLite's write lock, so no other writer
        changes them. Emptied when the transaction begins and when a unit is undone."""

    async def one(self, query: str, params: Params = ()) -> Row | None:
        row: Row | None = self.connection.execute(query, params).fetchone()
        return row

    async def first(self, query: str, params: Params = ()) -> Row:
        """The row of a query that always yields one: an aggregate, an upsert's RETURNING."""
        row = await self.one(query, params)
        if row is None:
            raise sqlite3.DataError(f"no row from {query!r}")
        return row

    async def all(self, query: str, params: Params = ()) -> list[Row]:
        return self.connection.execute(query, params).fetchall()

    async def execute(self, query: str, params: Params = ()) -> int:
        """Runs a write; returns the rows it changed."""
        return self.connection.execute(query, params).rowcount

    async def execute_many(self, query: str, rows: Sequence[Params]) -> None:
        """Runs a write once for each of `rows`, in one call."""
        self.connection.executemany(query, rows)


class Database:
    def __init__(self, connection: sqlite3.Connection):
        self._statements = Statements(connection)
        self._lock = asyncio.Lock()
        self._checkpoints: asyncio.Task[None] | None = None
        self._queued: list[tuple[Unit, asyncio.Future[object] | None]] = []
        self._commit_at: tuple[float, asyncio.Handle] | None = None
        """When the next group commit starts, and its handle."""
        self._committing: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, path: Path | str, schema: str) -> "Database":
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, isolation_level=None)  # autocommit unless in a transaction
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA wal_autocheckpoint=0")
        connection.execute("PRAGMA busy_timeout=10000")
        connection.executescript(schema)
        db = cls(connection)
        if str(path) != ":memory:":
            db._checkpoints = asyncio.create_task(_checkpoint_forever(path))
        return db

    async def one(self, query: str, params: Params = ()) -> Row | None:
        async with self._lock:
            with timed("sqlite", "read"):
                return await self._statements.one(query, params)

    async def first(self, query: str, params: Params = ()) -> Row:
        async with self._lock:
            return await self._statements.first(query, params)

    async def all(self, query: str, params: Params = ()) -> list[Row]:
        async with self._lock:
            with timed("sqlite", "read"):
                return await self._statements.all(query, params)

    async def execute(self, query: str, params: Params = ()) -> int:
        async with self._lock:
            with timed("sqlite", "write"):
                return await self._statements.execute(query, params)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Statements]:
        """BEGIN IMMEDIATE takes SQLite's write lock, so it also excludes other processes."""
        async with self._lock:
            with timed("sqlite", "write"):
                await self._statements.execute("BEGIN IMMEDIATE")
                self._statements.known.clear()
                try:
                    yield self._statements
                except BaseException:
                    await self._statements.execute("ROLLBACK")
                    raise
                await self._statements.execute("COMMIT")

    async def write(self, unit: Callable[[Statements], Awaitable[Result]]) -> Result:
        """Runs `unit` in the transaction this loop turn's writes share; returns its result."""
        done: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._queued.append((unit, done))
        self._commit_within(0)
        return cast(Result, await done)  # the future holds what `unit` returned

    def write_soon(self, unit: Unit) -> None:
        """Queues `unit` for the next shared transaction, at the latest `LAZY_WRITE_S` from now."""
        self._queued.append((unit, None))
        self._commit_within(LAZY_WRITE_S)

    async def flush(self) -> None:
        """Commits whatever is queued now, and waits for a commit under way."""
        if self._queued:
            await self.write(_nothing)
        if self._committing is not None:
            await asyncio.shield(self._committing)

    def _commit_within(self, delay: float) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + delay
        if self._commit_at is not None:
            if self._commit_at[0] <= due:
                return
            self._commit_at[1].cancel()
        self._commit_at = (due, loop.call_later(delay, self._start_commit))

    def _start_commit(self) -> None:
        self._commit_at = None
        if self._committing is None:
            self._committing = asyncio.create_task(self._commit_queued())
        # else: the running commit loops until the queue is empty

    async def _commit_queued(self) -> None:
        try:
            while self._queued:
                units, self._queued = self._queued, []
                try:
                    async with self._lock:
                        with timed("sqlite", "write"):
                            outcomes = await self._run_in_one_transaction(units)
                except BaseException as exc:  # even a failed rollback or a cancel: no writer waits forever
                    for _, done in units:
                        if done is not None and not done.done():
                            done.set_exception(exc if isinstance(exc, Exception) else sqlite3.Error(str(exc)))
                    raise
                for (_, done), (result, error) in zip(units, outcomes, strict=True):
                    if done is None:
                        if error is not None:
                            log.warning("sqlite_background_write_failed", error=str(error))
                    elif not done.done():
                        done.set_exception(error) if error is not None else done.set_result(result)
        finally:
            self._committing = None

    async def _run_in_one_transaction(
        self, units: list[tuple[Unit, asyncio.Future[object] | None]]
    ) -> list[tuple[object, BaseException | None]]:
        tx = self._statements
        outcomes: list[tuple[object, BaseException | None]] = []
        try:
            await tx.execute("BEGIN IMMEDIATE")
            tx.known.clear()
            for unit, _ in units:
                await tx.execute("SAVEPOINT unit")
                try:
                    outcomes.append((await unit(tx), None))
                except Exception as exc:  # this unit's own failure: undo it alone
                    await tx.execute("ROLLBACK TO unit")
                    tx.known.clear()
                    outcomes.append((None, exc))
                await tx.execute("RELEASE unit")
            await tx.execute("COMMIT")
        except sqlite3.Error as exc:  # the transaction itself failed: nothing of it stands
            if tx.connection.in_transaction:
                await tx.execute("ROLLBACK")
            return [(None, exc)] * len(units)
        return outcomes

    async def close(self) -> None:
        await self.flush()
        if self._checkpoints:
            self._checkpoints.cancel()
        self._statements.connection.close()


async def advance_counter(db: Database, table: str, name: str, by: int = 1) -> int:
    """Reserves the next `by` ids of counter `name` in `table` (`name TEXT PRIMARY KEY,
    last INTEGER`); returns the last id of the block. One statement: atomic. It is a unit
    of the group commit, so a reservation made beside other writes shares their commit."""

    async def reserve(tx: Statements) -> int:
        row = await tx.first(
            f"INSERT INTO {table} (name, last) VALUES (?, ?) ON CONFLICT (name) DO UPDATE"
            " SET last = last + excluded.last RETURNING last",
            (name, by),
        )
        return int(row[0])

    return await db.write(reserve)


async def _nothing(_: Statements) -> None:
    return None


async def _checkpoint_forever(path: Path | str) -> None:
    # The checkpoints and the closing of their connection run on one thread of their own,
    # in turn: closing it from the loop while a checkpoint still ran on a worker thread
    # (the task cancelled under it) crashed the process.
    worker = ThreadPoolExecutor(1, thread_name_prefix="sqlite-checkpoint")
    checkpointer = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    loop = asyncio.get_running_loop()
    try:
        while True:
            await asyncio.sleep(CHECKPOINT_EVERY_S)
            try:
                await loop.run_in_executor(worker, checkpointer.execute, "PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error as exc:  # the disk or another process: the next round tries again
                log.warning("sqlite_checkpoint_failed", error=str(exc))
    finally:
        worker.submit(checkpointer.close)  # after the checkpoint under way, if any
        worker.shutdown(wait=False)
