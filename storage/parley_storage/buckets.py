"""A stream's rows on Cassandra, bucketed by `seq` so no partition grows without limit:
`bucket_size` seqs to a partition `((stream, bucket), seq)`. Reads walk the buckets by
the one paging rule (`paging`): forward from the bucket after `after`, or backward from
the bucket before `before`, up to the stream's head, until the page is full.

The event log keeps its events so, and the services' projections their messages.
"""

from typing import Any

from cassandra.cluster import Session

from .cassandra import execute, qualified

BUCKET_SIZE = 10_000


def bucket_of(seq: int, bucket_size: int = BUCKET_SIZE) -> int:
    return (seq - 1) // bucket_size if seq > 0 else 0


class BucketedRows:
    def __init__(
        self, session: Session, keyspace: str, table: str, stream_column: str, columns: str = "body",
        bucket_size: int = BUCKET_SIZE,
    ):  # fmt: skip
        """Reads `columns` of `table`, whose rows are keyed `((stream_column, bucket), seq)`."""
        self._session = session
        self._bucket_size = bucket_size
        select = f"SELECT {columns} FROM {table} WHERE {stream_column} = ? AND bucket = ?"
        self._after = session.prepare(qualified(keyspace)(f"{select} AND seq > ? ORDER BY seq ASC LIMIT ?"))
        self._before = session.prepare(qualified(keyspace)(f"{select} AND seq < ? ORDER BY seq DESC LIMIT ?"))

    def bucket(self, seq: int) -> int:
        return bucket_of(seq, self._bucket_size)

    async def page(self, stream: object, head: int, before: int | None, after: int | None, limit: int) -> list[Any]:
        """Rows oldest first, of a stream whose last seq is `head`."""
        if after is not None:
            return await self.after(stream, head, after, limit)
        before = min(before if before is not None else head + 1, head + 1)
        found: list[Any] = []
        bucket = self.bucket(before - 1) if before > 1 else -1
        while len(found) < limit and bucket >= 0:
            found.extend(await execute(self._session, self._before, (stream, bucket, before, limit - len(found))))
            bucket -= 1
        return found[::-1]

    async def after(self, stream: object, head: int, after: int, limit: int) -> list[Any]:
        found: list[Any] = []
        bucket = self.bucket(after + 1)
        while len(found) < limit and bucket <= self.bucket(head):
            found.extend(await execute(self._session, self._after, (stream, bucket, after, limit - len(found))))
            bucket += 1
        return found
