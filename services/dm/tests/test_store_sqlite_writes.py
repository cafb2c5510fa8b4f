"""What a DM costs SQLite: at most one write transaction, which holds its event, its
message and inbox rows and its outbox mark, and carries the clears of earlier marks
along (and the reservation of the next block of message ids, made ahead of need); and
few statements, which are most of what a DM costs dm's CPU.

The real handler, the real outbox relay and dm's SQLite store, as the service runs
them; a list stands for the bus."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from parley_contracts import dm
from parley_dm import handlers
from parley_dm.handlers import Ports
from parley_dm.store_sqlite import SCHEMA, SqliteDmStore
from parley_storage.id_blocks import IdBlocks
from parley_storage.sqlite import Database
from parley_testkit.handlers import Handlers
from parley_testkit.sqlite_writes import statements, write_transactions

ADA = 1
ONE_BY_ONE = 150  # more than a block of message ids
AT_ONCE, CONVERSATIONS = 256, 100
RECIPIENTS = range(2, 2 + CONVERSATIONS)
STATEMENTS_PER_SEND = 10
"""Whether the recipient blocks the sender; the unit's savepoint and its release; the
head; the key; the event; the outbox mark; the message's row; both inboxes' rows; the
mark's clear (a row of one statement for all)."""


@pytest.fixture
async def dm_on_sqlite(tmp_path):
    db = await Database.open(tmp_path / "dm.sqlite3", SCHEMA)
    store = SqliteDmStore(db)

    async def known_users(ids: list[int]) -> set[int]:
        return set(ids)

    yield Handlers(Ports(store, IdBlocks(store.reserve_ids), known_users), store, lambda e: e.conversation_id), db
    await store.close()


async def send(service: Handlers, recipient_id: int, content: str) -> dm.DirectMessage:
    command = dict(actor_id=ADA, recipient_id=recipient_id, content=content, client_msg_id=content)
    return (await service(handlers.send, **command)).message


async def test_a_dm_costs_at_most_one_write_transaction(dm_on_sqlite):
    service, db = dm_on_sqlite
    await send(service, RECIPIENTS[0], "first")
    with write_transactions(db) as one_by_one:  # nothing to share a commit with but the last send's clear
        for n in range(ONE_BY_ONE):
            await send(service, RECIPIENTS[n % 3], f"one-{n}")
    assert one_by_one.count <= ONE_BY_ONE
    with write_transactions(db) as at_once:
        await asyncio.gather(*(send(service, RECIPIENTS[n % CONVERSATIONS], f"many-{n}") for n in range(AT_ONCE)))
    assert at_once.count <= AT_ONCE / 10  # sends waiting at once share their commits
    with write_transactions(db) as left:
        await db.flush()
    assert left.count == 1  # the clears still queued go together

    store = service.ports.store
    assert await store.unsettled(datetime.now(UTC) + timedelta(seconds=1), 10) == []
    for recipient_id in RECIPIENTS:
        conversation_id = dm.conversation_id(ADA, recipient_id)
        events = await store.events(conversation_id, 0, 1000)
        assert [event.seq for event in events] == list(range(1, len(events) + 1))
        history = await store.history(conversation_id, None, None, 100)
        assert history == [event.message for event in events][-100:]
    sent = [event.message.client_msg_id for event in service.published]
    assert len(sent) == len(set(sent)) == 1 + ONE_BY_ONE + AT_ONCE
    assert len({event.message.id for event in service.published}) == len(sent)


async def test_a_dm_runs_few_statements(dm_on_sqlite):
    service, db = dm_on_sqlite
    for recipient_id in RECIPIENTS:  # each conversation has begun: its epoch is made once, at its first message
        await send(service, recipient_id, f"first-{recipient_id}")
    with statements(db) as ran:
        await asyncio.gather(*(send(service, RECIPIENTS[n % CONVERSATIONS], f"many-{n}") for n in range(AT_ONCE)))
        await db.flush()
    assert ran.count / AT_ONCE < STATEMENTS_PER_SEND + 0.5  # and the shared commits' own, a fraction of one each
