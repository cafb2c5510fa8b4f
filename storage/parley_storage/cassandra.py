"""cassandra-driver from asyncio: the driver's futures resolved on the event loop."""

import asyncio
import re
import socket
from collections import namedtuple
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, ResponseFuture, Session
from cassandra.policies import RoundRobinPolicy
from cassandra.query import BatchStatement, BatchType


def qualified(keyspace: str) -> Callable[[str], str]:
    """Prefixes table names in a statement with the keyspace."""
    return lambda cql: re.sub(r"\b(FROM|INTO|UPDATE|TABLE IF NOT EXISTS) (\w+)", rf"\1 {keyspace}.\2", cql)


async def execute(session: Session, statement: Any, params: Any = None) -> list[Any]:
    """Run one statement and return all its rows (pages fetched as needed)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[list[Any]] = loop.create_future()
    rows: list[Any] = []
    future: ResponseFuture = session.execute_async(statement, params)

    def on_page(page: list[Any]) -> None:
        rows.extend(page or [])  # writes answer with no page at all
        if future.has_more_pages:
            future.start_fetching_next_page()
        else:
            loop.call_soon_threadsafe(_settle, done, rows, None)

    def on_error(exc: BaseException) -> None:
        loop.call_soon_threadsafe(_settle, done, None, exc)

    future.add_callbacks(on_page, on_error)
    return await done


async def execute_together(session: Session, statements: list[tuple[Any, Any]]) -> None:
    """Independent, idempotent writes in one request (an unlogged batch): one round trip
    and one request's client-side cost instead of one each. Not atomic, and not meant to
    be: each row stands on its own, so a partial write is finished by writing again."""
    batch = BatchStatement(batch_type=BatchType.UNLOGGED)
    for statement, params in statements:
        batch.add(statement, params)
    await execute(session, batch)


def _settle(done: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if done.done():
        return
    if error is not None:
        done.set_exception(error)
    else:
        done.set_result(result)


@lru_cache(maxsize=1024)
def _row_type(columns: tuple[str, ...]) -> type:
    return namedtuple("Row", [column.strip("[]") for column in columns], rename=True)


def _rows(columns: list[str], rows: list[Any]) -> list[Any]:
    """Rows as named tuples, like the driver's default factory, which builds a new
    namedtuple class for every result (5 % of a busy service's time went there)."""
    row_type = _row_type(tuple(columns))
    return [row_type(*row) for row in rows]


def create_tables(session: Session, keyspace: str, statements: list[str]) -> None:
    for statement in statements:
        session.execute(qualified(keyspace)(statement))


async def open_session(contact_points: str, keyspace: str, create_schema: Callable[[Session, str], None]) -> Session:
    """A session on a keyspace that has a store's tables (`create_schema`); both steps block,
    so they run off the event loop."""
    _, session = await asyncio.to_thread(connect, contact_points)
    await asyncio.to_thread(create_schema, session, keyspace)
    return session


def connect(contact_points: str, keyspace: str | None = None) -> tuple[Cluster, Session]:
    """`contact_points` is `host[:port]` or a comma-separated list of them."""
    hosts, port = [], 9042
    for point in contact_points.split(","):
        host, _, maybe_port = point.strip().split("://", 1)[-1].partition(":")
        hosts.append(host)
        port = int(maybe_port) if maybe_port else port
    profile = ExecutionProfile(load_balancing_policy=RoundRobinPolicy(), row_factory=_rows)
    cluster = Cluster(
        hosts,
        port=port,
        protocol_version=5,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
        # The driver leaves Nagle's algorithm on: a request over ~4 KiB goes out in two
        # segments, and the second waits for the server's delayed ACK, 40 ms, every time.
        sockopts=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
    )
    return cluster, cluster.connect(keyspace)
