"""cassandra-driver from asyncio: the driver's futures resolved on the event loop.

A statement that Cassandra does not answer within the session's request timeout, or
that finds no node to run on, fails with `StoreUnavailable`, a `TimeoutError`: the bus
answers it as `unavailable`, which clients retry. A write that timed out may still be
applied when the node wakes; the retry, carrying the same idempotency key, then finds it.
"""

import asyncio
import re
import socket
import ssl
from collections import namedtuple
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from cassandra import OperationTimedOut
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, NoHostAvailable, ResponseFuture, Session
from cassandra.policies import RoundRobinPolicy
from cassandra.query import BatchStatement, BatchType

from .metrics import timed


class StoreUnavailable(TimeoutError):
    """Cassandra did not answer in time, or no node could take the statement."""


def qualified(keyspace: str) -> Callable[[str], str]:
    """Prefixes table names in a statement with the keyspace."""
    return lambda cql: re.sub(r"\b(FROM|INTO|UPDATE|TABLE IF NOT EXISTS|ALTER TABLE) (\w+)", rf"\1 {keyspace}.\2", cql)


async def execute(session: Session, statement: Any, params: Any = None, timeout_s: float | None = None) -> list[Any]:
    """Run one statement and return all its rows (pages fetched as needed); `timeout_s`
    overrides the session's request timeout."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[list[Any]] = loop.create_future()
    rows: list[Any] = []
    timeout = {} if timeout_s is None else {"timeout": timeout_s}
    future: ResponseFuture = session.execute_async(statement, params, **timeout)

    def on_page(page: list[Any]) -> None:
        rows.extend(page or [])  # writes answer with no page at all
        if future.has_more_pages:
            future.start_fetching_next_page()
        else:
            loop.call_soon_threadsafe(_settle, done, rows, None)

    def on_error(exc: BaseException) -> None:
        if isinstance(exc, OperationTimedOut | NoHostAvailable):
            exc = StoreUnavailable(f"Cassandra did not answer: {type(exc).__name__}")
        loop.call_soon_threadsafe(_settle, done, None, exc)

    future.add_callbacks(on_page, on_error)
    with timed("cassandra", "batch" if isinstance(statement, BatchStatement) else "statement"):
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


SCHEMA_TIMEOUT_S = 60.0
"""Schema changes wait for every node to agree: far longer than a request's timeout."""


def create_tables(session: Session, keyspace: str, statements: list[str]) -> None:
    for statement in statements:
        session.execute(qualified(keyspace)(statement), timeout=SCHEMA_TIMEOUT_S)


async def open_session(settings: Any, create_schema: Callable[[Session, str], None]) -> Session:
    """A session, from a service's `CassandraFields` settings, on its keyspace with a
    store's tables (`create_schema`); both steps block, so they run off the event loop."""
    _, session = await asyncio.to_thread(connect_with, settings)
    await asyncio.to_thread(create_schema, session, settings.cassandra_keyspace)
    return session


def connect(
    contact_points: str, keyspace: str | None = None, user: str = "", password: str = "", tls_ca_file: str | None = None
) -> tuple[Cluster, Session]:
    """`contact_points` is `host[:port]` or a comma-separated list of them."""
    made = cluster(contact_points, user, password, tls_ca_file)
    return made, made.connect(keyspace)


def cluster(
    contact_points: str,
    user: str = "",
    password: str = "",
    tls_ca_file: str | None = None,
    request_timeout_s: float = 10.0,
) -> Cluster:
    """The driver's cluster, not yet connected. `user` turns on PasswordAuthenticator
    credentials; `tls_ca_file` (`""`: the system's CAs) turns on TLS, verifying the nodes'
    certificates against it."""
    hosts, port = [], 9042
    for point in contact_points.split(","):
        host, _, maybe_port = point.strip().split("://", 1)[-1].partition(":")
        hosts.append(host)
        port = int(maybe_port) if maybe_port else port
    profile = ExecutionProfile(
        load_balancing_policy=RoundRobinPolicy(), row_factory=_rows, request_timeout=request_timeout_s
    )
    return Cluster(
        hosts,
        port=port,
        protocol_version=5,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
        # The driver leaves Nagle's algorithm on: a request over ~4 KiB goes out in two
        # segments, and the second waits for the server's delayed ACK, 40 ms, every time.
        sockopts=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
        auth_provider=PlainTextAuthProvider(user, password) if user else None,
        ssl_context=tls_context(tls_ca_file) if tls_ca_file is not None else None,
    )


def cluster_with(settings: Any) -> Cluster:
    """`cluster` from a service's `CassandraFields` settings."""
    tls_ca_file = settings.cassandra_tls_ca_file if settings.cassandra_tls else None
    return cluster(
        settings.cassandra_hosts,
        settings.cassandra_user,
        settings.cassandra_password,
        tls_ca_file,
        settings.cassandra_request_timeout_s,
    )


def connect_with(settings: Any, keyspace: str | None = None) -> tuple[Cluster, Session]:
    made = cluster_with(settings)
    return made, made.connect(keyspace)


def tls_context(ca_file: str) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file or None)
    # A cluster is reached by many names and addresses; the chain is what is checked.
    context.check_hostname = False
    return context
