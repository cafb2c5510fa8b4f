"""Smoke tests proving each server is the real thing, with the semantics Parley relies on."""

import pymongo
import pytest
from pymongo.errors import DuplicateKeyError


def test_cassandra_lightweight_transaction_applies_once(cassandra_session, cassandra_keyspace):
    session = cassandra_session
    session.execute(f"CREATE TABLE {cassandra_keyspace}.heads (stream text PRIMARY KEY, seq bigint)")
    insert = f"INSERT INTO {cassandra_keyspace}.heads (stream, seq) VALUES (%s, %s) IF NOT EXISTS"
    first = session.execute(insert, ("channel:1", 1)).one()
    second = session.execute(insert, ("channel:1", 2)).one()
    assert first.applied is True
    assert second.applied is False
    assert second.seq == 1
    update = f"UPDATE {cassandra_keyspace}.heads SET seq = %s WHERE stream = %s IF seq = %s"
    assert session.execute(update, (2, "channel:1", 1)).one().applied is True
    assert session.execute(update, (3, "channel:1", 1)).one().applied is False


async def test_mongo_unique_index_refuses_a_duplicate(mongo_db):
    users = mongo_db["users"]
    await users.create_index([("username_lower", pymongo.ASCENDING)], unique=True)
    await users.insert_one({"_id": 1, "username_lower": "ada"})
    with pytest.raises(DuplicateKeyError):
        await users.insert_one({"_id": 2, "username_lower": "ada"})
    assert await users.count_documents({}) == 1


async def test_mongo_find_one_and_update_increments_atomically(mongo_db):
    counters = mongo_db["counters"]
    values = []
    for _ in range(3):
        doc = await counters.find_one_and_update(
            {"_id": "user_id"}, {"$inc": {"value": 1}}, upsert=True, return_document=pymongo.ReturnDocument.AFTER
        )
        values.append(doc["value"])
    assert values == [1, 2, 3]


async def test_jetstream_publish_deduplicates_by_msg_id(bus):
    await bus.js.add_stream(name="SMOKE", subjects=["smoke.>"])
    first = await bus.js.publish("smoke.1", b"a", headers={"Nats-Msg-Id": "smoke:1"})
    second = await bus.js.publish("smoke.1", b"a", headers={"Nats-Msg-Id": "smoke:1"})
    assert not first.duplicate
    assert second.duplicate
    assert (await bus.js.stream_info("SMOKE")).state.messages == 1
