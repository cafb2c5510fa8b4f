"""Running a service: log set-up, NATS connection, health endpoint, and a drain on SIGTERM.

`run_service` is the one entry point every `python -m parley_<service>` uses; it exits
non-zero with a one-line reason when NATS or a required setting is missing.
"""

import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog
import uvloop

from .bus import Bus
from .health import HealthServer, ReadinessCheck
from .logs import configure_logging
from .settings import ServiceSettings

log = structlog.get_logger("parley.lifecycle")


async def _nothing() -> None:
    return None


@dataclass
class Started:
    """What a service's start-up hands back: its readiness checks and how to close its ports."""

    checks: dict[str, ReadinessCheck] = field(default_factory=dict)
    close: Callable[[], Awaitable[None]] = _nothing


Startup = Callable[[Bus], Awaitable[Started]]
"""Wires the service onto the bus."""


async def wait_for_stop_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def serve_until_stopped(name: str, settings: ServiceSettings, startup: Startup) -> None:
    try:
        bus = await Bus.connect(
            settings.nats_url,
            name,
            settings.request_timeout_s,
            settings.request_resend_after_s,
            concurrency=settings.max_concurrent_requests,
            allow_reconnect=True,
            connect_timeout=5,
        )
    except Exception as exc:  # nats-py raises several unrelated types for "cannot connect"
        reason = str(exc) or type(exc).__name__
        raise SystemExit(f"{name}: cannot reach NATS at {settings.nats_url}: {reason}") from exc
    started = await startup(bus)
    health = HealthServer({**started.checks, "nats": lambda: _nats_ready(bus)}, name)
    if settings.health_port:
        await health.start(settings.health_host, settings.health_port)
    log.info("service_started", service=name)
    await wait_for_stop_signal()
    log.info("service_stopping", service=name)
    await health.stop()
    await bus.drain()
    await started.close()


async def _nats_ready(bus: Bus) -> bool:
    return bus.nc.is_connected


def run_service(name: str, settings: ServiceSettings, startup: Startup) -> None:
    configure_logging(settings.effective_log_format, settings.log_level)
    try:
        uvloop.run(serve_until_stopped(name, settings, startup))  # its loop is the faster for NATS traffic
    except SystemExit:
        raise
    except Exception as exc:
        log.exception("service_crashed", service=name)
        sys.exit(f"{name}: {exc}")
