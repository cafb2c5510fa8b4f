"""What sends into many conversations at once cost Cassandra: a few requests for all of
them (the turn's block read, key read, marks, log rows, projection rows; the marks
cleared ride with the next turn's writes), not a few each."""

import asyncio

from parley_dm.store_cassandra import CassandraDmStore, create_schema
from parley_storage import cassandra
from parley_storage.leases import LeaseTerms
from parley_testkit.cassandra_requests import requests

from .test_store_conformance import sent

SENDERS = range(10, 30)
ADA = 1


async def test_sends_into_many_conversations_in_one_turn_take_a_few_requests(
    cassandra_session, cassandra_keyspace, monkeypatch
):
    create_schema(cassandra_session, cassandra_keyspace)
    # Leases long enough that none is renewed inside the counted turn, however slow the host.
    store = CassandraDmStore(cassandra_session, cassandra_keyspace, LeaseTerms(length_s=60.0))
    monkeypatch.setattr(cassandra, "LAZY_WRITE_S", 60)  # the unmarks wait for the next turn, however slow the test
    await store.set_blocked(ADA, 11, True)

    async def send(sender: int, message_id: int) -> bool:
        if await store.is_blocked(ADA, sender):
            return False
        conv, build = sent(sender, ADA, message_id, client_msg_id=f"c{message_id}")
        appended = await store.append(conv, build, key=f"{sender}:c{message_id}")
        await store.settle(appended.event)
        await store.mark_published(conv, appended.event.seq)
        return True

    await asyncio.gather(*(send(sender, sender) for sender in SENDERS))  # the leases taken
    with requests(cassandra_session, cassandra_keyspace) as counted:
        delivered = await asyncio.gather(*(send(sender, 100 + sender) for sender in SENDERS))
    assert delivered == [sender != 11 for sender in SENDERS]
    assert counted == {"statement": 2, "batch": 3}  # the earlier sends' unmarks rode with the marks
    assert [m.id for m in await store.history("conv_1_12", None, None, 10)] == [12, 112]
    assert [entry.other_user_id for entry in await store.inbox(12)] == [ADA]
