"""The event log's contract, run against every adapter, the real servers included:
gap-free seqs under concurrency and across writers, one event per idempotency key, the
outbox. The in-memory log passes it too, so unit tests on it stand for the real ones.

Cassandra runs with buckets of 50 seqs, so the longer tests also cross bucket boundaries
(a key is recognised within one to two buckets: the longest test stays inside one)."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from pydantic import TypeAdapter

from parley_contracts import chat
from parley_runtime.clock import now
from parley_storage.cassandra import qualified
from parley_storage.event_log import position, read_since
from parley_storage.event_log_cassandra import CassandraEventLog, event_log_tables
from parley_storage.event_log_memory import MemoryEventLog
from parley_storage.event_log_sqlite import SqliteEventLog, event_log_schema
from parley_storage.leases import LeaseTerms
from parley_storage.sqlite import Database

CODEC = TypeAdapter(chat.ChannelEvent)
SMALL_BUCKETS = 50
SHORT_LEASES = LeaseTerms(length_s=2.0, margin_s=0.25)


def posted(message_id: int, client_msg_id: str | None = None):
    def build(seq: int) -> chat.MessagePosted:
        message = chat.ChannelMessage(id=message_id, channel_id=1, author_id=1, content=f"m{message_id}", seq=seq,
                                      created_at=now(), client_msg_id=client_msg_id)  # fmt: skip
        return chat.MessagePosted(channel_id=1, seq=seq, occurred_at=now(), message=message)

    return build


@pytest_asyncio.fixture
async def sqlite_writers(tmp_path):
    """Two writers on one file, as two service processes would be."""
    databases = [await Database.open(tmp_path / "log.sqlite3", event_log_schema("t")) for _ in range(2)]
    yield [SqliteEventLog(db, "t", CODEC) for db in databases]
    for db in databases:
        await db.close()


@pytest_asyncio.fixture
async def cassandra_writers(cassandra_session, cassandra_keyspace):
    """Two writers with their own heads, groups and leases, as two service processes would
    be: one holds a stream while the other waits for its lease to lapse, so the leases are
    short here."""
    for statement in event_log_tables("t") * 2:  # run again, as at every start: nothing changes
        cassandra_session.execute(qualified(cassandra_keyspace)(statement))
    logs = [
        CassandraEventLog(
            cassandra_session, cassandra_keyspace, "t", CODEC, bucket_size=SMALL_BUCKETS, terms=SHORT_LEASES
        )
        for _ in range(2)
    ]
    yield logs
    for log in logs:
        await log.close()


@pytest.fixture
def memory_writers():
    """One process's memory holds one log: both writers are it."""
    log = MemoryEventLog()
    return [log, log]


@pytest.fixture(params=["sqlite", "cassandra", "memory"])
def writers(request):
    return request.getfixturevalue(f"{request.param}_writers")


@pytest.fixture
def log(writers):
    return writers[0]


async def test_appends_get_consecutive_seqs_per_stream(log):
    assert [(await log.append("a", posted(i))).event.seq for i in range(1, 13)] == list(range(1, 13))
    assert (await log.append("b", posted(99))).event.seq == 1
    assert (await log.head("a"), await log.head("b"), await log.head("c")) == (12, 1, 0)


async def test_a_stream_named_by_a_number_is_the_stream_of_its_text(log):
    await log.append(7, posted(1))
    await log.append("7", posted(2))
    assert await log.head(7) == await log.head("7") == 2
    assert [e.seq for e in await log.events(7, 0, 10)] == [1, 2]
    assert await log.events("7", 2, 10) == []


async def test_concurrent_appends_have_no_gap_and_no_duplicate(log):
    results = await asyncio.gather(*(log.append("s", posted(i)) for i in range(1, 201)))
    assert sorted(r.event.seq for r in results) == list(range(1, 201))
    assert [e.message.id for e in await log.events("s", 0, 500)] == [r.event.message.id for r in results]


async def test_each_event_is_built_with_the_seq_it_is_stored_at(log):
    await asyncio.gather(*(log.append("s", posted(i)) for i in range(1, 31)))
    assert [(e.seq, e.message.seq) for e in await log.events("s", 0, 100)] == [(n, n) for n in range(1, 31)]


async def test_two_writers_share_a_stream_without_gap_or_duplicate(writers):
    first, second = writers
    appends = [writer.append("s", posted(i)) for i in range(1, 121) for writer in ([first] if i % 2 else [second])]
    results = await asyncio.gather(*appends)
    assert sorted(r.event.seq for r in results) == list(range(1, 121))
    assert [e.seq for e in await second.events("s", 0, 500)] == list(range(1, 121))
    assert await first.head("s") == await second.head("s") == 120


async def test_an_idempotency_key_returns_the_original(log):
    first = await log.append("k", posted(1, "c-1"), key="1:c-1")
    second = await log.append("k", posted(2, "c-1"), key="1:c-1")
    assert not first.duplicate and second.duplicate
    assert second.event == first.event
    assert await log.head("k") == 1


async def test_one_key_sent_many_times_at_once_by_two_writers_is_stored_once(writers):
    appends = [writers[n % 2].append("k", posted(1 + n, "c-7"), key="1:c-7") for n in range(10)]
    appends += [writers[n % 2].append("k", posted(100 + n)) for n in range(10)]
    results = await asyncio.gather(*appends)
    keyed = results[:10]
    assert sum(not r.duplicate for r in keyed) == 1
    assert len({r.event.message.id for r in keyed}) == 1
    assert await log_head(writers) == 11
    assert sorted(e.seq for e in await writers[0].events("k", 0, 100)) == list(range(1, 12))


async def log_head(writers) -> int:
    heads = {await writer.head("k") for writer in writers}
    assert len(heads) == 1
    return heads.pop()


async def test_a_key_is_recognised_after_its_stream_moves_to_the_next_bucket(log):
    original = await log.append("r", posted(1, "c-1"), key="1:c-1")
    for i in range(2, SMALL_BUCKETS + 3):  # past the end of the first bucket
        await log.append("r", posted(i))
    retried = await log.append("r", posted(999, "c-1"), key="1:c-1")
    assert retried.duplicate and retried.event == original.event
    assert await log.head("r") == SMALL_BUCKETS + 2


async def test_events_page_forward_across_buckets(log):
    await asyncio.gather(*(log.append("p", posted(i)) for i in range(1, 121)))
    assert [e.seq for e in await log.events("p", 2, 6)] == [3, 4, 5, 6, 7, 8]
    assert [e.seq for e in await log.events("p", 45, 10)] == list(range(46, 56))
    assert [e.seq for e in await log.events("p", 40, 100)] == list(range(41, 121))
    assert await log.events("p", 120, 10) == []


async def test_the_outbox_hands_back_what_was_not_published(log):
    a = (await log.append("o", posted(1))).event
    b = (await log.append("o", posted(2))).event
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert [e.seq for e in await log.unsettled(later, 10)] == [1, 2]
    assert await log.unsettled(datetime.now(UTC) - timedelta(minutes=1), 10) == []
    await log.mark_published("o", a.seq)
    await log.mark_published("o", a.seq)  # again: a republished event is marked twice
    await log.mark_published("o", 99)  # a mark that is not there
    assert [e.seq for e in await log.unsettled(later, 10)] == [b.seq]
    assert len(await log.unsettled(later, 1)) == 1


async def test_sqlite_appends_waiting_at_once_share_one_commit(sqlite_writers):
    log = sqlite_writers[0]
    statements: list[str] = []
    log._db._statements.connection.set_trace_callback(statements.append)
    results = await asyncio.gather(*(log.append("g", posted(i)) for i in range(1, 51)))
    for result in results:
        await log.mark_published("g", result.event.seq)
    last = await log.append("g", posted(51))  # clearing the marks rides along with this commit
    assert statements.count("COMMIT") == 2
    assert await log.unsettled(datetime.now(UTC) + timedelta(seconds=1), 100) == [last.event]


async def test_a_stream_gets_one_epoch_at_its_first_append(writers):
    first, second = writers
    assert await first.epoch("e") == ""
    await asyncio.gather(*(writer.append("e", posted(i)) for i in range(1, 21) for writer in writers))
    epoch = await first.epoch("e")
    assert len(epoch) == 8 and int(epoch, 16) >= 0
    assert await second.epoch("e") == epoch
    await first.append("other", posted(99))
    assert await first.epoch("other") not in ("", epoch)


async def test_a_read_after_a_seq_says_where_the_stream_stands(log):
    assert await position(log, "w") == (0, "")
    empty = await read_since(log, "w", 0, 10)
    assert (empty.events, empty.last_seq, empty.epoch) == ([], 0, "")
    await asyncio.gather(*(log.append("w", posted(i)) for i in range(1, 8)))
    epoch = await log.epoch("w")
    page = await read_since(log, "w", 2, 3)
    assert ([e.seq for e in page.events], page.last_seq, page.epoch) == ([3, 4, 5], 7, epoch)
    assert await position(log, "w") == (7, epoch)
