"""DM test fixtures: the DM store on every adapter, the real servers included."""

import pytest
import pytest_asyncio

from parley_dm.store_cassandra import CassandraDmStore, create_schema
from parley_dm.store_memory import MemoryDmStore
from parley_dm.store_sqlite import SqliteDmStore


@pytest_asyncio.fixture
async def sqlite_store(tmp_path):
    store = await SqliteDmStore.open(tmp_path / "dm.sqlite3")
    yield store
    await store.close()


@pytest.fixture
def cassandra_store(cassandra_session, cassandra_keyspace):
    create_schema(cassandra_session, cassandra_keyspace)
    return CassandraDmStore(cassandra_session, cassandra_keyspace)


@pytest.fixture
def memory_store():
    return MemoryDmStore()


@pytest.fixture(params=["sqlite", "cassandra", "memory"])
def store(request):
    return request.getfixturevalue(f"{request.param}_store")
