"""Per-stream leases on Cassandra: which process may write a stream's log with plain writes.

A lease is a row `<name>_lease (stream, owner, term, until)`, `until` in microseconds
since the epoch. Every change to it (take, renew, release) is one conditional write on
`term` that also raises the term, so no two changes from stale reads can both apply.
A process takes a stream's lease when the row is absent, names it, or has lapsed by
`until + margin` by its own clock; another holder is waited out (`take`'s `wait_s`).

While it holds a lease, a process writes the stream with timestamps from `Lease.timestamp`:
at least the previous holder's `until + 1` (`floor`) and below its own `deadline`, which is
`until - margin` counted from when the take or renewal was *sent*, so a write of an old
holder that lands late always loses to the new holder's write of the same cell, even
with the clocks `margin` apart. A write that completes at or past the deadline must not
be acknowledged: another process may hold the stream by then (`LeaseLost`).
"""

import asyncio
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from cassandra import ConsistencyLevel, WriteTimeout
from cassandra.cluster import Session

from .cassandra import execute, preparer

log = structlog.get_logger("parley.lease")
POLL_S = 0.1
"""How often a process waiting for another's lease looks at its row again (a release is seen this soon)."""


def lease_table(name: str) -> str:
    return f"CREATE TABLE IF NOT EXISTS {name}_lease (stream text PRIMARY KEY, owner text, term bigint, until bigint)"


def now_us() -> int:
    return time.time_ns() // 1000


@dataclass(frozen=True)
class LeaseTerms:
    length_s: float = 4.0
    """How long a take or renewal holds the stream; an idle stream's lease lapses after it."""
    margin_s: float = 0.5
    """The clock skew allowed between processes: a holder stops writing this long before
    its lease ends, and others take it no sooner than this long after."""

    @property
    def patience_s(self) -> float:
        """How long an append waits for another holder's lease: one that renewed with 3/8 of
        its length left, as a busy holder may (`renewed_at_left_us`), and then went idle
        lapses within 1 5/8 lengths."""
        return 1.75 * self.length_s + 2 * self.margin_s

    @property
    def length_us(self) -> int:
        return int(self.length_s * 1_000_000)

    @property
    def margin_us(self) -> int:
        return int(self.margin_s * 1_000_000)

    def renewed_at_left_us(self, stream: str) -> int:
        """The time left at which a busy stream's lease is renewed: half the length, give or
        take an eighth by the stream's name, so that leases taken together (idle streams
        waking at once) are not renewed together ever after: each renewal is a Paxos round."""
        eighth = self.length_us // 8
        return self.length_us // 2 - eighth + zlib.crc32(stream.encode()) % (2 * eighth + 1)


DEFAULT_TERMS = LeaseTerms()


def lease_terms_of(settings: Any) -> LeaseTerms:
    """`LeaseTerms` from a service's `CassandraFields` settings."""
    return LeaseTerms(settings.cassandra_lease_s, settings.cassandra_lease_margin_s)


class LeaseLost(TimeoutError):
    """The stream's lease ran out before a write was known to be in, or another process
    held it for longer than an append waits: the append is answered `unavailable`, and a
    retry with the same idempotency key finds it if it was stored after all."""


class HeldByOwner(LeaseLost):
    """Another process holds the stream's lease and, by `mine`, owns the stream: nothing
    was written, and the command is best handed to the owner (`owner_elsewhere`, which
    `parley_runtime.bus` looks for) than waited out here."""

    owner_elsewhere = True


@dataclass
class Lease:
    term: int
    until: int
    deadline: int
    """No write goes out at or past it, and none completing past it is acknowledged."""
    floor: int
    """The previous holder's `until + 1`: every write's timestamp is at least this."""
    last: int = 0
    active: bool = field(default=True)
    """An append used it since the last renewal: worth renewing."""
    unbroken: bool = False
    """Taken back by the process that held it last, with no other holder in between:
    what that process knew of the stream (its head) still holds."""

    def timestamp(self) -> int:
        """The next write's timestamp, above every earlier one of this holder; raises
        `LeaseLost` at or past the deadline."""
        stamp = max(now_us(), self.floor, self.last + 1)
        if stamp >= self.deadline:
            raise LeaseLost("the stream's lease ran out")
        self.last = stamp
        return stamp

    def left_us(self) -> int:
        return self.deadline - now_us()


class Leases:
    """The leases of one log's streams held by this process."""

    def __init__(self, session: Session, keyspace: str, name: str, terms: LeaseTerms):
        self.me = uuid.uuid4().hex[:12]
        self.terms = terms
        self.held: dict[str, Lease] = {}
        self._last: dict[str, int] = {}
        """The last write timestamp of each stream's leases given up here: a lease this
        process takes back from itself writes above it."""
        self._terms: dict[str, int] = {}
        """The term of each stream's lease given up here: if the row still has it, no other
        process changed the lease since, so it is taken back with one conditional write."""
        self._session = session

        prepare = preparer(session, keyspace, name)
        self._read = prepare("SELECT owner, term, until FROM {t}_lease WHERE stream = ?")
        self._read_serial = prepare("SELECT owner, term FROM {t}_lease WHERE stream = ?", ConsistencyLevel.SERIAL)
        self._create = prepare("INSERT INTO {t}_lease (stream, owner, term, until) VALUES (?, ?, 1, ?) IF NOT EXISTS")
        self._move = prepare("UPDATE {t}_lease SET owner = ?, term = ?, until = ? WHERE stream = ? IF term = ?")

    async def take(self, stream: str, wait_s: float, mine: Callable[[], bool] = lambda: True) -> Lease:
        """Takes the stream's lease, waiting up to `wait_s` for another holder's to lapse
        or be released; `LeaseLost` past that, and `HeldByOwner` rather than waiting for
        a stream that is not `mine`."""
        if (lease := await self._take_back(stream)) is not None:
            return lease
        give_up = time.monotonic() + wait_s
        while True:
            rows = await execute(self._session, self._read, (stream,))
            row = rows[0] if rows else None
            sent = now_us()
            if row is None:
                if await self._cas(self._create, (stream, self.me, sent + self.terms.length_us), stream, 1):
                    return self._hold(stream, 1, sent, floor=0)
                continue
            lapses_at = row.until + self.terms.margin_us
            if row.owner == self.me or lapses_at < sent:
                term = row.term + 1
                params = (self.me, term, sent + self.terms.length_us, stream, row.term)
                if await self._cas(self._move, params, stream, term):
                    # From itself: its own `until` may be ahead (a renewal whose answer was
                    # lost), but only its own writes came before, each below `_last`.
                    floor = self._last.get(stream, 0) + 1 if row.owner == self.me else row.until + 1
                    return self._hold(stream, term, sent, floor)
                continue
            if not mine():
                raise HeldByOwner(f"stream {stream} is held by its owner")
            left_s = give_up - time.monotonic()
            if left_s <= 0:
                raise LeaseLost(f"another process holds stream {stream}")
            await asyncio.sleep(min(POLL_S, left_s, (lapses_at - sent) / 1_000_000 + 0.001))

    async def _take_back(self, stream: str) -> Lease | None:
        """The lease this process gave up last (it lapsed while the stream was idle), taken
        back at the term it left it at: no read first, and no other holder in between if it
        applies (a chat channel is idle for seconds all the time, and a take that reads the
        row, writes it and then reads and fences the head cost its post four round trips)."""
        term = self._terms.pop(stream, None)
        if term is None:
            return None
        sent = now_us()
        params = (self.me, term + 1, sent + self.terms.length_us, stream, term)
        if not await self._cas(self._move, params, stream, term + 1):
            return None
        lease = self._hold(stream, term + 1, sent, floor=self._last.get(stream, 0) + 1)
        lease.unbroken = True
        return lease

    def taking_back(self, stream: str) -> bool:
        """Whether the stream's next take starts as a take-back (`_take_back`): no lease is
        held, and this process gave up the last one, after no failed write."""
        return stream in self._terms and stream not in self.held

    def _hold(self, stream: str, term: int, sent: int, floor: int) -> Lease:
        until = sent + self.terms.length_us
        lease = Lease(term, until, until - self.terms.margin_us, floor)
        self.held[stream] = lease
        log.debug("lease_taken", stream=stream, term=term)
        return lease

    async def renew(self, stream: str, lease: Lease) -> bool:
        """Extends a held lease; False when it was lost (it had lapsed and another took it)."""
        sent, term = now_us(), lease.term + 1
        params = (self.me, term, sent + self.terms.length_us, stream, lease.term)
        lease.active = False  # appends while the renewal is under way count for the next one
        if not await self._cas(self._move, params, stream, term):
            self.forget(stream)
            return False
        lease.term, lease.until = term, sent + self.terms.length_us
        lease.deadline = lease.until - self.terms.margin_us
        return True

    async def release(self, stream: str, lease: Lease) -> None:
        """Gives the lease up at once: the next holder's writes start above this one's last."""
        self.forget(stream)
        until, term = max(now_us(), lease.last), lease.term + 1
        try:
            released = await self._cas(self._move, (self.me, term, until, stream, lease.term), stream, term)
            if released:
                self._terms[stream] = term
        except Exception as exc:  # the lease then lapses on its own
            log.warning("lease_not_released", stream=stream, error=str(exc))

    def written_unsure(self, stream: str) -> None:
        """A write under the stream's lease failed and may still land: the lease is given up,
        and not taken back unbroken, so the next take, this process's too, is under a new
        term and reads the head and fences it."""
        self.forget(stream)
        self._terms.pop(stream, None)

    def forget(self, stream: str) -> None:
        """Stops using the stream's lease (it lapses or was lost), remembering the timestamp
        its successor here must write above: its last write's, or its own floor's."""
        lease = self.held.pop(stream, None)
        if lease is not None:
            self._last[stream] = max(self._last.get(stream, 0), lease.last, lease.floor - 1)
            self._terms[stream] = lease.term

    async def _cas(self, statement: Any, params: tuple[Any, ...], stream: str, term: int) -> bool:
        """Whether the conditional write applied; one that timed out is resolved by a
        SERIAL read, which finishes any round in progress."""
        try:
            rows = await execute(self._session, statement, params)
        except WriteTimeout:
            rows = await execute(self._session, self._read_serial, (stream,))
            return bool(rows) and rows[0].owner == self.me and rows[0].term == term
        return bool(rows[0].applied)
