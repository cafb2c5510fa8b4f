"""Running a service: log set-up, NATS connection, health endpoint, and a drain on SIGTERM.

`run_service` is the one entry point every `python -m parley_<service>` uses; it waits
for NATS (`nats_wait_s`, trying again with a growing pause), and exits non-zero with a
one-line reason when NATS stays away or a required setting is missing, or (when
`unready_exit_s` is set) when its readiness has stayed false that long, so that whatever
supervises it (a restart policy) starts it afresh.
"""

import asyncio
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog
import uvloop

from . import collector, gil
from .bus import Bus
from .health import HealthServer, ReadinessCheck, run_checks
from .logs import configure_logging
from .settings import ServiceSettings

log = structlog.get_logger("parley.lifecycle")
CONNECT_ATTEMPT_S = 2.0
"""One attempt retries every 0.2 s for this long (nats-py's own loop); then a pause."""
FIRST_CONNECT_PAUSE_S = 0.5
MAX_CONNECT_PAUSE_S = 10.0


async def _nothing() -> None:
    return None


@dataclass
class Started:
    """What a service's start-up hands back: its readiness checks, how it stops taking work
    (before the bus drains) and how it closes its ports (after)."""

    checks: dict[str, ReadinessCheck] = field(default_factory=dict)
    close: Callable[[], Awaitable[None]] = _nothing
    stop: Callable[[], Awaitable[None]] = _nothing


Startup = Callable[[Bus], Awaitable[Started]]
"""Wires the service onto the bus."""


async def wait_for_stop_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def connect_bus(name: str, settings: ServiceSettings) -> Bus:
    """Connect to NATS, trying again after a pause that doubles (up to 10 s) for as long as
    `nats_wait_s` allows: NATS may start after the service, or restart under it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.nats_wait_s
    pause_s = FIRST_CONNECT_PAUSE_S
    while True:
        try:
            return await Bus.connect(
                settings.nats_url,
                name,
                settings.request_timeout_s,
                settings.request_resend_after_s,
                connect_deadline_s=max(1.0, min(CONNECT_ATTEMPT_S, deadline - loop.time())),
                concurrency=settings.max_concurrent_requests,
                user=settings.nats_user,
                password=settings.nats_password,
                allow_reconnect=True,
                connect_timeout=5,
            )
        except Exception as exc:  # nats-py raises several unrelated types for "cannot connect"
            reason = settings.scrub(str(exc) or type(exc).__name__)
            if loop.time() + pause_s >= deadline:
                where = settings.scrub(settings.nats_url)
                raise SystemExit(f"{name}: cannot reach NATS at {where}: {reason}") from exc
            log.warning("nats_unreachable", service=name, reason=reason, retry_in_s=pause_s)
            await asyncio.sleep(pause_s)
            pause_s = min(2 * pause_s, MAX_CONNECT_PAUSE_S)


async def serve_until_stopped(name: str, settings: ServiceSettings, startup: Startup) -> None:
    bus = await connect_bus(name, settings)
    started = await startup(bus)
    collector.freeze_start_up()
    health = HealthServer({**started.checks, "nats": lambda: _nats_ready(bus)}, name)
    if settings.health_port:
        await health.start(settings.health_host, settings.health_port)
    log.info("service_started", service=name)
    stopping = asyncio.create_task(wait_for_stop_signal())
    watches = (
        [asyncio.create_task(exit_when_unready(health, settings.unready_exit_s))] if settings.unready_exit_s else []
    )
    done, _ = await asyncio.wait([stopping, *watches], return_when=asyncio.FIRST_COMPLETED)
    for task in (stopping, *watches):
        task.cancel()
    log.info("service_stopping", service=name)
    await health.stop()
    await started.stop()
    try:
        await bus.drain()
    except Exception as exc:  # NATS away (the unready exit's usual cause): close the rest all the same
        log.warning("nats_drain_failed", service=name, error=type(exc).__name__)
    finally:
        await started.close()
    if stopping not in done:
        raise SystemExit(f"{name}: not ready for {settings.unready_exit_s:g}s; exiting so that it is restarted")


async def exit_when_unready(health: HealthServer, unready_exit_s: float) -> None:
    """Returns once readiness has been false (some check failing) for `unready_exit_s` on end."""
    unready_since = None
    while True:
        await asyncio.sleep(min(1.0, unready_exit_s / 4))
        results = await run_checks(health.checks)
        if all(results.values()):
            unready_since = None
            continue
        unready_since = unready_since or time.monotonic()
        if time.monotonic() - unready_since >= unready_exit_s:
            failing = sorted(name for name, ok in results.items() if not ok)
            log.error("service_unready_exit", service=health.service, failing=failing, after_s=unready_exit_s)
            return


async def _nats_ready(bus: Bus) -> bool:
    return bus.nc.is_connected


def run_service(name: str, settings: ServiceSettings, startup: Startup) -> None:
    configure_logging(settings.effective_log_format, settings.log_level, scrub=settings.scrub)
    collector.tune()
    gil.hand_over_quickly()
    try:
        uvloop.run(serve_until_stopped(name, settings, startup))  # its loop is the faster for NATS traffic
    except SystemExit:
        raise
    except Exception as exc:
        log.exception("service_crashed", service=name)
        sys.exit(settings.scrub(f"{name}: {exc}"))
