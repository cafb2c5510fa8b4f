"""The persistence scenarios: posts and DMs straight to chat and dm over NATS, so what is
measured is the service and its store, not the edge.

For each kind (channel posts, DMs) and spread (one stream, many streams): as many
acknowledged appends a second as `in_flight` open requests give (a closed loop, each
with a clientMsgId, as clients send them), with the latency of each request; then
channel posts at a fixed rate over the many streams (an open loop), whose p99 says
whether that rate is carried or queued. It is measured as the closed loops are, with
the load's garbage collector off (a 150 ms stall of the load itself, which stopped
sending meanwhile, had read as the service's tail), and chat's CPU beside it. Its first
second is reported apart (`waking`): the streams idle since their closed loop wake at
once, each taking its lease back, as the fan-out sweep's warm-up second is kept out of
its figures.

Each kind starts with `persist_warmup_s` of the closed loop over its many streams, not
measured: a Cassandra node just started runs its hot paths interpreted until its JIT
has compiled them (the first run after a start measured a third fewer appends a second
than the next), and a node in production has long done so. On Cassandra the channel
posts, the first kind, get `cassandra_warmup_s` more: with 10 s only, a node that
`make bench` had just started took 1,678 channel posts a second over 100 streams and
2,270 DMs (the second kind, on a node warm by then); with 30 s, 2,469 and 2,524.
"""

import asyncio
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from parley_contracts import chat, dm, subjects
from parley_runtime.bus import Bus

from . import population
from .measure import latency_figures
from .scenarios import at_rate
from .target import Target

Send = Callable[[int], Coroutine[Any, Any, None]]
CASES = [("channel", "one"), ("channel", "many"), ("dm", "one"), ("dm", "many")]
STORES = ["sqlite", "cassandra"]


def side_by_side(results: dict) -> list[dict]:
    """One row per case: each store's appends a second and the p99 they were reached at."""
    rows = []
    for kind, spread in CASES:
        row: dict = {"case": f"{kind}_{spread}"}
        for store in STORES:
            figures = results.get(f"persistence_{store}")
            if figures:
                row[store] = {
                    "appends_per_s": figures[f"{kind}_{spread}_appends_per_s"],
                    "p99_ms": figures[f"{kind}_{spread}_p99_ms"],
                }
        rows.append(row)
    return rows


def side_by_side_table(rows: list[dict]) -> str:
    lines = [f"{'persistence':14}" + "".join(f"{store:>26}" for store in STORES)]
    for row in rows:
        cells = [
            f"{row[store]['appends_per_s']:>8,}/s at p99 {row[store]['p99_ms']:>6.0f} ms" if store in row else " " * 26
            for store in STORES
        ]
        lines.append(f"{row['case']:14}" + "".join(cells))
    return "\n".join(lines)


async def persistence(target: Target, pids: dict[str, int], label: str, first_warmup_s: float = 0) -> dict:
    """The figures on one store (`label`); the first kind warms up `first_warmup_s` longer."""
    sizes = target.sizes
    bus = await Bus.connect(target.nats_url, "bench", resend_after_s=60)  # measure capacity, not resends
    channels = await _channels(bus, sizes.persist_streams)
    sender, *recipients = [user for user, _ in await population.users(target.base_url, "p", sizes.persist_streams + 1)]
    figures: dict[str, float] = {}
    for kind, streams, pid in (
        ("channel", channels, pids["chat"]),
        ("dm", [user["id"] for user in recipients], pids["dm"]),
    ):
        send = _post(bus, streams) if kind == "channel" else _dm(bus, sender["id"], streams)
        warmup_s = sizes.persist_warmup_s + (first_warmup_s if kind == "channel" else 0)
        target.progress(f"{kind}: {warmup_s}s warming up, not measured")
        await _closed_loop(send, sizes, warmup_s)
        for spread, count in (("one", 1), ("many", len(streams))):
            name = f"persistence_{label}_{kind}_{spread}"
            target.progress(f"{name}: {sizes.persist_seconds}s, {sizes.persist_in_flight} in flight, {count} stream(s)")

            def spread_send(n: int, s: Send = send, c: int = count) -> Coroutine[Any, Any, None]:
                return s(n % c)

            with target.measuring(name, pid=pid) as span:
                latencies = await _closed_loop(spread_send, sizes, sizes.persist_seconds)
            figures[f"{kind}_{spread}_appends_per_s"] = round(len(latencies) / span.seconds)
            figures[f"{kind}_{spread}_p99_ms"] = latency_figures(latencies)["p99_ms"]
            figures[f"{kind}_{spread}_cpu_pct"] = span.cpu_pct
    rate = sizes.persist_rate
    target.progress(f"channel posts at {rate}/s over {len(channels)} channels, after a second waking them")
    send = _post(bus, channels)
    waking: list[float] = []
    await at_rate(rate, rate, _timed(send, waking), target)
    latencies = []
    with target.measuring(f"persistence_{label}_channel_at_{rate}_per_s", pid=pids["chat"]) as span:
        await at_rate(rate, round(rate * sizes.persist_seconds), _timed(send, latencies), target)
    figures.update({f"channel_at_{rate}_per_s_{k}": v for k, v in latency_figures(latencies).items()})
    figures[f"channel_at_{rate}_per_s_cpu_pct"] = span.cpu_pct
    figures.update({f"channel_at_{rate}_per_s_waking_{k}": v for k, v in latency_figures(waking).items()})
    await bus.drain()
    return figures


async def _channels(bus: Bus, count: int) -> list[int]:
    workspace = await bus.request(subjects.CHAT_CREATE_WORKSPACE, chat.CreateWorkspace(actor_id=1, name="P"))
    made = []
    for n in range(count):
        command = chat.CreateChannel(actor_id=1, workspace_id=workspace.id, name=f"p{n}")
        made.append((await bus.request(subjects.CHAT_CREATE_CHANNEL, command)).id)
    return made


def _post(bus: Bus, channels: list[int]) -> Send:
    async def send(n: int) -> None:
        command = chat.PostMessage(
            actor_id=1, channel_id=channels[n % len(channels)], content=f"p{n}", client_msg_id=uuid.uuid4().hex
        )
        await bus.request(subjects.CHAT_POST_MESSAGE, command, timeout_s=60)

    return send


def _dm(bus: Bus, sender_id: int, recipients: list[int]) -> Send:
    async def send(n: int) -> None:
        command = dm.SendDirectMessage(
            actor_id=sender_id, recipient_id=recipients[n % len(recipients)], content=f"d{n}",
            client_msg_id=uuid.uuid4().hex,
        )  # fmt: skip
        await bus.request(subjects.DM_SEND, command, timeout_s=60)

    return send


def _timed(send: Send, latencies: list[float]) -> Send:
    async def timed(n: int) -> None:
        loop = asyncio.get_running_loop()
        began = loop.time()
        await send(n)
        latencies.append(loop.time() - began)

    return timed


async def _closed_loop(send: Send, sizes, seconds: float) -> list[float]:
    """`in_flight` requests always open for `seconds`; the latency of each acknowledged one."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    latencies: list[float] = []
    timed = _timed(send, latencies)

    async def worker(first: int) -> None:
        n = first
        while loop.time() < deadline:
            await timed(n)
            n += sizes.persist_in_flight

    await asyncio.gather(*(worker(first) for first in range(sizes.persist_in_flight)))
    return latencies
