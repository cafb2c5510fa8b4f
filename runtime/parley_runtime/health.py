"""`/healthz`, `/readyz` and `/metrics` over plain HTTP for services that have no web app.

Liveness says the process answers; readiness runs the service's checks (NATS, store);
metrics are Prometheus's text. The port is meant for the private network only.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from .metrics import exposition

ReadinessCheck = Callable[[], Awaitable[bool]]


async def run_checks(checks: dict[str, ReadinessCheck], timeout_s: float = 2.0) -> dict[str, bool]:
    async def one(check: ReadinessCheck) -> bool:
        try:
            return bool(await asyncio.wait_for(check(), timeout_s))
        except Exception:
            return False

    results = await asyncio.gather(*(one(check) for check in checks.values()))
    return dict(zip(checks, results, strict=False))


class HealthServer:
    def __init__(self, checks: dict[str, ReadinessCheck], service: str = ""):
        self.checks = checks
        self.service = service
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._answer, host, port)

    async def stop(self) -> None:
        if self._server:
            self._server.close()
            await self._server.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await asyncio.wait_for(reader.readline(), 5)
            path = request_line.split(b" ")[1].decode() if request_line.count(b" ") >= 2 else ""
            if path == "/metrics":
                status, (payload, content_type) = "200 OK", exposition()
            else:
                status, body = await self._route(path)
                payload, content_type = json.dumps(body).encode(), "application/json"
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _route(self, path: str) -> tuple[str, dict[str, Any]]:
        if path == "/healthz":
            return "200 OK", {"status": "ok"}
        if path == "/readyz":
            results = await run_checks(self.checks)
            ready = all(results.values())
            body = {"service": self.service, "ready": ready, "checks": results}
            return ("200 OK" if ready else "503 Service Unavailable"), body
        return "404 Not Found", {"error": {"code": "not_found", "message": "try /healthz, /readyz or /metrics"}}
