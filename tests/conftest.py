"""Cross-service fixtures: real service processes on the per-test NATS."""

import pytest

from parley_testkit.process import ServerFailed
from parley_testkit.services import auth_service, edge_service


@pytest.fixture
def auth_process(nats_url, tmp_path):
    service = auth_service(nats_url, tmp_path).spawn()
    yield service
    service.stop()


@pytest.fixture
def edge(nats_url, tmp_path, auth_process):
    """The edge's base URL, with the auth service behind it; both boot at once."""
    service, base_url = edge_service(nats_url, tmp_path)
    service.spawn()
    try:
        auth_process.wait_ready()
        service.wait_ready()
    except ServerFailed as exc:
        service.stop()
        pytest.fail(str(exc), pytrace=False)
    yield base_url
    service.stop()
