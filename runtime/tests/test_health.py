"""Health endpoints answer over a real socket."""

import asyncio
import json

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
