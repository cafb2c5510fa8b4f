"""What a scenario runs against: the stack's addresses, the edge process to watch, the
sizes, and where progress and profiles go."""

import contextlib
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import profile
from .measure import cpu_seconds


@dataclass(frozen=True)
class Sizes:
    fanout_sockets: int = 1000
    fanout_rate: int = 20
    fanout_seconds: float = 15
    fanout_peak_rates: tuple[int, ...] = (
        40, 60, 80, 100, 125, 150, 175, 200, 250, 300, 350, 400, 500, 600, 800, 1000, 1200,
    )  # fmt: skip
    fanout_peak_seconds: float = 8
    channels: int = 500
    channel_size: int = 10
    channel_send_every_s: float = 10
    channel_seconds: float = 30
    idle_sockets: int = 10_000
    dm_pairs: int = 1000
    dm_messages: int = 3
    dm_send_every_s: float = 10
    persist_seconds: float = 10
    persist_warmup_s: float = 10
    cassandra_warmup_s: float = 20
    persist_streams: int = 100
    persist_in_flight: int = 256
    persist_rate: int = 500


QUICK = Sizes(
    fanout_sockets=200,
    fanout_rate=20,
    fanout_seconds=5,
    fanout_peak_rates=(100, 200),
    fanout_peak_seconds=3,
    channels=40,
    channel_size=10,
    channel_send_every_s=5,
    channel_seconds=10,
    idle_sockets=1000,
    dm_pairs=100,
    dm_messages=3,
    dm_send_every_s=5,
    persist_seconds=3,
    persist_warmup_s=1,
    cassandra_warmup_s=0,
    persist_streams=10,
    persist_in_flight=64,
    persist_rate=200,
)


@dataclass(frozen=True)
class Target:
    base_url: str
    nats_url: str
    edge_pid: int
    sizes: Sizes
    profile_dir: Path | None = None
    """When set, the measured part of each scenario is profiled into this folder."""

    def progress(self, line: str) -> None:
        print(f"  … {line}", flush=True)

    @contextlib.contextmanager
    def measuring(self, scenario: str, pid: int | None = None):
        """Around the measured part of a scenario: yields a `Span` that knows how long it
        ran and how much CPU `pid` (default: the edge) used meanwhile. The load's own
        garbage collector is off meanwhile: its pauses would read as the server's latency."""
        span = Span(pid or self.edge_pid)
        gc.disable()
        try:
            if self.profile_dir is None:
                yield span
            else:
                with profile.recording(span.pid, self.profile_dir / f"{scenario}.txt"):
                    yield span
        finally:
            gc.enable()
        span.stop()


class Span:
    def __init__(self, pid: int):
        self.pid = pid
        self._began, self._cpu = time.monotonic(), cpu_seconds(pid)
        self.seconds = self.cpu_s = self.system_s = 0.0

    def stop(self) -> None:
        self.seconds = time.monotonic() - self._began
        user, system = (now - then for now, then in zip(cpu_seconds(self.pid), self._cpu, strict=True))
        self.cpu_s, self.system_s = user + system, system

    @property
    def cpu_pct(self) -> int:
        """Of one core, while the span ran."""
        return round(100 * self.cpu_s / self.seconds) if self.seconds else 0

    @property
    def system_pct(self) -> int:
        """How much of that CPU was the kernel's: socket writes on loopback carry the receiving side too."""
        return round(100 * self.system_s / self.cpu_s) if self.cpu_s else 0


def every(seconds: float) -> Callable[[], bool]:
    """True at most once per `seconds`: for progress lines inside a loop."""
    last = [0.0]

    def due() -> bool:
        if time.monotonic() - last[0] < seconds:
            return False
        last[0] = time.monotonic()
        return True

    return due
