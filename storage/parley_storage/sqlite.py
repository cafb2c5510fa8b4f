"""SQLite for a store: WAL, a busy timeout so several processes can share a file, and
one connection whose statements never interleave with another request's transaction.

aiosqlite runs every call on one thread in order, so a plain statement issued while
another coroutine is inside BEGIN ... COMMIT would join (and could be rolled back
with) that transaction. `Database` therefore runs everything under one lock.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite


class Statements:
    """Statements on a connection the caller already holds exclusively."""

    def __init__(self, connection: aiosqlite.Connection):
        self.connection = connection

    async def one(self, query: str, params: tuple = ()) -> tuple | None:
        async with self.connection.execute(query, params) as cursor:
            return await cursor.fetchone()

    async def all(self, query: str, params: tuple = ()) -> list[tuple]:
        async with self.connection.execute(query, params) as cursor:
            return list(await cursor.fetchall())

    async def execute(self, query: str, params: tuple = ()) -> int:
        """Runs a write; returns the rows it changed."""
        async with self.connection.execute(query, params) as cursor:
            return cursor.rowcount


class Database:
    def __init__(self, connection: aiosqlite.Connection):
        self._statements = Statements(connection)
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str, schema: str) -> "Database":
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(path, isolation_level=None)  # autocommit unless in a transaction
        await connection.execute("PRAGMA journal_mode=WAL")
        await connection.execute("PRAGMA busy_timeout=10000")
        await connection.executescript(schema)
        return cls(connection)

    async def one(self, query: str, params: tuple = ()) -> tuple | None:
        async with self._lock:
            return await self._statements.one(query, params)

    async def all(self, query: str, params: tuple = ()) -> list[tuple]:
        async with self._lock:
            return await self._statements.all(query, params)

    async def execute(self, query: str, params: tuple = ()) -> int:
        async with self._lock:
            return await self._statements.execute(query, params)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Statements]:
        """BEGIN IMMEDIATE takes SQLite's write lock, so it also excludes other processes."""
        async with self._lock:
            await self._statements.execute("BEGIN IMMEDIATE")
            try:
                yield self._statements
            except BaseException:
                await self._statements.execute("ROLLBACK")
                raise
            await self._statements.execute("COMMIT")

    async def close(self) -> None:
        await self._statements.connection.close()
