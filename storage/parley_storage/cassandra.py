"""cassandra-driver from asyncio: the driver's futures resolved on the event loop.

A statement that Cassandra does not answer within the session's request timeout, or
that finds no node to run on, fails with `StoreUnavailable`, a `TimeoutError`: the bus
answers it as `unavailable`, which clients retry. A write that timed out may still be
applied when the node wakes; the retry, carrying the same idempotency key, then finds it.

Each request costs the client more than the rows it carries (half of a busy service's
time went to the driver's per-request work), so what many callers ask within one loop
turn is asked together (`PerTurn`): their writes as few batches (`WritesPerTurn`), their
reads of one table as few `IN` reads (`in_reads`).
"""

import asyncio
import math
import re
import socket
import ssl
from collections import namedtuple
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any, Generic, TypeVar

import structlog
from cassandra import ConsistencyLevel, OperationTimedOut
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, NoHostAvailable, ResponseFuture, Session
from cassandra.connection import Timer
from cassandra.policies import RoundRobinPolicy
from cassandra.query import BatchStatement, BatchType, PreparedStatement

from .metrics import timed

log = structlog.get_logger("parley.cassandra")
LAZY_WRITE_S = 0.2


class StoreUnavailable(TimeoutError):
    """Cassandra did not answer in time, or no node could take the statement."""


def qualified(keyspace: str) -> Callable[[str], str]:
    """Prefixes table names in a statement with the keyspace."""
    return lambda cql: re.sub(r"\b(FROM|INTO|UPDATE|TABLE IF NOT EXISTS|ALTER TABLE) (\w+)", rf"\1 {keyspace}.\2", cql)


def preparer(session: Session, keyspace: str, name: str) -> Callable[..., PreparedStatement]:
    """Prepares one store's statements: `{t}` names its table prefix; a quorum of
    replicas by default, so a write acknowledged is seen by the next quorum read."""

    def prepare(cql: str, consistency: int = ConsistencyLevel.LOCAL_QUORUM) -> PreparedStatement:
        statement = session.prepare(qualified(keyspace)(cql.replace("{t}", name)))
        statement.consistency_level = consistency
        return statement

    return prepare


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
            _let_go(future)
            loop.call_soon_threadsafe(_settle, done, rows, None)

    def on_error(exc: BaseException) -> None:
        _let_go(future)
        if isinstance(exc, OperationTimedOut | NoHostAvailable):
            exc = StoreUnavailable(f"Cassandra did not answer: {type(exc).__name__}")
        loop.call_soon_threadsafe(_settle, done, None, exc)

    future.add_callbacks(on_page, on_error)
    with timed("cassandra", "batch" if isinstance(statement, BatchStatement) else "statement"):
        return await done


def _let_go(future: ResponseFuture) -> None:
    """Lets an answered request be freed at once, by reference counting.

    Two reference cycles would keep it for the cyclic garbage collector: its callbacks
    (`execute`'s closures) hold it, and so does its cancelled timeout (the timer's callback
    is a method of the request). Each request holds its statement, values and rows, about
    150 objects: under load chat then ran a young collection twice a second, each pausing
    its event loop 10-30 ms (once 107 ms), 1.6 s of pauses in one run of the persistence
    bench."""
    future.clear_callbacks()
    timer = future._timer  # the driver offers no other way to its timer
    if isinstance(timer, Timer):
        timer.callback = _nothing  # cancelled: never called, and no longer holding the request


def _nothing() -> None:
    pass


async def execute_together(session: Session, statements: list[tuple[Any, Any]]) -> None:
    """Writes in one request (an unlogged batch, at LOCAL_QUORUM): one round trip and one
    request's client-side cost instead of one each. Atomic only within a partition (its
    rows of the batch apply at once): each partition's rows stand on their own, so a
    partial write is finished, or superseded, by writing again. A statement may carry its
    own `USING TIMESTAMP`; the others get the request's."""
    batch = BatchStatement(batch_type=BatchType.UNLOGGED, consistency_level=ConsistencyLevel.LOCAL_QUORUM)
    for statement, params in statements:
        batch.add(statement, params)
    await execute(session, batch)


Result = TypeVar("Result")


async def together(calls: Sequence[Awaitable[Result]]) -> list[Result | BaseException]:
    """Each call's result, or the exception it raised, once all are done. Futures (a
    `PerTurn`'s answers, under way already) and a single coroutine are awaited in place,
    one after another; only several coroutines go through `asyncio.gather`. A task of
    gather's for a call and its own completion each cost a loop iteration: on a busy loop,
    milliseconds of every post's few round trips."""
    if len(calls) > 1 and not all(isinstance(call, asyncio.Future) for call in calls):
        return await asyncio.gather(*calls, return_exceptions=True)
    outcomes: list[Result | BaseException] = []
    for call in calls:
        try:
            outcomes.append(await call)
        except Exception as exc:
            outcomes.append(exc)
    return outcomes


async def all_of(calls: Sequence[Awaitable[Result]]) -> list[Result]:
    """What each call returns, once all are done; the first failure is raised."""
    outcomes = await together(calls)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return outcomes  # type: ignore[return-value]  # none is an exception, as checked above


Item = TypeVar("Item")
Answer = TypeVar("Answer")
Write = tuple[Any, Any]
"""A statement and its parameters."""


class PerTurn(Generic[Item, Answer]):
    """Calls made within one loop turn, by any caller, served together: one call of
    `serve` over all their items, which answers each item in order (its result, or the
    error its caller hears).

    A call returns a future to await, not a coroutine: a caller that asks several
    `PerTurn`s at once (an append's marks and key read) awaits their answers in place
    (`together`), without a task for each."""

    def __init__(self, serve: Callable[[list[Item]], Awaitable[list[Answer | BaseException]]]):
        self._serve = serve
        self._items: list[Item] = []
        self._callers: list[asyncio.Future[Answer]] = []
        self._turn: asyncio.Task[None] | None = None

    def __call__(self, item: Item) -> asyncio.Future[Answer]:
        caller: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._items.append(item)
        self._callers.append(caller)
        if self._turn is None:
            self._turn = asyncio.create_task(self._serve_turn())
        return caller

    async def _serve_turn(self) -> None:
        await asyncio.sleep(0)  # let this turn's other callers join
        items, callers = self._items, self._callers
        self._items, self._callers, self._turn = [], [], None
        try:
            answers = await self._serve(items)
        except Exception as exc:
            answers = [exc] * len(items)
        for caller, answer in zip(callers, answers, strict=True):
            if caller.done():  # the caller stopped waiting (cancelled)
                continue
            if isinstance(answer, BaseException):
                caller.set_exception(answer)
            else:
                caller.set_result(answer)


BATCH_BYTES = 32 * 1024
"""About how many bytes one batch of `WritesPerTurn` carries at most (`_weight`). Cassandra
refuses a batch of several partitions past its `batch_size_fail_threshold` (50 KiB by
default), counted on the rows as stored; a batch of one partition (a stream's rows) is
never refused."""


class WritesPerTurn:
    """Writes made within one loop turn, by any caller (a stream's log rows, outbox marks,
    projection rows), go out together: unlogged batches of about `BATCH_BYTES` each, over
    any tables and partitions (`execute_together`). A caller's writes stay in one batch, so
    its rows of one partition apply at once; each caller hears whether its batch went in.

    Writes whose loss costs nothing but a repeat (clearing outbox marks: a mark left behind
    is one harmless re-publish) need not cost a request of their own, which at a few posts
    per loop turn was one of a post's five: `write_soon` has them ride with the next turn's
    writes, or go alone within `LAZY_WRITE_S`."""

    def __init__(self, session: Session):
        self._session = session
        self._turn: PerTurn[list[Write], None] = PerTurn(self._write_all)
        self._soon: list[Write] = []
        self._lone: asyncio.TimerHandle | None = None
        self._flushing: set[asyncio.Task[None]] = set()
        """Lone flushes under way, referenced so that none is collected before it is done."""

    def write(self, writes: list[Write]) -> asyncio.Future[None]:
        """Whether the writes went in, to await (a `PerTurn` answer)."""
        return self._turn(writes)

    def write_soon(self, writes: list[Write]) -> None:
        """Queues writes for the next turn's batches, at the latest `LAZY_WRITE_S` from now;
        a failure is logged, not raised."""
        self._soon.extend(writes)
        if self._soon and self._lone is None:
            self._lone = asyncio.get_running_loop().call_later(LAZY_WRITE_S, self._write_alone)

    def _write_alone(self) -> None:
        self._lone = None
        if self._soon:
            flushing = asyncio.create_task(self.flush())
            self._flushing.add(flushing)
            flushing.add_done_callback(self._flushing.discard)

    async def flush(self) -> None:
        """Writes what `write_soon` queued, now."""
        if self._soon:
            await self._turn([])

    async def _write_all(self, callers: list[list[Write]]) -> list[BaseException | None]:
        soon, self._soon = self._soon, []
        if self._lone is not None:  # they ride with this turn's writes
            self._lone.cancel()
            self._lone = None
        answers = await self._write_batches([*callers, *([write] for write in soon)])
        failed = [answer for answer in answers[len(callers) :] if answer is not None]
        if failed:
            log.warning("lazy_writes_failed", count=len(failed), error=type(failed[0]).__name__)
        return answers[: len(callers)]

    async def _write_batches(self, callers: list[list[Write]]) -> list[BaseException | None]:
        batches: list[list[int]] = []
        size = 0
        for index, writes in enumerate(callers):
            if not writes:  # nothing to send (a flush with nothing queued): None, as answered
                continue
            weight = sum(_weight(params) for _, params in writes)
            if not batches or size + weight > BATCH_BYTES:  # a caller's writes heavier than a batch go alone
                batches.append([])
                size = 0
            batches[-1].append(index)
            size += weight
        outcomes = await together(
            [execute_together(self._session, [w for i in batch for w in callers[i]]) for batch in batches]
        )
        answers: list[BaseException | None] = [None] * len(callers)
        for batch, outcome in zip(batches, outcomes, strict=True):
            for index in batch:
                answers[index] = outcome
        return answers


def _weight(params: Iterable[Any]) -> int:
    """A statement's row's size as Cassandra counts it, roughly: texts by their length,
    any other value 8 bytes, and 48 for the row's own keys and cell headers (what most of
    a small row, an outbox mark, weighs)."""
    return 48 + sum(len(value) if isinstance(value, str | bytes) else 8 for value in params)


IN_PRODUCT = 512
"""The most rows one `in_reads` read looks up: Cassandra looks up every combination of
its `IN` lists, so the lists of many callers together are cut where their product grows
past this."""


def in_reads(
    asks: list[Item], values_of: Callable[[Item], tuple[Iterable[Any], ...]]
) -> list[tuple[list[Item], list[list[Any]]]]:
    """The asks of a turn cut into reads of one statement with `IN` on each of its columns
    (`values_of`: an ask's values for each), each looking up at most `IN_PRODUCT` rows
    unless one ask alone needs more: each read's asks and its `IN` lists."""
    reads: list[tuple[list[Item], list[dict[Any, None]]]] = []
    for ask in asks:
        values = [dict.fromkeys(column) for column in values_of(ask)]
        if reads:
            asked, columns = reads[-1]
            grown = [
                len(have) + sum(value not in have for value in new) for have, new in zip(columns, values, strict=True)
            ]
            if math.prod(grown) <= IN_PRODUCT:
                asked.append(ask)
                for have, new in zip(columns, values, strict=True):
                    have.update(new)
                continue
        reads.append(([ask], values))
    return [(asked, [list(column) for column in columns]) for asked, columns in reads]


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
