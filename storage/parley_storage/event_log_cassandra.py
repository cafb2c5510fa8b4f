"""Cassandra adapter of the event log.

Partitions are bounded: a stream's events live in buckets of `BUCKET_SIZE` seqs. A
`seq` is claimed by inserting its event row with a lightweight transaction
(`IF NOT EXISTS`): the row's existence is the claim, so writers appending at once can
never share a `seq`, and since a writer only tries `n + 1` after seeing `n`, no gap
appears. The outbox mark is written before the claim, so a crash after the claim still
leaves the event to be handed back by `unsettled`.

Within one process, appends to a stream take turns: concurrent writers would all try
the same `seq`, and every lost claim costs a whole Paxos round (64 posts in flight to
one channel ran at ~36/s that way). Taking turns, a writer also knows the head it left
and tries the next `seq` without reading first; the claim still decides, so writers in
other processes stay safe.
"""

import asyncio
import re
import zlib
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Generic

from cassandra import ConsistencyLevel, WriteTimeout
from cassandra.cluster import Session
from pydantic import TypeAdapter

from .cassandra import execute
from .event_log import Appended, Event, KeyInFlight

BUCKET_SIZE = 10_000
OUTBOX_SHARDS = 16
STALE_CLAIM = timedelta(seconds=30)
"""An idempotency key claimed this long ago and never completed belonged to a request that died."""


def bucket_of(seq: int) -> int:
    return (seq - 1) // BUCKET_SIZE if seq > 0 else 0


def shard_of(stream: str) -> int:
    return zlib.crc32(stream.encode()) % OUTBOX_SHARDS


def event_log_tables(name: str) -> list[str]:
    return [
        f"""CREATE TABLE IF NOT EXISTS {name}_events (
            stream text, bucket int, seq bigint, body text, PRIMARY KEY ((stream, bucket), seq))""",
        f"""CREATE TABLE IF NOT EXISTS {name}_keys (
            stream text, key text, seq bigint, claimed_at timestamp, PRIMARY KEY ((stream, key)))""",
        f"""CREATE TABLE IF NOT EXISTS {name}_outbox (
            shard int, stream text, seq bigint, marked_at timestamp, PRIMARY KEY (shard, stream, seq))""",
    ]


def qualified(keyspace: str) -> Callable[[str], str]:
    """Prefixes table names in a statement with the keyspace."""
    return lambda cql: re.sub(r"\b(FROM|INTO|UPDATE|TABLE IF NOT EXISTS) (\w+)", rf"\1 {keyspace}.\2", cql)


class CassandraEventLog(Generic[Event]):
    def __init__(self, session: Session, keyspace: str, name: str, codec: TypeAdapter):
        """`name` prefixes the tables, created beforehand from `event_log_tables(name)`."""
        self._session = session
        self._codec = codec
        self._heads: dict[str, int] = {}  # a hint only: the LWT decides
        self._turns: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

        def prepare(cql: str):
            return session.prepare(qualified(keyspace)(cql.replace("{t}", name)))

        self._claim = prepare("INSERT INTO {t}_events (stream, bucket, seq, body) VALUES (?, ?, ?, ?) IF NOT EXISTS")
        self._mark = prepare("INSERT INTO {t}_outbox (shard, stream, seq, marked_at) VALUES (?, ?, ?, ?)")
        self._unmark = prepare("DELETE FROM {t}_outbox WHERE shard = ? AND stream = ? AND seq = ?")
        self._outbox_shard = prepare("SELECT stream, seq, marked_at FROM {t}_outbox WHERE shard = ?")
        self._last_in_bucket = prepare(
            "SELECT seq FROM {t}_events WHERE stream = ? AND bucket = ? ORDER BY seq DESC LIMIT 1"
        )
        self._event_at = prepare("SELECT body FROM {t}_events WHERE stream = ? AND bucket = ? AND seq = ?")
        self._event_at_serial = prepare("SELECT body FROM {t}_events WHERE stream = ? AND bucket = ? AND seq = ?")
        self._event_at_serial.consistency_level = ConsistencyLevel.SERIAL
        self._events_after = prepare("SELECT body FROM {t}_events WHERE stream = ? AND bucket = ? AND seq > ? LIMIT ?")
        self._claim_key = prepare("INSERT INTO {t}_keys (stream, key, claimed_at) VALUES (?, ?, ?) IF NOT EXISTS")
        self._take_over_key = prepare(
            "UPDATE {t}_keys SET claimed_at = ? WHERE stream = ? AND key = ? IF claimed_at = ? AND seq = null"
        )
        self._complete_key = prepare("UPDATE {t}_keys SET seq = ? WHERE stream = ? AND key = ?")

    def _dump(self, event) -> str:
        return self._codec.dump_json(event, exclude_none=True, by_alias=True).decode()

    async def append(self, stream: str, build: Callable[[int], Event], key: str | None = None) -> Appended[Event]:
        if key is not None:
            original = await self._claim_idempotency_key(stream, key)
            if original is not None:
                return Appended(original, duplicate=True)
        async with self._turns[stream]:
            event, seq = await self._claim_next(stream, build)
        if key is not None:
            await execute(self._session, self._complete_key, (seq, stream, key))
        return Appended(event, duplicate=False)

    async def _claim_next(self, stream: str, build: Callable[[int], Event]) -> tuple[Event, int]:
        seq = (self._heads[stream] if stream in self._heads else await self.head(stream)) + 1
        while True:
            event = build(seq)
            await execute(self._session, self._mark, (shard_of(stream), stream, seq, datetime.now(UTC)))
            claimed = await self._claim_seq(stream, seq, self._dump(event))
            if claimed:
                break
            if claimed is False:
                seq += 1  # another process holds this seq; the next is ours to try
        self._heads[stream] = seq
        return event, seq

    async def _claim_seq(self, stream: str, seq: int, body: str) -> bool | None:
        """True: the seq is ours. False: another writer's. None: unknown, try it again.

        A lightweight transaction that times out under contention may or may not have
        been applied, so the row is read back at SERIAL consistency to find out.
        """
        try:
            [result] = await execute(self._session, self._claim, (stream, bucket_of(seq), seq, body))
            return bool(result.applied)
        except WriteTimeout:
            rows = await execute(self._session, self._event_at_serial, (stream, bucket_of(seq), seq))
            return None if not rows else rows[0].body == body

    async def _claim_idempotency_key(self, stream: str, key: str) -> Event | None:
        """Claim the key for this request; return the original event if it was used already."""
        now = datetime.now(UTC)
        [claim] = await execute(self._session, self._claim_key, (stream, key, now))
        if claim.applied:
            return None
        if claim.seq is not None:
            return await self._event(stream, claim.seq)
        if now - claim.claimed_at.replace(tzinfo=UTC) < STALE_CLAIM:
            raise KeyInFlight
        [takeover] = await execute(self._session, self._take_over_key, (now, stream, key, claim.claimed_at))
        if not takeover.applied:
            raise KeyInFlight
        return None

    async def _event(self, stream: str, seq: int) -> Event | None:
        rows = await execute(self._session, self._event_at, (stream, bucket_of(seq), seq))
        return self._codec.validate_json(rows[0].body) if rows else None

    async def mark_published(self, stream: str, seq: int) -> None:
        await execute(self._session, self._unmark, (shard_of(stream), stream, seq))

    async def unsettled(self, older_than: datetime, limit: int) -> list[Event]:
        found: list[Event] = []
        for shard in range(OUTBOX_SHARDS):
            for mark in await execute(self._session, self._outbox_shard, (shard,)):
                if mark.marked_at.replace(tzinfo=UTC) >= older_than:
                    continue
                event = await self._event(mark.stream, mark.seq)
                if event is None:
                    # The writer died before its claim, or lost the seq to a writer whose
                    # own mark this was and who has settled it since: nothing is owed.
                    await execute(self._session, self._unmark, (shard, mark.stream, mark.seq))
                    continue
                found.append(event)
                if len(found) >= limit:
                    return found
        return found

    async def events(self, stream: str, after_seq: int, limit: int) -> list[Event]:
        head = await self.head(stream)
        found: list[Event] = []
        bucket = bucket_of(after_seq + 1)
        while len(found) < limit and bucket <= bucket_of(head):
            rows = await execute(self._session, self._events_after, (stream, bucket, after_seq, limit - len(found)))
            found.extend(self._codec.validate_json(row.body) for row in rows)
            bucket += 1
        return found

    async def head(self, stream: str) -> int:
        """Walks buckets forward from the last head this process saw."""
        head = self._heads.get(stream, 0)
        bucket = bucket_of(head + 1)
        while True:
            rows = await execute(self._session, self._last_in_bucket, (stream, bucket))
            if not rows:
                break
            head = max(head, rows[0].seq)
            if head < (bucket + 1) * BUCKET_SIZE:
                break
            bucket += 1
        self._heads[stream] = head
        return head
