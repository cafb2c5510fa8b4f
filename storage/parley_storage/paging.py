"""History paging: which of a stream's rows, kept by `seq`, one read returns. Every store
reads by the same rule, oldest first: given `after`, the first `limit` rows after it;
otherwise the `limit` newest before `before` (before the end when None).

Here for rows in memory and in SQLite; Cassandra's bucketed rows walk their buckets by
the same rule (`buckets.BucketedRows`).
"""

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .sqlite import Database

Row = TypeVar("Row")


def page(
    rows: Sequence[Row], seq_of: Callable[[Row], int], before: int | None, after: int | None, limit: int
) -> list[Row]:
    """The page of `rows`, which are in `seq` order."""
    if after is not None:
        return [row for row in rows if seq_of(row) > after][:limit]
    found = [row for row in rows if before is None or seq_of(row) < before]
    return found[max(0, len(found) - limit) :]


async def sqlite_page(
    db: Database, table: str, stream_column: str, stream: object, before: int | None, after: int | None, limit: int,
    columns: str = "body",
) -> list[tuple[Any, ...]]:  # fmt: skip
    """The page of `table`'s rows of one stream (`stream_column`, `seq`), as tuples of `columns`."""
    where = f"SELECT {columns} FROM {table} WHERE {stream_column} = ?"
    if after is not None:
        return await db.all(f"{where} AND seq > ? ORDER BY seq LIMIT ?", (stream, after, limit))
    newest = await db.all(
        f"{where} AND seq < ? ORDER BY seq DESC LIMIT ?", (stream, before if before is not None else 2**62, limit)
    )
    return newest[::-1]
