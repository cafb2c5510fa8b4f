"""Cassandra adapter of the event log: plain writes by the stream's lease holder.

A stream's events live in buckets of `bucket_size` seqs, one partition each, so no
partition grows without limit. Each bucket partition has a static `head`, its last seq
(the first bucket also the stream's `epoch`).

One process at a time writes a stream: the holder of its lease (`leases`), taken with
one conditional write and renewed in the background while the stream is busy. While it
holds the lease, the appends waiting on the stream form a group, written as plain rows
on the bucket's partition: the event rows, their idempotency keys and the new head,
every write timestamped by the lease (`Lease.timestamp`), so the write of an old holder
that lands late (paused, partitioned, its lease lapsed) loses to the new holder's, cell
by cell. The groups of every stream written within one loop turn go out together, in one
unlogged batch (`WritesPerTurn`; a stream's rows are one partition's, so they apply at
once, whatever happens to the others'). Each group is acknowledged only if the batch
completed before its own stream's lease deadline. A process that takes a lease reads
the head (everything its predecessor acknowledged is in) and writes it back at its own
timestamp, so a predecessor's late head never shows; readers trust no row past the head.

Idempotency keys are rows of the same partition, at negative clustering positions
(`-hash(key)`), holding the key and the seq of its event (`ref`); each event row holds
its key too. The holder, the one writer, looks the group's keys up before writing them
(the keys of every group of a loop turn in one read, `in_reads`): a key row counts only
if the event at its `ref` (at or below the head) carries the same key, since a
fenced-out late write may have left a key row whose seq another event took. A bucket
is immutable once its head reaches its end, so a key is looked up in the bucket being
written and in the one before it: a retry is recognised within the last
`bucket_size` to `2 * bucket_size` events of its stream (10,000 to 20,000 by default),
as JetStream recognises a re-published message id within its duplicate window.

`CassandraEventStore` is the base of a service's store kept so.

While Cassandra does not answer, appends fail at once (`breaker`) rather than queue
behind a stalled node; a probe tells when it answers again.

The outbox marks of a group (`outbox_cassandra`) are written before the group's rows,
so a crash after the write still leaves every event to be handed back by `unsettled`:
not in the same batch, which is not atomic across partitions. Marks written within one loop
turn go out together with the turn's other writes; marks cleared by `mark_published`
ride with the next turn's.
"""

import asyncio
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic

import structlog
from cassandra import WriteTimeout
from cassandra.cluster import Session
from cassandra.query import PreparedStatement
from pydantic import TypeAdapter

from .breaker import Breaker
from .buckets import BUCKET_SIZE, BucketedRows
from .cassandra import (
    PerTurn,
    StoreUnavailable,
    Write,
    WritesPerTurn,
    all_of,
    execute,
    in_reads,
    preparer,
    qualified,
    together,
)
from .event_log import Appended, Event, LoggedStore, Stream, new_epoch, stored_form
from .leases import DEFAULT_TERMS, Lease, LeaseLost, Leases, LeaseTerms, lease_table, now_us
from .outbox_cassandra import CassandraOutbox, outbox_tables

log = structlog.get_logger("parley.event_log")
MAX_GROUP = 100
"""Events one batch carries at most."""
PROBE_TIMEOUT_S = 0.5
REMEMBERED_PROJECTED = 10_000
"""Events projected with their log rows and not settled yet, remembered at most: each is
settled right after its append, and one forgotten is only checked by a read."""


TERM_BITS = 24
"""The low bits of a projection row's write timestamp (`projection_stamp`)."""


def projection_stamp(seq: int, term: int | None = None) -> int:
    """The write timestamp of a projection row for the event at `seq`: seq-major, so a later
    event's row always wins. A row written with the event's log rows (`project`) carries the
    lease `term` it was written under in the low bits; one written by `settle` the highest
    value there, so it wins over both. A row written with log rows that did not land (a
    *phantom*: the batch failed halfway) was written under a term below that of whoever
    writes that seq again, since a failed write gives up its lease (`_commit_waiting`).
    Seqs up to 2**39 fit in a timestamp."""
    low = (1 << TERM_BITS) - 1 if term is None else min(term, (1 << TERM_BITS) - 2)
    return (seq << TERM_BITS) + low


def key_position(key: str) -> int:
    """Where a key's row sits in its bucket: negative, so it never mixes with events (seq >= 1)."""
    return -1 - (int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") >> 1)


def event_log_tables(name: str) -> list[str]:
    return [
        f"""CREATE TABLE IF NOT EXISTS {name}_log (
            stream text, bucket int, seq bigint, head bigint static, epoch text static, body text, key text, ref bigint,
            PRIMARY KEY ((stream, bucket), seq))""",
        f"ALTER TABLE {name}_log ADD IF NOT EXISTS epoch text static",  # a log made before epochs
        lease_table(name),
        *outbox_tables(name),
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
        self, session: Session, keyspace: str, name: str, codec: TypeAdapter[Event], bucket_size: int = BUCKET_SIZE,
        terms: LeaseTerms = DEFAULT_TERMS, project: Callable[[Event, int], list[Write]] = lambda event, term: [],
    ):  # fmt: skip
        """`name` prefixes the tables, created beforehand from `event_log_tables(name)`.
        `project` gives the projection's writes of a new event that need no read, written
        together with its log rows at its lease's term (`projection_stamp`), so a post
        costs one round trip less; the store's `settle` then skips them (`projected`)."""
        self._session = session
        self._codec = codec
        self._bucket_size = bucket_size
        self._heads: dict[str, int] = {}  # the holder's head; a hint for anyone else
        self._waiting: defaultdict[str, list[_Pending]] = defaultdict(list)
        self._committers: dict[str, asyncio.Task[None]] = {}
        self.leases = Leases(session, keyspace, name, terms)
        self._renewing: dict[str, asyncio.Task[bool]] = {}
        self._keeper: asyncio.Task[None] | None = None
        self.mine: Callable[[str], bool] = lambda stream: True
        """Whether this process owns the stream among its service's copies (`follow_owners`)."""
        self.breaker = Breaker(
            lambda: execute(session, "SELECT release_version FROM system.local", timeout_s=PROBE_TIMEOUT_S)
        )

        prepare = preparer(session, keyspace, name)
        self._open_stream = prepare(
            "UPDATE {t}_log USING TIMESTAMP ? SET head = ?, epoch = ? WHERE stream = ? AND bucket = 0"
        )
        self._set_head = prepare("UPDATE {t}_log USING TIMESTAMP ? SET head = ? WHERE stream = ? AND bucket = ?")
        self._epoch_of = prepare("SELECT epoch FROM {t}_log WHERE stream = ? AND bucket = 0 LIMIT 1")
        self._write_event = prepare(
            "INSERT INTO {t}_log (stream, bucket, seq, body, key) VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ?"
        )
        self._write_key = prepare(
            "INSERT INTO {t}_log (stream, bucket, seq, key, ref) VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ?"
        )
        self._head_of = prepare("SELECT head FROM {t}_log WHERE stream = ? AND bucket = ? LIMIT 1")
        self._keys_in = prepare(
            "SELECT stream, bucket, seq, key, ref FROM {t}_log WHERE stream IN ? AND bucket IN ? AND seq IN ?"
        )
        self._keys_of: PerTurn[_KeyAsk, list[Any]] = PerTurn(self._read_keys)
        self._event_at = prepare("SELECT body, key FROM {t}_log WHERE stream = ? AND bucket = ? AND seq = ?")
        self._rows = BucketedRows(session, keyspace, f"{name}_log", "stream", "seq, body", bucket_size)
        self.together = WritesPerTurn(session)
        """This log's writes and its store's projection's, each loop turn's together."""
        self.outbox: CassandraOutbox[Event] = CassandraOutbox(session, keyspace, name)
        self._project = project
        self._projected: set[tuple[str, int]] = set()

    # Appending ---------------------------------------------------------------------

    async def append(self, stream: Stream, build: Callable[[int], Event], key: str | None = None) -> Appended[Event]:
        stream = str(stream)
        self.breaker.check()
        pending = _Pending(build, key)
        self._waiting[stream].append(pending)
        if stream not in self._committers:
            self._committers[stream] = asyncio.create_task(self._commit_waiting(stream))
        if self._keeper is None or self._keeper.done():
            self._keeper = asyncio.create_task(self._keep_leases())
        return await pending.done

    async def _commit_waiting(self, stream: str) -> None:
        """Writes the stream's waiting appends, a group at a time, until none wait."""
        try:
            while self._waiting[stream]:
                group, self._waiting[stream] = _next_group(self._waiting[stream])
                try:
                    self.breaker.check()
                    await self._commit(stream, group)
                except Exception as exc:  # the store failed: every append of the group hears it
                    self._heads.pop(stream, None)  # the write may land or not: read the head again
                    # ... under a new term: its projection rows, if they landed without the
                    # log's, lose to those of whatever takes their seqs (`projection_stamp`).
                    self.leases.written_unsure(stream)
                    if isinstance(exc, StoreUnavailable):
                        self.breaker.trip()
                    for pending in group:
                        pending.settle(error=exc)
        finally:
            del self._committers[stream]
            if not self._waiting[stream]:
                del self._waiting[stream]

    async def _lease(self, stream: str) -> Lease:
        """The stream's lease with time left for a write: held, renewed, or taken (reading
        the head and fencing out the previous holder's late writes). A renewal under way
        holds up no append while the lease has time left: until its deadline no other
        process can take the stream, renewed or not (a renewal's round trip is a Paxos
        round, tens of milliseconds under load, and every stream renews every half length)."""
        lease = self.leases.held.get(stream)
        if lease is not None and lease.left_us() > self.leases.terms.margin_us:
            lease.active = True
            return lease
        if stream in self._renewing:
            await asyncio.shield(self._renewing[stream])
            lease = self.leases.held.get(stream)
            if lease is not None and lease.left_us() > self.leases.terms.margin_us:
                return lease
        if lease is not None and await self.leases.renew(stream, lease):
            return lease
        lease = await self.leases.take(stream, self.leases.terms.patience_s, lambda: self.mine(stream))
        if lease.unbroken and stream in self._heads:  # no other holder since this process's last write
            return lease
        self._heads.pop(stream, None)
        try:
            await self._fence(stream, lease, await self.head(stream))
        except Exception:  # not written without the fence: the next append takes the lease again
            self.leases.forget(stream)
            raise
        return lease

    async def _fence(self, stream: str, lease: Lease, head: int) -> None:
        """Writes the head back at this holder's timestamp, so that a late head of the
        previous holder (one it never acknowledged) cannot show; a bucket not opened yet
        gets a tombstone instead."""
        if head == 0:
            await execute(self._session, self._open_stream, (lease.timestamp(), None, None, stream))
            return
        bucket = self._rows.bucket(head + 1)
        opened = head > bucket * self._bucket_size
        await execute(self._session, self._set_head, (lease.timestamp(), head if opened else None, stream, bucket))

    async def _commit(self, stream: str, group: list[_Pending]) -> None:
        lease, head, looked_up = await self._leased(stream, group)
        while group:
            room = self._room(head)
            batch, group = group[:room], group[room:]
            if looked_up is None:
                looked_up = await self._look_up(stream, head, batch)
            known, spare, looked_up = looked_up.known, looked_up.spare, None
            if not known:
                self.together.write_soon(self.outbox.unmarks(stream, spare))
                continue
            events = [(head + n, pending.build(head + n)) for n, pending in enumerate(known, start=1)]
            await self._write(stream, lease, head, events, [pending.key for pending in known], spare)
            self._heads[stream] = head = head + len(known)
            for pending, (_, event) in zip(known, events, strict=True):
                pending.settle(Appended(event, duplicate=False))

    async def _leased(self, stream: str, group: list[_Pending]) -> tuple[Lease, int, "_LookedUp | None"]:
        """The stream's lease and head, and the first batch's look-up if it could go out
        alongside the take: when this process held the stream last and takes it back
        (`Leases.taking_back`), the head it remembers holds unless another process held the
        stream in between, and a post into a channel idle for seconds, the usual post,
        saves a round trip. If another did, the look-up went by a stale head and is made
        again (the duplicates it found are duplicates still); its marks are cleared by the
        republisher (no event there) or name another's event (one harmless re-publish)."""
        head = self._heads.get(stream)
        if head is None or not self.leases.taking_back(stream):
            lease = await self._lease(stream)
            return lease, self._heads[stream] if stream in self._heads else await self.head(stream), None
        batch = group[: self._room(head)]
        taken, looked_up = await all_of([self._lease(stream), self._look_up(stream, head, batch)])
        assert isinstance(taken, Lease) and isinstance(looked_up, _LookedUp)
        if self._heads.get(stream) == head:
            return taken, head, looked_up
        return taken, await self.head(stream), None

    def _room(self, head: int) -> int:
        """How many events the bucket after `head` still takes."""
        return (self._rows.bucket(head + 1) + 1) * self._bucket_size - head

    async def _look_up(self, stream: str, head: int, batch: list[_Pending]) -> "_LookedUp":
        """The batch's marks and the read of its keys, which go out together, a round trip
        less: both must be in before the rows. A seq a duplicate leaves unused (`spare`)
        gets its mark cleared."""
        marked = range(head + 1, head + len(batch) + 1)
        keyed = {key_position(p.key): p for p in batch if p.key is not None}
        asked: list[asyncio.Future[Any]] = [self._mark(stream, marked)]
        if keyed:
            bucket = self._rows.bucket(head + 1)
            asked.append(self._keys_of(_KeyAsk(stream, range(max(bucket - 1, 0), bucket + 1), list(keyed))))
        _, *found = await all_of(asked)
        for rows in found:
            await self._answer_duplicates(stream, head, keyed, rows)
        known = [pending for pending in batch if not pending.done.done()]
        return _LookedUp(known, marked[len(known) :])

    async def _answer_duplicates(self, stream: str, head: int, keyed: dict[int, _Pending], rows: list[Any]) -> None:
        """Answers the appends whose key row was found (in the bucket written or the one
        before it) with the original event."""
        for row in rows:
            pending = keyed.get(row.seq)
            if pending is None or row.key != pending.key or row.ref is None or row.ref > head:
                continue
            event = await execute(self._session, self._event_at, (stream, self._rows.bucket(row.ref), row.ref))
            if event and event[0].key == pending.key and event[0].body is not None:
                pending.settle(Appended(self._codec.validate_json(event[0].body), duplicate=True))

    async def _read_keys(self, asks: list["_KeyAsk"]) -> list[list[Any] | BaseException]:
        """The key rows each ask names, read for the asks of a turn together."""
        reads = in_reads(asks, lambda ask: ([ask.stream], ask.buckets, ask.positions))
        found = await all_of([execute(self._session, self._keys_in, columns) for _, columns in reads])
        rows_of: defaultdict[tuple[str, int], list[Any]] = defaultdict(list)
        for rows in found:
            for row in rows:
                rows_of[row.stream, row.bucket].append(row)
        return [
            [row for bucket in ask.buckets for row in rows_of[ask.stream, bucket] if row.seq in ask.positions]
            for ask in asks
        ]

    def _mark(self, stream: str, seqs: range) -> asyncio.Future[None]:
        """The outbox marks of the seqs about to be written: each event is published, or
        found by the republisher, even if its writer dies right after the write."""
        return self.together.write(self.outbox.marks(stream, seqs))

    async def _write(
        self,
        stream: str,
        lease: Lease,
        head: int,
        events: list[tuple[int, Event]],
        keys: list[str | None],
        spare: range = range(0),
    ) -> None:
        """The group's rows on the bucket's partition, and the clearing of the `spare` marks
        no event took, in the turn's batch; `LeaseLost` if it completed past the lease's
        deadline."""
        stamp = lease.timestamp()
        bucket = self._rows.bucket(head + 1)
        new_head = head + len(events)
        rows: list[Write] = [
            # the stream's first bucket holds its epoch
            (self._open_stream, (stamp, new_head, new_epoch(), stream))
            if head == 0
            else (self._set_head, (stamp, new_head, stream, bucket)),
            *self.outbox.unmarks(stream, spare),
        ]
        projection: list[Write] = []
        projected_seqs: list[int] = []
        for (seq, event), key in zip(events, keys, strict=True):
            rows.append((self._write_event, (stream, bucket, seq, stored_form(event), key, stamp)))
            if key is not None:
                rows.append((self._write_key, (stream, bucket, key_position(key), key, seq, stamp)))
            if writes := self._project(event, lease.term):
                projection.extend(writes)
                projected_seqs.append(seq)
        # Two callers of the turn's batches: the projection's rows, of other partitions, may
        # be cut into another batch, and their failure fails no append (`settle` writes them).
        calls = [self.together.write(rows), *([self.together.write(projection)] if projection else [])]
        written, *projected = await together(calls)
        if isinstance(written, WriteTimeout):
            raise StoreUnavailable("Cassandra did not confirm the write in time") from written
        if isinstance(written, BaseException):
            raise written
        if now_us() >= lease.deadline:
            raise LeaseLost("the write completed after the stream's lease ran out")
        if projected == [None]:
            if len(self._projected) > REMEMBERED_PROJECTED:  # settles that never came: settle reads instead
                self._projected.clear()
            self._projected.update((stream, seq) for seq in projected_seqs)

    def projected(self, stream: Stream, seq: int) -> bool:
        """Whether this event's projection went out with its log rows (`project`): asked
        once, by its `settle`."""
        try:
            self._projected.remove((str(stream), seq))
        except KeyError:
            return False
        return True

    # Keeping leases ----------------------------------------------------------------

    def follow_owners(self, mine: Callable[[str], bool]) -> None:
        """From now on a lease of a stream another copy owns is released once its
        appends under way are done, so the owner takes it at once."""
        self.mine = mine

    async def _keep_leases(self) -> None:
        """While any lease is held or wanted: renews busy streams' leases at about half their
        length (`renewed_at_left_us`), releases those another copy owns now, and forgets idle
        ones that lapsed. It looks often enough for renewals due apart to go out apart."""
        terms = self.leases.terms
        while self.leases.held or self._committers:
            await asyncio.sleep(min(terms.margin_s, terms.length_s / 40))
            for stream, lease in list(self.leases.held.items()):
                if self.leases.held.get(stream) is not lease or stream in self._renewing:
                    continue  # released, or taken again, while this pass awaited a release
                if not self.mine(stream):
                    if stream not in self._committers:
                        await self.leases.release(stream, lease)
                elif lease.left_us() <= 0:
                    self.leases.forget(stream)
                elif lease.active and lease.left_us() < terms.renewed_at_left_us(stream):
                    self._renewing[stream] = asyncio.create_task(self._renew(stream, lease))

    async def _renew(self, stream: str, lease: Lease) -> bool:
        try:
            return await self.leases.renew(stream, lease)
        except Exception as exc:  # the next append tries again, or takes the lease anew
            log.warning("lease_not_renewed", stream=stream, error=str(exc))
            return False
        finally:
            del self._renewing[stream]

    async def close(self) -> None:
        """Releases every lease held, once the appends under way are done."""
        if self._keeper is not None:
            self._keeper.cancel()
        await asyncio.gather(*self._committers.values(), *self._renewing.values(), return_exceptions=True)
        await self.together.flush()
        for stream, lease in list(self.leases.held.items()):
            await self.leases.release(stream, lease)

    # Reading -----------------------------------------------------------------------

    async def _event(self, stream: str, seq: int) -> Event | None:
        """The event at `seq`; None past the head (a row there is a late write no one acknowledged)."""
        if seq > await self.head(stream):
            return None
        rows = await execute(self._session, self._event_at, (stream, self._rows.bucket(seq), seq))
        return self._codec.validate_json(rows[0].body) if rows and rows[0].body is not None else None

    async def events(self, stream: Stream, after_seq: int, limit: int) -> list[Event]:
        stream = str(stream)
        head = await self.head(stream)
        rows = await self._rows.after(stream, head, after_seq, limit)
        return [self._codec.validate_json(row.body) for row in rows if row.seq <= head]

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
        # The holder's appends may have moved the head on while the read was out, and its
        # next group is numbered from `_heads`: an answer read before them must not set it
        # back, or that group takes their seqs and writes over them.
        head = self._heads[stream] = max(head, self._heads.get(stream, 0))
        return head

    async def epoch(self, stream: Stream) -> str:
        rows = await execute(self._session, self._epoch_of, (str(stream),))
        return str(rows[0].epoch or "") if rows else ""

    def stored_json(self, event: Event) -> bytes | None:
        return None  # the request, not serialising, is what a Cassandra append costs

    # The outbox --------------------------------------------------------------------

    async def mark_published(self, stream: Stream, seq: int) -> None:
        """Clears the mark with the next turn's writes (`WritesPerTurn.write_soon`): the
        event is out, and a mark left behind, if that write fails, costs one re-publish."""
        self.together.write_soon(self.outbox.unmarks(str(stream), range(seq, seq + 1)))

    async def unsettled(self, older_than: datetime, limit: int) -> list[Event]:
        await self.together.flush()  # a mark cleared already is not owed
        return await self.outbox.owed(older_than, limit, self._event)


@dataclass(frozen=True)
class _LookedUp:
    """A batch looked up: the appends still to write, and the seqs marked beyond them."""

    known: list[_Pending]
    spare: range


@dataclass(frozen=True)
class _KeyAsk:
    """A group's keys to look up: their positions in the stream's buckets searched."""

    stream: str
    buckets: range
    positions: list[int]


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

    _log: CassandraEventLog[Event]

    def __init__(
        self, session: Session, keyspace: str, name: str, codec: "TypeAdapter[Event]", terms: LeaseTerms = DEFAULT_TERMS
    ):
        self._session = session
        self._keyspace = keyspace
        self._log = CassandraEventLog(session, keyspace, name, codec, terms=terms, project=self._projected_with_log)
        self._together = self._log.together
        """For the projection's writes: they go out with the turn's log rows and marks."""

    def follow_owners(self, mine: Callable[[Stream], bool]) -> None:
        self._log.follow_owners(mine)

    def _projected_with_log(self, event: Event, term: int) -> list[Write]:
        """The projection's writes of a new event that go out with its log rows
        (`CassandraEventLog` `project`); none by default."""
        return []

    def _prepare(self, cql: str) -> PreparedStatement:
        return self._session.prepare(qualified(self._keyspace)(cql))

    async def ping(self) -> bool:
        return bool(await execute(self._session, "SELECT release_version FROM system.local"))

    async def close(self) -> None:
        await self._log.close()
        self._session.cluster.shutdown()
