"""Health endpoints answer over a real socket."""

import asyncio
import json

import pytest

from parley_contracts import auth, subjects
from parley_contracts.errors import ErrorCode
from parley_runtime.bus import Bus
from parley_runtime.errors import ParleyError
from parley_runtime.health import HealthServer


async def get(port: int, path: str) -> tuple[int, dict]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), json.loads(body)


async def test_liveness_and_readiness():
    state = {"store": True}

    async def store_ready() -> bool:
        return state["store"]

    async def broken() -> bool:
        raise ConnectionError("down")

    server = HealthServer({"store": store_ready}, "probe")
    await server.start("127.0.0.1", 0)
    port = server._server.sockets[0].getsockname()[1]
    assert await get(port, "/healthz") == (200, {"status": "ok"})
    assert await get(port, "/readyz") == (200, {"service": "probe", "ready": True, "checks": {"store": True}})
    state["store"] = False
    server.checks["nats"] = broken
    status, body = await get(port, "/readyz")
    assert status == 503 and body["checks"] == {"store": False, "nats": False}
    assert (await get(port, "/nope"))[0] == 404
    await server.stop()


async def test_metrics_count_and_time_each_command_and_its_errors(bus):
    async def refuse(request):
        raise ParleyError(ErrorCode.NOT_FOUND, "nobody")

    await bus.serve(subjects.AUTH_FIND_USER, refuse)
    client = await Bus.connect(bus.nc.connected_url.geturl(), "client")
    for _ in range(3):
        with pytest.raises(ParleyError):
            await client.request(subjects.AUTH_FIND_USER, auth.FindUser(username="nobody"))
    await client.nc.close()
    server = HealthServer({}, "probe")
    await server.start("127.0.0.1", 0)
    port = server._server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    raw = (await reader.read()).decode()
    writer.close()
    await server.stop()
    assert raw.startswith("HTTP/1.1 200") and "text/plain" in raw
    assert metric(raw, 'parley_command_seconds_count{subject="auth.find_user"}') >= 3
    assert metric(raw, 'parley_command_errors_total{code="not_found",subject="auth.find_user"}') >= 3


def metric(text: str, series: str) -> float:
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{series} not in the metrics")
