"""pytest plugin: real servers for every test, each test isolated.

- `nats_url`: a fresh NATS (JetStream on) per test; `bus` is a connected `Bus` on it.
- `nats_cluster`: three fresh NATS nodes routed together, JetStream clustered.
- `cassandra_session` (session-wide) and `cassandra_keyspace` (a new keyspace per test).
- `mongo_client` (session-wide) and `mongo_db` (a new database per test).

A server that cannot be reached or started fails the test run loudly with the reason;
nothing is skipped.
"""

import time
import uuid

import pytest
import pytest_asyncio
from motor.motor_asyncio import AsyncIOMotorClient

from parley_runtime.bus import Bus
from parley_storage.cassandra import connect
from parley_storage.mongo import Document

from .config import InfraSettings
from .nats_server import EphemeralNats, EphemeralNatsCluster
from .process import ServerFailed
from .servers.cassandra import Cassandra
from .servers.ferretdb import FerretDB


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:16]}"


def _ensure(server) -> None:
    try:
        server.ensure()
    except ServerFailed as exc:
        pytest.fail(f"{server.name} is needed and could not be started: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def infra_settings() -> InfraSettings:
    return InfraSettings()


def _started(server, what: str):
    try:
        return server.start()
    except ServerFailed as exc:
        pytest.fail(f"{what} could not be started: {exc}", pytrace=False)


@pytest.fixture
def nats_url(tmp_path):
    server = _started(EphemeralNats(tmp_path / "jetstream"), "NATS")
    yield server.url
    server.stop()


@pytest.fixture
def nats_cluster(tmp_path):
    cluster = _started(EphemeralNatsCluster(tmp_path / "cluster"), "the NATS cluster")
    yield cluster
    cluster.stop()


@pytest_asyncio.fixture
async def bus(nats_url):
    connected = await Bus.connect(nats_url, "test")
    yield connected
    await connected.nc.close()


@pytest.fixture(scope="session")
def cassandra_session(infra_settings):
    server = Cassandra(infra_settings)
    _ensure(server)
    cluster, session = connect(server.url())
    yield session
    cluster.shutdown()


@pytest.fixture
def cassandra_keyspace(cassandra_session):
    name = unique_name("t")
    cassandra_session.execute(
        f"CREATE KEYSPACE {name} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}"
    )
    yield name
    cassandra_session.execute(f"DROP KEYSPACE IF EXISTS {name}")


def cassandra_settings(request, create_schema) -> dict[str, str]:
    """A service's `cassandra_*` settings on a fresh keyspace holding its tables. A plain
    function, so that a test parametrised over stores needs Cassandra only where it uses it."""
    session, keyspace = request.getfixturevalue("cassandra_session"), request.getfixturevalue("cassandra_keyspace")
    create_schema(session, keyspace)
    hosts = Cassandra(request.getfixturevalue("infra_settings")).url()
    return {"cassandra_hosts": hosts, "cassandra_keyspace": keyspace}


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def mongo_client(infra_settings):
    server = FerretDB(infra_settings)
    _ensure(server)
    client: AsyncIOMotorClient[Document] = AsyncIOMotorClient(
        server.url(), tz_aware=True, serverSelectionTimeoutMS=5000
    )
    yield client
    client.close()


@pytest_asyncio.fixture
async def mongo_db(mongo_client):
    name = unique_name("t")
    yield mongo_client[name]
    await mongo_client.drop_database(name)


SESSION_STARTED = pytest.StashKey[float]()


def pytest_sessionstart(session):
    session.config.stash[SESSION_STARTED] = time.time()


def pytest_terminal_summary(terminalreporter, config):
    """The table of the fault tests (tests/test_faults.py) that ran in this session."""
    from .chaos import RESULTS, recorded, table

    if RESULTS.exists() and RESULTS.stat().st_mtime >= config.stash[SESSION_STARTED]:
        terminalreporter.section("faults under steady traffic")
        terminalreporter.write_line(table(recorded()))
