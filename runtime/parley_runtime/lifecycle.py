"""Running a service: log set-up, NATS connection, health endpoint, and a drain on SIGTERM.

`run_service` is the one entry point every `python -m parley_<service>` uses; it exits
non-zero with a one-line reason when NATS or a required setting is missing.
"""

import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable

import structlog

from .bus import Bus
from .health import HealthServer, ReadinessCheck
from .logs import configure_logging
from .settings import DEFAULT_SECRET, ServiceSettings

log = structlog.get_logger("parley.lifecycle")

Startup = Callable[[Bus], Awaitable[dict[str, ReadinessCheck]]]
"""Wires the service onto the bus; returns readiness checks by name."""


async def wait_for_stop_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def serve_until_stopped(name: str, settings: ServiceSettings, startup: Startup) -> None:
    try:
        bus = await Bus.connect(
            settings.nats_url, name, settings.request_timeout_s, allow_reconnect=True, connect_timeout=5
        )
    except Exception as exc:  # nats-py raises several unrelated types for "cannot connect"
        reason = str(exc) or type(exc).__name__
        raise SystemExit(f"{name}: cannot reach NATS at {settings.nats_url}: {reason}") from exc
    checks = await startup(bus)
    checks["nats"] = lambda: _nats_ready(bus)
    health = HealthServer(checks)
    if settings.health_port:
        await health.start(settings.health_host, settings.health_port)
    log.info("service_started", service=name)
    await wait_for_stop_signal()
    log.info("service_stopping", service=name)
    await health.stop()
    await bus.drain()


async def _nats_ready(bus: Bus) -> bool:
    return bus.nc.is_connected


def run_service(name: str, settings: ServiceSettings, startup: Startup, secret: str | None = None) -> None:
    configure_logging(settings.effective_log_format, settings.log_level)
    if settings.production and secret == DEFAULT_SECRET:
        sys.exit(f"{name}: refusing to start in production with the default secret; set a real one")
    try:
        asyncio.run(serve_until_stopped(name, settings, startup))
    except SystemExit:
        raise
    except Exception as exc:
        log.exception("service_crashed", service=name)
        sys.exit(f"{name}: {exc}")
