"""Cassandra adapter of the event log: group commit on a per-bucket sequencer.

A stream's events live in buckets of `bucket_size` seqs, one partition each, so no
partition grows without limit. Each bucket partition has a static `head`, its last
seq. Appends to a stream that wait at the same time in one process go out together as
one conditional batch on that partition: `IF head = n` (`IF head = null` for a new
bucket) sets the head to `n + k` and writes the k event rows. One Paxos round commits
the whole group, so a busy stream costs one round per group, not one per event, and
the condition on the head keeps seqs gap-free and unique across processes: a writer
that loses learns the current head from the failed batch and tries again above it.

Idempotency keys are rows of the same partition, at negative clustering positions
(`-hash(key)`), inserted `IF NOT EXISTS` in the same batch, so a key and its event are
committed together or not at all, and two processes committing the same key at once
cannot both win. A bucket is immutable once its head reaches its end, so a key is
looked up in the bucket being written and in the one before it: a retry is recognised
within the last `bucket_size` to `2 * bucket_size` events of its stream (10,000 to
20,000 by default), as JetStream recognises a re-published message id within its
duplicate window.

`CassandraEventStore` is the base of a service's store kept so.

While Cassandra does not answer, appends fail at once (`breaker`) rather than queue
behind a stalled node; a probe tells when it answers again.

The outbox marks of a group are written (one partition, one batch) before the group's
batch, so a crash after the commit still leaves every event to be handed back by
`unsettled`. Marks cleared by `mark_published` within one loop turn go out together too.
"""

import asyncio
import hashlib
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic

import structlog
from cassandra import ConsistencyLevel, WriteTimeout
from cassandra.cluster import Session
from cassandra.query import BatchStatement, BatchType, PreparedStatement
from pydantic import TypeAdapter

from .breaker import Breaker
from .buckets import BUCKET_SIZE, BucketedRows
from .cassandra import StoreUnavailable, execute, execute_together, qualified
from .event_log import Appended, Event, LoggedStore, Stream, new_epoch

log = structlog.get_logger("parley.event_log")
OUTBOX_SHARDS = 16
MAX_GROUP = 100
"""Events one conditional batch carries at most; bigger batches only grow the Paxos round."""
PROBE_TIMEOUT_S = 0.5


def shard_of(stream: str) -> int:
    return zlib.crc32(stream.encode()) % OUTBOX_SHARDS


def key_position(key: str) -> int:
    """Where a key's row sits in its bucket: negative, so it never mixes with events (seq >= 1)."""
    return -1 - (int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") >> 1)


def event_log_tables(name: str) -> list[str]:
    return [
        f"""CREATE TABLE IF NOT EXISTS {name}_log (
            stream text, bucket int, seq bigint, head bigint static, epoch text static, body text, key text, ref bigint,
            PRIMARY KEY ((stream, bucket), seq))""",
        f"""CREATE TABLE IF NOT EXISTS {name}_outbox (
            shard int, stream text, seq bigint, marked_at timestamp, PRIMARY KEY (shard, stream, seq))""",
        f"ALTER TABLE {name}_log ADD IF NOT EXISTS epoch text static",  # a log made before epochs
    ]


@dataclass
class _Pending:
    build: Callable[[int], Any]
    key: str | None
    done: asyncio.Future[Appended[Any]] = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    def settle(self, outcome: Appended[Any] | None = None, error: BaseException | None = None) -> None:
        """Tells the appender, unless it stopped waiting (its request was cancelled)."""
        if self.done.done():
            return
        if error is not None:
            self.done.set_exception(error)
        elif outcome is not None:
            self.done.set_result(outcome)


class CassandraEventLog(Generic[Event]):
    def __init__(
        self, session: Session, keyspace: str, name: str, codec: TypeAdapter[Event], bucket_size: int = BUCKET_SIZE
    ):
        """`name` prefixes the tables, created beforehand from `event_log_tables(name)`."""
        self._session = session
        self._codec = codec
        self._bucket_size = bucket_size
        self._heads: dict[str, int] = {}  # a hint only: the batch's condition decides
        self._waiting: defaultdict[str, list[_Pending]] = defaultdict(list)
        self._committers: dict[str, asyncio.Task[None]] = {}
        self._unmarks: list[tuple[int, str, int]] = []
        self._unmarking: asyncio.Future[None] | None = None
        self.breaker = Breaker(
            lambda: execute(session, "SELECT release_version FROM system.local", timeout_s=PROBE_TIMEOUT_S)
        )

        def prepare(cql: str, consistency: int | None = None) -> Any:
            statement = session.prepare(qualified(keyspace)(cql.replace("{t}", name)))
            if consistency is not None:
                statement.consistency_level = consistency
            return statement

        self._open_bucket = prepare("UPDATE {t}_log SET head = ? WHERE stream = ? AND bucket = ? IF head = null")
        self._open_stream = prepare(
            "UPDATE {t}_log SET head = ?, epoch = ? WHERE stream = ? AND bucket = 0 IF head = null"
        )
        self._epoch_of = prepare("SELECT epoch FROM {t}_log WHERE stream = ? AND bucket = 0 LIMIT 1")
        self._advance = prepare("UPDATE {t}_log SET head = ? WHERE stream = ? AND bucket = ? IF head = ?")
        self._write_event = prepare("INSERT INTO {t}_log (stream, bucket, seq, body) VALUES (?, ?, ?, ?)")
        self._claim_key = prepare(
            "INSERT INTO {t}_log (stream, bucket, seq, key, ref) VALUES (?, ?, ?, ?, ?) IF NOT EXISTS"
        )
        self._head_of = prepare("SELECT head FROM {t}_log WHERE stream = ? AND bucket = ? LIMIT 1")
        self._head_serial = prepare(
            "SELECT head FROM {t}_log WHERE stream = ? AND bucket = ? LIMIT 1", ConsistencyLevel.SERIAL
        )
        self._event_serial = prepare(
            "SELECT body FROM {t}_log WHERE stream = ? AND bucket = ? AND seq = ?", ConsistencyLevel.SERIAL
        )
        self._keys_in = prepare("SELECT seq, key, ref FROM {t}_log WHERE stream = ? AND bucket = ? AND seq IN ?")
        self._event_at = prepare("SELECT body FROM {t}_log WHERE stream = ? AND bucket = ? AND seq = ?")
        self._rows = BucketedRows(session, keyspace, f"{name}_log", "stream", bucket_size=bucket_size)
        self._mark = prepare("INSERT INTO {t}_outbox (shard, stream, seq, marked_at) VALUES (?, ?, ?, ?)")
        self._unmark = prepare("DELETE FROM {t}_outbox WHERE shard = ? AND stream = ? AND seq = ?")
        self._outbox_shard = prepare("SELECT stream, seq, marked_at FROM {t}_outbox WHERE shard = ?")

    def _dump(self, event: Event) -> str:
        return self._codec.dump_json(event, exclude_none=True, by_alias=True).decode()

    # Appending ---------------------------------------------------------------------

    async def append(self, stream: Stream, build: Callable[[int], Event], key: str | None = None) -> Appended[Event]:
        stream = str(stream)
        self.breaker.check()
        pending = _Pending(build, key)
        self._waiting[stream].append(pending)
        if stream not in self._committers:
            self._committers[stream] = asyncio.create_task(self._commit_waiting(stream))
        return await pending.done

    async def _commit_waiting(self, stream: str) -> None:
        """Commits the stream's waiting appends, a group at a time, until none wait."""
        try:
            while self._waiting[stream]:
                group, self._waiting[stream] = _next_group(self._waiting[stream])
                try:
                    self.breaker.check()
                    await self._commit(stream, group)
                except Exception as exc:  # the store failed: every append of the group hears it
                    if isinstance(exc, StoreUnavailable):
                        self.breaker.trip()
                    for pending in group:
                        pending.settle(error=exc)
        finally:
            del self._committers[stream]
            if not self._waiting[stream]:
                del self._waiting[stream]

    async def _commit(self, stream: str, group: list[_Pending]) -> None:
        head = self._heads[stream] if stream in self._heads else await self.head(stream)
        while group:
            bucket = self._rows.bucket(head + 1)
            room = (bucket + 1) * self._bucket_size - head
            batch, rest = group[:room], group[room:]
            batch = await self._drop_known_keys(stream, bucket - 1, batch)
            if not batch:
                group = rest
                continue
            events = [(head + n, pending.build(head + n)) for n, pending in enumerate(batch, start=1)]
            committed, current = await self._try_batch(stream, bucket, head, batch, events)
            if committed:
                self._heads[stream] = head = head + len(batch)
                for pending, (_, event) in zip(batch, events, strict=True):
                    pending.settle(Appended(event, duplicate=False))
                group = rest
                continue
            head = current
            group = [pending for pending in group if not pending.done.done()]

    async def _drop_known_keys(self, stream: str, bucket: int, batch: list[_Pending]) -> list[_Pending]:
        """Resolves appends whose key is in the (closed) bucket before the one written now."""
        positions = [key_position(p.key) for p in batch if p.key is not None]
        if bucket < 0 or not positions:
            return batch
        await self._settle_duplicates(
            stream, batch, await execute(self._session, self._keys_in, (stream, bucket, positions))
        )
        return [pending for pending in batch if not pending.done.done()]

    async def _settle_duplicates(self, stream: str, batch: list[_Pending], rows: list[Any]) -> None:
        """Answers the appends of `batch` whose key one of these key rows holds with its original event."""
        keyed = {key_position(p.key): p for p in batch if p.key is not None}
        for row in rows:
            pending = keyed.get(row.seq)
            if pending is not None and getattr(row, "key", None) == pending.key:
                pending.settle(Appended(await self._event(stream, row.ref), duplicate=True))

    async def _try_batch(
        self, stream: str, bucket: int, head: int, batch: list[_Pending], events: list[tuple[int, Event]]
    ) -> tuple[bool, int]:
        """Whether the batch committed, and if not the current head; appends whose key was
        used before are answered as duplicates."""
        marked_at, shard = datetime.now(UTC), shard_of(stream)
        await execute_together(self._session, [(self._mark, (shard, stream, seq, marked_at)) for seq, _ in events])

        commit = BatchStatement(batch_type=BatchType.UNLOGGED)
        new_head = head + len(events)
        if head == 0:  # the stream's first bucket holds its epoch
            commit.add(self._open_stream, (new_head, new_epoch(), stream))
        elif head == bucket * self._bucket_size:
            commit.add(self._open_bucket, (new_head, stream, bucket))
        else:
            commit.add(self._advance, (new_head, stream, bucket, head))
        for (seq, event), pending in zip(events, batch, strict=True):
            commit.add(self._write_event, (stream, bucket, seq, self._dump(event)))
            if pending.key is not None:
                commit.add(self._claim_key, (stream, bucket, key_position(pending.key), pending.key, seq))
        try:
            rows = await execute(self._session, commit)
        except WriteTimeout:
            return await self._resolve_timeout(stream, bucket, head, events)
        if rows[0].applied:
            return True, head
        await self._settle_duplicates(stream, batch, rows)
        current = next((row.head for row in rows if row.head is not None), None)
        return False, bucket * self._bucket_size if current is None else current  # None: the bucket is not open

    async def _resolve_timeout(
        self, stream: str, bucket: int, head: int, events: list[tuple[int, Event]]
    ) -> tuple[bool, int]:
        """A conditional batch that timed out may or may not have been applied: a SERIAL read
        finishes any round in progress and tells which."""
        first_seq, first_event = events[0]
        rows = await execute(self._session, self._event_serial, (stream, bucket, first_seq))
        if rows and rows[0].body == self._dump(first_event):
            return True, head
        rows = await execute(self._session, self._head_serial, (stream, bucket))
        current = rows[0].head if rows and rows[0].head is not None else bucket * self._bucket_size
        return False, max(current, head)

    # Reading -----------------------------------------------------------------------

    async def _event(self, stream: str, seq: int) -> Event | None:
        rows = await execute(self._session, self._event_at, (stream, self._rows.bucket(seq), seq))
        return self._codec.validate_json(rows[0].body) if rows and rows[0].body is not None else None

    async def events(self, stream: Stream, after_seq: int, limit: int) -> list[Event]:
        stream = str(stream)
        rows = await self._rows.after(stream, await self.head(stream), after_seq, limit)
        return [self._codec.validate_json(row.body) for row in rows]

    async def head(self, stream: Stream) -> int:
        """Walks buckets forward from the last head this process saw."""
        stream = str(stream)
        head = self._heads.get(stream, 0)
        bucket = self._rows.bucket(head + 1)
        while True:
            rows = await execute(self._session, self._head_of, (stream, bucket))
            if not rows or rows[0].head is None:
                break
            head = max(head, rows[0].head)
            if head < (bucket + 1) * self._bucket_size:
                break
            bucket += 1
        self._heads[stream] = head
        return head

    async def epoch(self, stream: Stream) -> str:
        rows = await execute(self._session, self._epoch_of, (str(stream),))
        return str(rows[0].epoch or "") if rows else ""

    # The outbox --------------------------------------------------------------------

    async def mark_published(self, stream: Stream, seq: int) -> None:
        """Clears the mark; the marks cleared within one loop turn go out as one batch per shard.
        A failure is logged, not raised: the event is out, and a mark left behind only
        means one harmless re-publish."""
        stream = str(stream)
        self._unmarks.append((shard_of(stream), stream, seq))
        if self._unmarking is None:
            self._unmarking = asyncio.ensure_future(self._clear_marks())
        await asyncio.shield(self._unmarking)

    async def _clear_marks(self) -> None:
        await asyncio.sleep(0)  # let this turn's other publishers join
        marks, self._unmarks, self._unmarking = self._unmarks, [], None
        by_shard: defaultdict[int, list[tuple[Any, tuple[int, str, int]]]] = defaultdict(list)
        for mark in marks:
            by_shard[mark[0]].append((self._unmark, mark))
        try:
            await asyncio.gather(*(execute_together(self._session, cleared) for cleared in by_shard.values()))
        except Exception as exc:  # the events are published: a mark left behind costs one re-publish
            log.warning("outbox_marks_not_cleared", count=len(marks), error=str(exc))

    async def unsettled(self, older_than: datetime, limit: int) -> list[Event]:
        found: list[Event] = []
        for shard in range(OUTBOX_SHARDS):
            for mark in await execute(self._session, self._outbox_shard, (shard,)):
                if mark.marked_at.replace(tzinfo=UTC) >= older_than:
                    continue
                event = await self._event(mark.stream, mark.seq)
                if event is None:
                    # The writer died before its commit, or lost the seq to a writer whose
                    # own mark this was and who has settled it since: nothing is owed.
                    await execute(self._session, self._unmark, (shard, mark.stream, mark.seq))
                    continue
                found.append(event)
                if len(found) >= limit:
                    return found
        return found


def _next_group(waiting: list[_Pending]) -> tuple[list[_Pending], list[_Pending]]:
    """The appends of the next batch, and those left waiting: beyond `MAX_GROUP`, or
    repeating a key of the batch (the next batch finds that key used and reports a duplicate)."""
    group: list[_Pending] = []
    later: list[_Pending] = []
    keys: set[str] = set()
    for pending in waiting:
        if len(group) >= MAX_GROUP or pending.key in keys:
            later.append(pending)
            continue
        group.append(pending)
        if pending.key is not None:
            keys.add(pending.key)
    return group, later


class CassandraEventStore(LoggedStore[Event]):
    """Base of a service's store on Cassandra: its event log (tables `<name>_*`) and the
    projection's tables in one keyspace; `settle` writes the projection."""

    def __init__(self, session: Session, keyspace: str, name: str, codec: "TypeAdapter[Event]"):
        self._session = session
        self._keyspace = keyspace
        self._log = CassandraEventLog(session, keyspace, name, codec)

    def _prepare(self, cql: str) -> PreparedStatement:
        return self._session.prepare(qualified(self._keyspace)(cql))

    async def ping(self) -> bool:
        return bool(await execute(self._session, "SELECT release_version FROM system.local"))

    async def close(self) -> None:
        self._session.cluster.shutdown()
