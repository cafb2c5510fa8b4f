"""Chat test fixtures: each port on every adapter, the real servers included."""

import pytest
import pytest_asyncio

from parley_chat.directory_memory import MemoryDirectory
from parley_chat.directory_mongo import MongoDirectory
from parley_chat.directory_sqlite import SqliteDirectory
from parley_chat.streams_cassandra import CassandraStreams, create_schema
from parley_chat.streams_memory import MemoryStreams
from parley_chat.streams_sqlite import SqliteStreams


@pytest_asyncio.fixture
async def sqlite_directory(tmp_path):
    directory = await SqliteDirectory.open(tmp_path / "chat.sqlite3")
    yield directory
    await directory.close()


@pytest_asyncio.fixture
async def mongo_directory(mongo_db):
    return await MongoDirectory.open(mongo_db)


@pytest.fixture
def memory_directory():
    return MemoryDirectory()


@pytest.fixture(params=["sqlite", "mongo", "memory"])
def directory(request):
    return request.getfixturevalue(f"{request.param}_directory")


@pytest_asyncio.fixture
async def sqlite_streams(tmp_path):
    streams = await SqliteStreams.open(tmp_path / "chat.sqlite3")
    yield streams
    await streams.close()


@pytest.fixture
def cassandra_streams(cassandra_session, cassandra_keyspace):
    create_schema(cassandra_session, cassandra_keyspace)
    return CassandraStreams(cassandra_session, cassandra_keyspace)


@pytest.fixture
def memory_streams():
    return MemoryStreams()


@pytest.fixture(params=["sqlite", "cassandra", "memory"])
def streams(request):
    return request.getfixturevalue(f"{request.param}_streams")
