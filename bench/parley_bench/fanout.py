"""One channel to many sockets, for any server: the latency at a steady rate, then the
highest rate whose p99 stays within `PEAK_P99_MS`. The `fanout` scenario runs it on Parley;
`make bench-compare` runs it on Parley and on Centrifugo with the same load, whose sockets
are read by `listen` (Go). `deliveries` counts what in-process sockets (`Listener`) received,
for the scenarios whose sockets also send."""

from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

from parley_client import Listener

from .listen import Readers
from .load import at_rate, settle
from .target import Target

PEAK_P99_MS = 250


@dataclass
class Audience:
    """The sockets of one channel and how to reach them on one server."""

    readers: Readers
    publish: Callable[[str], Coroutine[Any, Any, object]]
    """Publishes one message stamped with this tag (`population.stamped`)."""
    pid: int
    """The server process (and its children) whose CPU a delivery costs."""


def deliveries(
    sockets: list[Listener], tags: set[str], stamps: Callable[[bytes], Iterator[tuple[str, float]]]
) -> tuple[list[float], int, int]:
    """Latencies of every delivery of these tags to every socket; how many were lost and doubled."""
    latencies, lost, doubled = [], 0, 0
    for socket in sockets:
        seen: dict[str, int] = {}
        for arrived, payload in socket.received:
            for tag, sent in stamps(payload):
                if tag in tags:
                    seen[tag] = seen.get(tag, 0) + 1
                    if seen[tag] == 1:
                        latencies.append(arrived - sent)
        lost += len(tags - seen.keys())
        doubled += sum(n - 1 for n in seen.values())
    return latencies, lost, doubled


async def sweep(target: Target, audience: Audience, name: str) -> dict:
    sizes = target.sizes

    async def run(rate: int, seconds: float, prefix: str) -> dict:
        readers = audience.readers
        before = readers.delivered()
        count = int(rate * seconds)
        target.progress(f"{name}: {readers.count} sockets, {rate} msgs/s for {seconds}s")
        with target.measuring(f"{name}_{prefix}", audience.pid) as span:
            await at_rate(rate, count, lambda n: audience.publish(f"{prefix}{n}"), target)
            await settle(readers.delivered, lambda: before + count * readers.count, target)
        figures = await readers.figures(prefix, count)
        delivered = figures.pop("deliveries")
        return {
            "rate": rate, "deliveries_per_s": round(delivered / span.seconds), **figures,
            "cpu_pct": span.cpu_pct, "kernel_pct": span.system_pct,
            "us_per_delivery": round(1e6 * span.cpu_s / max(1, delivered), 1),
            "user_us_per_delivery": round(1e6 * (span.cpu_s - span.system_s) / max(1, delivered), 1),
        }  # fmt: skip

    await run(sizes.fanout_rate, 1, "w")  # warm-up
    steady = await run(sizes.fanout_rate, sizes.fanout_seconds, "f")
    peak, lost, doubled = 0, steady["lost"], steady["duplicated"]
    for step, rate in enumerate(sizes.fanout_peak_rates):
        tried = await run(rate, sizes.fanout_peak_seconds, f"p{step}_")
        target.progress(f"  {rate} msgs/s: p50 {tried['p50_ms']} ms, p99 {tried['p99_ms']} ms")
        # The server shed readers that fell behind: what they missed is theirs to resume, not lost.
        if closed := audience.readers.closed():
            stopped = f"{rate} msgs/s: {closed} sockets closed as too slow"
            break
        lost, doubled = lost + tried["lost"], doubled + tried["duplicated"]
        if tried["p99_ms"] > PEAK_P99_MS or tried["lost"]:
            stopped = f"{rate} msgs/s: p99 {tried['p99_ms']} ms, {tried['lost']} lost"
            break
        peak = rate
    else:
        stopped = "every rate tried"
    return {
        "sockets": audience.readers.count,
        **{k: v for k, v in steady.items() if k not in ("lost", "duplicated")},
        f"peak_rate_p99_{PEAK_P99_MS}ms": peak,
        "stopped_at": stopped,
        "lost": lost,
        "duplicated": doubled,
    }
