"""The one paging rule, read the same from memory, SQLite and Cassandra's buckets (of 5
seqs here, so pages cross bucket boundaries both ways)."""

import pytest
import pytest_asyncio

from parley_storage.buckets import BucketedRows, bucket_of
from parley_storage.cassandra import qualified
from parley_storage.paging import page, sqlite_page
from parley_storage.sqlite import Database

HEAD = 23
CASES = [
    (None, None, 5),
    (None, None, 100),
    (10, None, 4),
    (6, None, 5),
    (3, None, 10),
    (1, None, 5),
    (99, None, 3),
    (None, 0, 7),
    (None, 4, 8),
    (None, 20, 10),
    (None, HEAD, 5),
]


def expected(before: int | None, after: int | None, limit: int) -> list[int]:
    seqs = list(range(1, HEAD + 1))
    if after is not None:
        return [seq for seq in seqs if seq > after][:limit]
    older = [seq for seq in seqs if before is None or seq < before]
    return older[-limit:]


@pytest_asyncio.fixture
async def sqlite_reader(tmp_path):
    db = await Database.open(tmp_path / "rows.sqlite3", "CREATE TABLE rows (stream TEXT, seq INTEGER, body TEXT);")
    for stream, count in (("s", HEAD), ("other", 3)):
        for seq in range(1, count + 1):
            await db.execute("INSERT INTO rows VALUES (?, ?, ?)", (stream, seq, f"{stream}{seq}"))

    async def read(before, after, limit):
        return [body for (body,) in await sqlite_page(db, "rows", "stream", "s", before, after, limit)]

    yield read
    await db.close()


@pytest.fixture
def cassandra_reader(cassandra_session, cassandra_keyspace):
    in_keyspace = qualified(cassandra_keyspace)
    columns = "stream text, bucket int, seq bigint, body text, PRIMARY KEY ((stream, bucket), seq)"
    table = f"CREATE TABLE IF NOT EXISTS rows ({columns})"
    cassandra_session.execute(in_keyspace(table))
    insert = cassandra_session.prepare(in_keyspace("INSERT INTO rows (stream, bucket, seq, body) VALUES (?, ?, ?, ?)"))
    for stream, count in (("s", HEAD), ("other", 3)):
        for seq in range(1, count + 1):
            cassandra_session.execute(insert, (stream, bucket_of(seq, 5), seq, f"{stream}{seq}"))
    rows = BucketedRows(cassandra_session, cassandra_keyspace, "rows", "stream", bucket_size=5)

    async def read(before, after, limit):
        return [row.body for row in await rows.page("s", HEAD, before, after, limit)]

    return read


@pytest.fixture
def memory_reader():
    rows = [(seq, f"s{seq}") for seq in range(1, HEAD + 1)]

    async def read(before, after, limit):
        return [body for _, body in page(rows, lambda row: row[0], before, after, limit)]

    return read


@pytest.fixture(params=["memory", "sqlite", "cassandra"])
def read(request):
    return request.getfixturevalue(f"{request.param}_reader")


async def test_every_store_pages_by_one_rule(read):
    for before, after, limit in CASES:
        want = [f"s{seq}" for seq in expected(before, after, limit)]
        assert await read(before, after, limit) == want, (before, after, limit)
