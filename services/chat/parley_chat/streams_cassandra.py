"""Cassandra adapter of the stream port: production.

Partitions are bounded: a channel's events and messages live in buckets of
`BUCKET_SIZE` seqs. A `seq` is claimed by inserting its event row with a lightweight
transaction (`IF NOT EXISTS`): the row's existence is the claim, so copies of the
service appending at once can never share a `seq`, and since a writer only tries
`n + 1` after seeing `n`, no gap appears. The outbox mark is written before the claim,
so a crash after the claim still leaves the event to be settled.
"""

import re
from datetime import UTC, datetime, timedelta

from cassandra.cluster import Session

from parley_contracts.chat import ChannelEvent, ChannelMessage, MessagePosted
from parley_storage.cassandra import execute

from . import projection
from .codec import dump_event, dump_message, load_event, load_message
from .streams import Appended, BuildEvent, IdempotencyKey, KeyInFlight

BUCKET_SIZE = 10_000
OUTBOX_SHARDS = 16
STALE_CLAIM = timedelta(seconds=30)
"""A post key claimed this long ago and never completed belonged to a request that died."""

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS channel_events (
        channel_id bigint, bucket int, seq bigint, body text,
        PRIMARY KEY ((channel_id, bucket), seq))""",
    """CREATE TABLE IF NOT EXISTS post_keys (
        channel_id bigint, author_id bigint, client_msg_id text, seq bigint, claimed_at timestamp,
        PRIMARY KEY ((channel_id, author_id, client_msg_id)))""",
    """CREATE TABLE IF NOT EXISTS outbox (
        shard int, channel_id bigint, seq bigint, marked_at timestamp,
        PRIMARY KEY (shard, channel_id, seq))""",
    """CREATE TABLE IF NOT EXISTS messages (
        channel_id bigint, bucket int, seq bigint, body text,
        PRIMARY KEY ((channel_id, bucket), seq))""",
    """CREATE TABLE IF NOT EXISTS message_seqs (
        channel_id bigint, message_id bigint, seq bigint,
        PRIMARY KEY ((channel_id, message_id)))""",
]


def bucket_of(seq: int) -> int:
    return (seq - 1) // BUCKET_SIZE if seq > 0 else 0


def create_schema(session: Session, keyspace: str) -> None:
    for statement in SCHEMA:
        session.execute(statement.replace("CREATE TABLE IF NOT EXISTS ", f"CREATE TABLE IF NOT EXISTS {keyspace}."))


class CassandraStreams:
    def __init__(self, session: Session, keyspace: str):
        self._session = session
        self._heads: dict[int, int] = {}  # a hint only: the LWT decides

        def prepare(cql: str):
            return session.prepare(re.sub(r"\b(FROM|INTO|UPDATE) (\w+)", rf"\1 {keyspace}.\2", cql))

        self._claim = prepare(
            "INSERT INTO channel_events (channel_id, bucket, seq, body) VALUES (?, ?, ?, ?) IF NOT EXISTS"
        )
        self._mark = prepare("INSERT INTO outbox (shard, channel_id, seq, marked_at) VALUES (?, ?, ?, ?)")
        self._unmark = prepare("DELETE FROM outbox WHERE shard = ? AND channel_id = ? AND seq = ?")
        self._last_in_bucket = prepare(
            "SELECT seq FROM channel_events WHERE channel_id = ? AND bucket = ? ORDER BY seq DESC LIMIT 1"
        )
        self._event_at = prepare("SELECT body FROM channel_events WHERE channel_id = ? AND bucket = ? AND seq = ?")
        self._events_after = prepare(
            "SELECT body FROM channel_events WHERE channel_id = ? AND bucket = ? AND seq > ? LIMIT ?"
        )
        self._claim_key = prepare(
            "INSERT INTO post_keys (channel_id, author_id, client_msg_id, claimed_at) VALUES (?, ?, ?, ?) IF NOT EXISTS"
        )
        self._take_over_key = prepare(
            "UPDATE post_keys SET claimed_at = ? WHERE channel_id = ? AND author_id = ? AND client_msg_id = ?"
            " IF claimed_at = ? AND seq = null"
        )
        self._complete_key = prepare(
            "UPDATE post_keys SET seq = ? WHERE channel_id = ? AND author_id = ? AND client_msg_id = ?"
        )
        self._outbox_shard = prepare("SELECT channel_id, seq, marked_at FROM outbox WHERE shard = ?")
        self._message_seq = prepare("SELECT seq FROM message_seqs WHERE channel_id = ? AND message_id = ?")
        self._index_message = prepare("INSERT INTO message_seqs (channel_id, message_id, seq) VALUES (?, ?, ?)")
        self._message_at = prepare(
            "SELECT body, writetime(body) FROM messages WHERE channel_id = ? AND bucket = ? AND seq = ?"
        )
        self._write_message = prepare(
            "INSERT INTO messages (channel_id, bucket, seq, body) VALUES (?, ?, ?, ?) USING TIMESTAMP ?"
        )
        self._messages_before = prepare(
            "SELECT body FROM messages WHERE channel_id = ? AND bucket = ? AND seq < ? ORDER BY seq DESC LIMIT ?"
        )
        self._messages_after = prepare(
            "SELECT body FROM messages WHERE channel_id = ? AND bucket = ? AND seq > ? ORDER BY seq ASC LIMIT ?"
        )

    async def append(self, channel_id: int, build: BuildEvent, key: IdempotencyKey | None = None) -> Appended:
        if key:
            original = await self._claim_post_key(key)
            if original is not None:
                return Appended(original, duplicate=True)
        seq = await self.head(channel_id) + 1
        while True:
            event = build(seq)
            await execute(self._session, self._mark, (channel_id % OUTBOX_SHARDS, channel_id, seq, datetime.now(UTC)))
            [result] = await execute(self._session, self._claim, (channel_id, bucket_of(seq), seq, dump_event(event)))
            if result.applied:
                break
            seq += 1  # someone else holds this seq; the next is ours to try
        self._heads[channel_id] = seq
        if key:
            await execute(self._session, self._complete_key, (seq, key.channel_id, key.author_id, key.client_msg_id))
        return Appended(event, duplicate=False)

    async def _claim_post_key(self, key: IdempotencyKey) -> ChannelEvent | None:
        """Claim the key for this request; return the original event if it was used already."""
        now = datetime.now(UTC)
        ids = (key.channel_id, key.author_id, key.client_msg_id)
        [claim] = await execute(self._session, self._claim_key, (*ids, now))
        if claim.applied:
            return None
        if claim.seq is not None:
            return await self._event(key.channel_id, claim.seq)
        claimed_at = claim.claimed_at.replace(tzinfo=UTC)
        if now - claimed_at < STALE_CLAIM:
            raise KeyInFlight
        [takeover] = await execute(self._session, self._take_over_key, (now, *ids, claim.claimed_at))
        if not takeover.applied:
            raise KeyInFlight
        return None

    async def _event(self, channel_id: int, seq: int) -> ChannelEvent | None:
        rows = await execute(self._session, self._event_at, (channel_id, bucket_of(seq), seq))
        return load_event(rows[0].body) if rows else None

    async def settle(self, event: ChannelEvent) -> None:
        message_id = projection.message_id_of(event)
        if message_id is None:
            return
        if isinstance(event, MessagePosted):
            await execute(self._session, self._index_message, (event.channel_id, message_id, event.seq))
            posted_seq = event.seq
        else:
            rows = await execute(self._session, self._message_seq, (event.channel_id, message_id))
            if not rows:
                return
            posted_seq = rows[0].seq
        current = await self._message_row(event.channel_id, posted_seq)
        updated = projection.apply(current, event)
        if updated is not None:
            # The write timestamp is the event's seq: a late, older event never overwrites a newer one.
            await execute(
                self._session,
                self._write_message,
                (event.channel_id, bucket_of(posted_seq), posted_seq, dump_message(updated), event.seq),
            )

    async def _message_row(self, channel_id: int, seq: int) -> ChannelMessage | None:
        rows = await execute(self._session, self._message_at, (channel_id, bucket_of(seq), seq))
        return load_message(rows[0].body) if rows else None

    async def mark_published(self, channel_id: int, seq: int) -> None:
        await execute(self._session, self._unmark, (channel_id % OUTBOX_SHARDS, channel_id, seq))

    async def unsettled(self, older_than: datetime, limit: int) -> list[ChannelEvent]:
        found: list[ChannelEvent] = []
        for shard in range(OUTBOX_SHARDS):
            for mark in await execute(self._session, self._outbox_shard, (shard,)):
                if mark.marked_at.replace(tzinfo=UTC) >= older_than:
                    continue
                event = await self._event(mark.channel_id, mark.seq)
                if event is None:
                    # The writer died before its claim, or lost the seq to a writer whose own
                    # mark this was and who has settled it since: nothing is owed.
                    await execute(self._session, self._unmark, (shard, mark.channel_id, mark.seq))
                    continue
                found.append(event)
                if len(found) >= limit:
                    return found
        return found

    async def events(self, channel_id: int, after_seq: int, limit: int) -> list[ChannelEvent]:
        head = await self.head(channel_id)
        found: list[ChannelEvent] = []
        bucket = bucket_of(after_seq + 1)
        while len(found) < limit and bucket <= bucket_of(head):
            rows = await execute(self._session, self._events_after, (channel_id, bucket, after_seq, limit - len(found)))
            found.extend(load_event(row.body) for row in rows)
            bucket += 1
        return found

    async def head(self, channel_id: int) -> int:
        """Walks buckets forward from the last head this process saw."""
        head = self._heads.get(channel_id, 0)
        bucket = bucket_of(head + 1) if head % BUCKET_SIZE == 0 and head else bucket_of(head)
        while True:
            rows = await execute(self._session, self._last_in_bucket, (channel_id, bucket))
            if not rows:
                break
            head = max(head, rows[0].seq)
            if head < (bucket + 1) * BUCKET_SIZE:
                break
            bucket += 1
        self._heads[channel_id] = head
        return head

    async def message(self, channel_id: int, message_id: int) -> ChannelMessage | None:
        rows = await execute(self._session, self._message_seq, (channel_id, message_id))
        return await self._message_row(channel_id, rows[0].seq) if rows else None

    async def history(
        self, channel_id: int, before_seq: int | None, after_seq: int | None, limit: int
    ) -> list[ChannelMessage]:
        head = await self.head(channel_id)
        found: list[ChannelMessage] = []
        if after_seq is not None:
            bucket = bucket_of(after_seq + 1)
            while len(found) < limit and bucket <= bucket_of(head):
                rows = await execute(
                    self._session, self._messages_after, (channel_id, bucket, after_seq, limit - len(found))
                )
                found.extend(load_message(row.body) for row in rows)
                bucket += 1
            return found
        before = min(before_seq if before_seq is not None else head + 1, head + 1)
        bucket = bucket_of(before - 1) if before > 1 else -1
        while len(found) < limit and bucket >= 0:
            rows = await execute(self._session, self._messages_before, (channel_id, bucket, before, limit - len(found)))
            found.extend(load_message(row.body) for row in rows)
            bucket -= 1
        return list(reversed(found))

    async def ping(self) -> bool:
        return bool(await execute(self._session, "SELECT release_version FROM system.local"))

    async def close(self) -> None:
        self._session.cluster.shutdown()
