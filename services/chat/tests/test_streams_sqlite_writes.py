"""What a post costs SQLite: at most one write transaction, which holds its event, its
history row and its outbox mark, and carries the clears of earlier marks along (and the
reservation of the next block of message ids, made ahead of need); and few statements,
which are most of what a post costs chat's CPU.

The real handler, the real outbox relay and chat's SQLite stores on one database, as
the service opens them; a list stands for the bus."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from parley_chat import handlers
from parley_chat.bootstrap import open_stores
from parley_chat.handlers import Ports
from parley_chat.settings import ChatSettings
from parley_contracts import chat
from parley_storage.id_blocks import IdBlocks
from parley_testkit.handlers import Handlers
from parley_testkit.sqlite_writes import statements, write_transactions

OWNER = 1
ONE_BY_ONE = 150  # more than a block of message ids
AT_ONCE, CHANNELS = 256, 100
STATEMENTS_PER_POST = 9
"""The poster's role; the unit's savepoint and its release; the head; the key; the event;
the outbox mark; the history row; the mark's clear (a row of one statement for all)."""


@pytest.fixture
async def chat_on_sqlite(tmp_path):
    directory, streams = await open_stores(ChatSettings(sqlite_path=tmp_path / "chat.sqlite3"))

    async def known_users(ids: list[int]) -> set[int]:
        return set(ids)

    async def assistant_id() -> int:
        return 99

    ports = Ports(directory, streams, IdBlocks(directory.reserve_ids), known_users, assistant_id)
    yield Handlers(ports, streams, stream_of=lambda event: event.channel_id), (directory._db, streams._db)
    await streams.close()
    await directory.close()


async def channels_of(service: Handlers) -> list[int]:
    workspace = await service(handlers.create_workspace, actor_id=OWNER, name="Load")
    return [
        (await service(handlers.create_channel, actor_id=OWNER, workspace_id=workspace.id, name=f"c{n}")).id
        for n in range(CHANNELS)
    ]


async def post(service: Handlers, channel_id: int, content: str) -> chat.ChannelMessage:
    command = dict(actor_id=OWNER, channel_id=channel_id, content=content, client_msg_id=content)
    return (await service(handlers.post_message, **command)).message


async def test_a_post_costs_at_most_one_write_transaction(chat_on_sqlite):
    service, databases = chat_on_sqlite
    channels = await channels_of(service)
    await post(service, channels[0], "first")
    with write_transactions(*databases) as one_by_one:  # nothing to share a commit with but the last post's clear
        for n in range(ONE_BY_ONE):
            await post(service, channels[n % 3], f"one-{n}")
    assert one_by_one.count <= ONE_BY_ONE
    with write_transactions(*databases) as at_once:
        await asyncio.gather(*(post(service, channels[n % CHANNELS], f"many-{n}") for n in range(AT_ONCE)))
    assert at_once.count <= AT_ONCE / 10  # posts waiting at once share their commits
    with write_transactions(*databases) as left:
        for db in databases:
            await db.flush()
    assert left.count == 1  # the clears still queued go together

    assert await service.ports.streams.unsettled(datetime.now(UTC) + timedelta(seconds=1), 10) == []
    posted = [event.message.client_msg_id for event in service.published if isinstance(event, chat.MessagePosted)]
    for channel_id in channels:
        events = await service.ports.streams.events(channel_id, 0, 1000)
        assert [event.seq for event in events] == list(range(1, len(events) + 1))
        history = await service.ports.streams.history(channel_id, None, None, 100)
        assert history == [event.message for event in events][-100:]
    assert len(posted) == len(set(posted)) == 1 + ONE_BY_ONE + AT_ONCE


async def test_a_post_runs_few_statements(chat_on_sqlite):
    service, databases = chat_on_sqlite
    channels = await channels_of(service)
    for channel_id in channels:  # each stream has begun: its epoch is made once, at its first post
        await post(service, channel_id, f"first-{channel_id}")
    with statements(*databases) as ran:
        await asyncio.gather(*(post(service, channels[n % CHANNELS], f"many-{n}") for n in range(AT_ONCE)))
        for db in databases:
            await db.flush()
    assert ran.count / AT_ONCE < STATEMENTS_PER_POST + 0.5  # and the shared commits' own, a fraction of one each
