"""Auth test fixtures: the auth store on every adapter, real servers included."""

import pytest
import pytest_asyncio

from parley_auth.store_memory import MemoryAuthStore
from parley_auth.store_mongo import MongoAuthStore
from parley_auth.store_sqlite import SqliteAuthStore


@pytest_asyncio.fixture
async def sqlite_store(tmp_path):
    store = await SqliteAuthStore.open(tmp_path / "auth.sqlite3")
    yield store
    await store.close()


@pytest_asyncio.fixture
async def mongo_store(mongo_db):
    return await MongoAuthStore.open(mongo_db)


@pytest.fixture
def memory_store():
    return MemoryAuthStore()


@pytest.fixture(params=["sqlite", "mongo", "memory"])
def store(request):
    return request.getfixturevalue(f"{request.param}_store")
