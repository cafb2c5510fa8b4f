"""An answered request is freed at once by reference counting, not left to the cyclic
garbage collector (`cassandra._let_go`)."""

import gc
import weakref

import pytest
from cassandra.query import SimpleStatement

from parley_storage.cassandra import execute
from parley_testkit.waiting import until


@pytest.fixture
def no_cyclic_collection():
    gc.disable()
    yield
    gc.enable()


async def freed(reference: weakref.ref) -> bool:
    # The driver's thread may still be returning from the callback that answered us.
    return reference() is None


async def test_an_answered_request_and_its_statement_are_freed(cassandra_session, no_cyclic_collection):
    statement = SimpleStatement("SELECT release_version FROM system.local")
    reference = weakref.ref(statement)
    assert await execute(cassandra_session, statement)
    del statement
    await until(lambda: freed(reference), timeout_s=2)
