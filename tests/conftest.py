"""Cross-service fixtures: real service processes on the per-test NATS."""

import pytest

from parley_stack.processes import ServiceFailed, service, wait_all


@pytest.fixture
def auth_process(nats_url, tmp_path):
    auth = service("auth", nats_url, tmp_path).spawn()
    yield auth
    auth.stop()


@pytest.fixture
def chat_process(nats_url, tmp_path):
    chat = service("chat", nats_url, tmp_path).spawn()
    yield chat
    chat.stop()


@pytest.fixture
def dm_process(nats_url, tmp_path):
    dm = service("dm", nats_url, tmp_path).spawn()
    yield dm
    dm.stop()


@pytest.fixture
def edge(nats_url, tmp_path, auth_process, chat_process, dm_process):
    """The edge's base URL, with auth, chat and dm behind it; all boot at once."""
    edge_process = service("edge", nats_url, tmp_path).spawn()
    try:
        wait_all(auth_process, chat_process, dm_process, edge_process)
    except ServiceFailed as exc:
        pytest.fail(str(exc), pytrace=False)
    yield edge_process.base_url
    edge_process.stop()
