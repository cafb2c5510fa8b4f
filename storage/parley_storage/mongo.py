"""MongoDB clients made from a service's settings, and integer ids safe on FerretDB too.

`find_one_and_update` with `$inc` is atomic on MongoDB but not on FerretDB 1.x, where
two concurrent calls can return the same value (our conformance tests caught it). So a
block of ids is claimed by inserting a document whose `_id` names where the block
starts: the unique `_id` lets exactly one claimant have each block on either server.
"""

from typing import Any

import pymongo
from motor.motor_asyncio import AsyncIOMotorClient, AsyncIOMotorCollection
from pymongo.errors import DuplicateKeyError

from .metrics import MongoTimer

Document = dict[str, Any]


async def ensure_counter_index(blocks: AsyncIOMotorCollection[Document]) -> None:
    await blocks.create_index([("name", pymongo.ASCENDING), ("last", pymongo.DESCENDING)])


async def advance_counter(blocks: AsyncIOMotorCollection[Document], name: str, by: int = 1) -> int:
    """Reserve the next `by` ids of counter `name`; return the last id of the block."""
    while True:
        newest = await blocks.find_one({"name": name}, sort=[("last", pymongo.DESCENDING)])
        start = newest["last"] if newest else 0
        try:
            await blocks.insert_one({"_id": f"{name}:{start}", "name": name, "last": start + by})
            return start + by
        except DuplicateKeyError:
            continue  # another claimant took the block after `start`; read again


def client_with(settings: Any, timeout_ms: int = 5000) -> AsyncIOMotorClient[Document]:
    """A client from a service's `MongoFields` settings: credentials apart from the URL (any
    character works), TLS with the given CA when asked."""
    options: dict[str, Any] = {"tz_aware": True, "serverSelectionTimeoutMS": timeout_ms}
    options["event_listeners"] = [MongoTimer()]  # parley_store_seconds{store="mongo"}
    if settings.mongo_user:
        options |= {
            "username": settings.mongo_user,
            "password": settings.mongo_password,
            "authSource": settings.mongo_auth_source,
        }
    if settings.mongo_tls:
        options["tls"] = True
        if settings.mongo_tls_ca_file:
            options["tlsCAFile"] = settings.mongo_tls_ca_file
    client: AsyncIOMotorClient[Document] = AsyncIOMotorClient(settings.mongo_url, **options)
    return client
