"""What the SQLite event log does to cost a post less, kept honest: a stream's head is
read once per shared transaction (and forgotten with a unit that is undone), and the
JSON an event is stored as is the one its publish sends."""

import asyncio

import pytest_asyncio
from pydantic import TypeAdapter

from parley_contracts import chat
from parley_runtime.bus import encode
from parley_runtime.clock import now
from parley_storage.event_log_sqlite import SqliteEventLog, event_log_schema
from parley_storage.sqlite import Database, Statements

CODEC = TypeAdapter(chat.ChannelEvent)
REFUSED = 13
"""The message id whose projection fails, undoing its append alone."""


def posted(message_id: int, content: str = "m"):
    def build(seq: int) -> chat.MessagePosted:
        message = chat.ChannelMessage(id=message_id, channel_id=1, author_id=1, content=content, seq=seq,
                                      created_at=now(), mentions=[2, 3])  # fmt: skip
        return chat.MessagePosted(channel_id=1, seq=seq, occurred_at=now(), message=message)

    return build


async def refuse_one(_: Statements, event: chat.ChannelEvent) -> None:
    if isinstance(event, chat.MessagePosted) and event.message.id == REFUSED:
        raise ValueError("this projection fails")


@pytest_asyncio.fixture
async def db(tmp_path):
    db = await Database.open(tmp_path / "log.sqlite3", event_log_schema("t"))
    yield db
    await db.close()


async def test_appends_sharing_a_commit_read_their_stream_head_once(db):
    log = SqliteEventLog(db, "t", CODEC)
    await log.append("h", posted(1))
    statements: list[str] = []
    db._statements.connection.set_trace_callback(statements.append)
    results = await asyncio.gather(*(log.append("h", posted(i)) for i in range(2, 52)))
    db._statements.connection.set_trace_callback(None)
    assert statements.count("COMMIT") == 1
    assert sum("MAX(seq)" in statement for statement in statements) == 1
    assert sorted(r.event.seq for r in results) == list(range(2, 52))


async def test_an_append_undone_in_a_shared_commit_leaves_no_gap(db):
    log = SqliteEventLog(db, "t", CODEC, refuse_one)
    outcomes = await asyncio.gather(
        log.append("u", posted(1)), log.append("u", posted(REFUSED)), log.append("u", posted(2)),
        return_exceptions=True,
    )  # fmt: skip
    assert isinstance(outcomes[1], ValueError)
    assert [outcome.event.seq for outcome in (outcomes[0], outcomes[2])] == [1, 2]
    assert [event.message.id for event in await log.events("u", 0, 10)] == [1, 2]
    assert (await log.append("u", posted(3))).event.seq == 3


async def test_an_event_is_published_as_the_json_it_is_stored_as(db):
    log = SqliteEventLog(db, "t", CODEC)
    event = (await log.append("j", posted(1, 'héllo "there"'))).event
    (body,) = await db.first("SELECT body FROM t_events WHERE stream = 'j' AND seq = 1")
    assert body.encode() == encode(event) == event.model_dump_json(exclude_none=True).encode()
    assert log.stored_json(event) == encode(event)
    assert log.stored_json(event) is None  # handed out once; a second publish encodes it again
