"""The Cassandra event log's outbox: a mark for each event written and not yet known to
be published, and the sweep that hands back the marks left behind (`owed`).

A cleared mark is a tombstone, kept for the table's `gc_grace_seconds` (ten days by
default), and a read that meets more than 100,000 of them fails
(`tombstone_failure_threshold`). So marks live in partitions by shard and time slot of
`SLOT_S` seconds: each partition takes marks for one slot only, and once a slot is over
and holds no mark, the shard's sweep watermark (`<name>_outbox_swept`) moves past it and
nothing reads its tombstones again. A sweep reads the few slots from the watermark on.
A stream's marks move to the next shard every `RUN` seqs, so one busy stream fills no
single partition, while a group's marks mostly share one.

The slot of a mark is its writer's clock's. A slot counts as over `CLOCK_SKEW_S` after
its end by the sweeper's clock: a writer whose clock runs further behind than that could
mark in a slot swept already, where the sweep would not find a mark its writer died
holding. The leases that order writes assume clocks far closer (`LeaseTerms.margin_s`).

Every service sweeps before it serves (`serve_event_sourced`), so a shard no sweep has
passed yet holds no mark older than a writer started since: its first sweep starts at
the slot `CLOCK_SKEW_S + SLOT_S` ago.
"""

import zlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from cassandra.cluster import Session

from .cassandra import Write, all_of, execute, preparer

SHARDS = 16
RUN = 128
SLOT_S = 5
CLOCK_SKEW_S = 10
READS_AT_ONCE = 64

Event = TypeVar("Event")


def outbox_tables(name: str) -> list[str]:
    return [
        f"""CREATE TABLE IF NOT EXISTS {name}_outbox_marks (
            shard int, slot bigint, stream text, seq bigint, marked_at timestamp,
            PRIMARY KEY ((shard, slot), stream, seq))""",
        f"CREATE TABLE IF NOT EXISTS {name}_outbox_swept (shard int PRIMARY KEY, slot bigint)",
    ]


def shard_of(stream: str, seq: int) -> int:
    return (zlib.crc32(stream.encode()) + seq // RUN) % SHARDS


def slot_of(moment: datetime) -> int:
    return int(moment.timestamp()) // SLOT_S


def _over(slot: int, now: datetime) -> bool:
    """Whether no writer within the allowed skew can still mark in `slot`."""
    return now.timestamp() >= (slot + 1) * SLOT_S + CLOCK_SKEW_S


class CassandraOutbox(Generic[Event]):
    """One event log's outbox (tables `<name>_outbox_*`, made from `outbox_tables(name)`)."""

    def __init__(
        self, session: Session, keyspace: str, name: str, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ):
        self._session = session
        self._clock = clock
        self._slots: dict[tuple[str, int], int] = {}
        """The slot of each mark this process wrote or swept and has not cleared: a mark
        is cleared by its partition's key."""
        prepare = preparer(session, keyspace, name)
        self._mark = prepare(
            "INSERT INTO {t}_outbox_marks (shard, slot, stream, seq, marked_at) VALUES (?, ?, ?, ?, ?)"
        )
        self._unmark = prepare("DELETE FROM {t}_outbox_marks WHERE shard = ? AND slot = ? AND stream = ? AND seq = ?")
        self._marks_in = prepare("SELECT stream, seq, marked_at FROM {t}_outbox_marks WHERE shard = ? AND slot = ?")
        self._watermarks = prepare("SELECT shard, slot FROM {t}_outbox_swept")
        self._sweep_to = prepare("INSERT INTO {t}_outbox_swept (shard, slot) VALUES (?, ?)")

    def marks(self, stream: str, seqs: range) -> list[Write]:
        """The writes of the marks of `seqs`, to go out before their events' rows."""
        marked_at = self._clock()
        slot = slot_of(marked_at)
        for seq in seqs:
            self._slots[stream, seq] = slot
        return [(self._mark, (shard_of(stream, seq), slot, stream, seq, marked_at)) for seq in seqs]

    def unmarks(self, stream: str, seqs: range) -> list[Write]:
        """The clearing of the marks of `seqs` this process knows; a seq it never marked nor
        swept (cleared already) needs none."""
        return [
            (self._unmark, (shard_of(stream, seq), slot, stream, seq))
            for seq in seqs
            if (slot := self._slots.pop((stream, seq), None)) is not None
        ]

    async def owed(
        self, older_than: datetime, limit: int, event_at: Callable[[str, int], Awaitable[Event | None]]
    ) -> list[Event]:
        """Up to `limit` events whose marks are older than `older_than`. A mark with no
        event behind it (`event_at` says None) is cleared: its writer died before its rows,
        or lost the seq to a writer whose own mark this was and who has settled it since.
        Moves each shard's watermark past the slots that are over and hold no mark."""
        now = self._clock()
        watermarks = {row.shard: row.slot for row in await execute(self._session, self._watermarks)}
        found: list[Event] = []
        swept_to: dict[int, int] = {}
        for shard in range(SHARDS):
            first = watermarks.get(shard, slot_of(now - timedelta(seconds=CLOCK_SKEW_S + SLOT_S)))
            slots = range(first, slot_of(now) + 1)
            swept_to[shard] = await self._sweep(shard, slots, now, older_than, limit, event_at, found)
            if swept_to[shard] != first or shard not in watermarks:
                await execute(self._session, self._sweep_to, (shard, swept_to[shard]))
            if len(found) >= limit:
                break
        self._forget_below(swept_to)
        return found

    def _forget_below(self, watermarks: dict[int, int]) -> None:
        """Drops the slots remembered for marks below their shard's watermark: the sweep
        found none there, so the write failed (its group's append with it) or another
        copy's sweep cleared the mark."""
        self._slots = {key: slot for key, slot in self._slots.items() if slot >= watermarks.get(shard_of(*key), slot)}

    async def _sweep(
        self,
        shard: int,
        slots: range,
        now: datetime,
        older_than: datetime,
        limit: int,
        event_at: Callable[[str, int], Awaitable[Event | None]],
        found: list[Event],
    ) -> int:
        """Adds the events owed in the shard's `slots` to `found`, up to `limit`; returns the
        slot its watermark moves to. Slots are read `READS_AT_ONCE` at a time: when every
        copy of a service was down for a day, its first sweep reads 17,280 of them a shard."""
        swept = slots.start
        for start in range(0, len(slots), READS_AT_ONCE):
            chunk = slots[start : start + READS_AT_ONCE]
            reads = await all_of([execute(self._session, self._marks_in, (shard, slot)) for slot in chunk])
            for slot, marks in zip(chunk, reads, strict=True):
                for mark in marks:
                    if mark.marked_at.replace(tzinfo=UTC) >= older_than:
                        continue
                    event = await event_at(mark.stream, mark.seq)
                    if event is None:
                        await execute(self._session, self._unmark, (shard, slot, mark.stream, mark.seq))
                        continue
                    self._slots[mark.stream, mark.seq] = slot
                    found.append(event)
                    if len(found) >= limit:
                        return swept
                if swept == slot and not marks and _over(slot, now):
                    swept = slot + 1
        return swept
