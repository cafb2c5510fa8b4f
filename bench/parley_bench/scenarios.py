"""The scenarios. Each returns a dict of figures; sizes and rates come from `Sizes`."""

import asyncio
import random
import time
from dataclasses import dataclass

import httpx

from parley_contracts import chat, subjects
from parley_runtime.bus import Bus

from . import population
from .measure import cpu_seconds, latency_figures, rss_kib


@dataclass(frozen=True)
class Sizes:
    fanout_sockets: int = 1000
    fanout_rate: int = 100
    fanout_seconds: float = 10
    channels: int = 500
    channel_size: int = 10
    channel_send_every_s: float = 10
    channel_seconds: float = 30
    idle_sockets: int = 10_000
    dm_pairs: int = 1000
    dm_messages: int = 5
    persist_posts: int = 2000
    persist_channels: int = 50


QUICK = Sizes(
    fanout_sockets=200,
    fanout_rate=50,
    fanout_seconds=5,
    channels=40,
    channel_size=10,
    channel_send_every_s=5,
    channel_seconds=10,
    idle_sockets=1000,
    dm_pairs=100,
    dm_messages=3,
    persist_posts=500,
    persist_channels=10,
)


def deliveries(sockets, tags: set[str]) -> tuple[list[float], int, int]:
    """Latencies of every delivery of a tagged message; and how many were lost and doubled."""
    latencies, lost, doubled = [], 0, 0
    for socket in sockets:
        seen: dict[str, int] = {}
        for frame, arrived in socket.timed("new_message"):
            tag, sent = population.sent_at(frame["message"]["content"])
            if tag in tags:
                seen[tag] = seen.get(tag, 0) + 1
                if seen[tag] == 1:
                    latencies.append(arrived - sent)
        lost += len(tags - seen.keys())
        doubled += sum(n - 1 for n in seen.values())
    return latencies, lost, doubled


async def fanout(base_url: str, edge_pid: int, sizes: Sizes, progress) -> dict:
    people = await population.users(base_url, "fan", 10)
    [channel] = await population.workspace_with_channels(base_url, people[0][1], [u["id"] for u, _ in people[1:]], 1)
    cookies = [people[n % len(people)][1] for n in range(sizes.fanout_sockets)]
    sockets = await population.open_sockets(base_url, cookies)
    await population.join(sockets, [channel] * len(sockets))
    progress(f"fan-out: {len(sockets)} sockets joined; sending {sizes.fanout_rate}/s for {sizes.fanout_seconds}s")
    tags = set()
    cpu_before = cpu_seconds(edge_pid)
    async with httpx.AsyncClient(base_url=base_url, headers={"Cookie": people[0][1]}, timeout=30) as sender:
        await sender.post("/api/messages", json={"channelId": channel, "content": population.stamped("warm-up")})
        started = time.monotonic()
        count = int(sizes.fanout_rate * sizes.fanout_seconds)
        for n in range(count):
            tag = f"f{n}"
            tags.add(tag)
            await sender.post("/api/messages", json={"channelId": channel, "content": population.stamped(tag)})
            await asyncio.sleep(max(0.0, started + (n + 1) / sizes.fanout_rate - time.monotonic()))
    expected = len(tags) * len(sockets)
    await settle(lambda: sum(len(s.of_type("new_message")) for s in sockets) >= expected + len(sockets), 30)
    elapsed = time.monotonic() - started
    latencies, lost, doubled = deliveries(sockets, tags)
    for socket in sockets:
        await socket.connection.close()
    return {
        "sockets": len(sockets), "messages": len(tags), "deliveries_per_s": round(len(latencies) / elapsed),
        **latency_figures(latencies), "lost": lost, "duplicated": doubled,
        "edge_cpu_s": round(cpu_seconds(edge_pid) - cpu_before, 1),
    }  # fmt: skip


async def many_channels(base_url: str, edge_pid: int, sizes: Sizes, progress) -> dict:
    per_user = 10
    people = await population.users(base_url, "many", max(2, sizes.channels * sizes.channel_size // per_user))
    channels = await population.workspace_with_channels(
        base_url, people[0][1], [u["id"] for u, _ in people[1:]], sizes.channels
    )
    total = sizes.channels * sizes.channel_size
    cookies = [people[n % len(people)][1] for n in range(total)]
    sockets = await population.open_sockets(base_url, cookies)
    assignment = [channels[n // sizes.channel_size] for n in range(total)]
    await population.join(sockets, assignment)
    rate = total / sizes.channel_send_every_s
    progress(
        f"many channels: {total} sockets in {len(channels)} channels, {rate:.0f} msgs/s for {sizes.channel_seconds}s"
    )
    tags: dict[int, set[str]] = {c: set() for c in channels}
    rng = random.Random(7)
    cpu_before = cpu_seconds(edge_pid)
    started = time.monotonic()
    count = int(rate * sizes.channel_seconds)
    for n in range(count):
        index = rng.randrange(total)
        tag = f"m{n}"
        tags[assignment[index]].add(tag)
        await sockets[index].send({"type": "send_message", "channelId": assignment[index],
                                   "content": population.stamped(tag)})  # fmt: skip
        await asyncio.sleep(max(0.0, started + (n + 1) / rate - time.monotonic()))
    expected = count * sizes.channel_size
    await settle(lambda: sum(len(s.of_type("new_message")) for s in sockets) >= expected, 30)
    elapsed = time.monotonic() - started
    latencies, lost, doubled = [], 0, 0
    for channel in channels:
        members = [s for s, c in zip(sockets, assignment, strict=True) if c == channel]
        found, missing, extra = deliveries(members, tags[channel])
        latencies += found
        lost += missing
        doubled += extra
    refused = sum(len(s.of_type("error")) for s in sockets)
    for socket in sockets:
        await socket.connection.close()
    return {
        "sockets": total, "messages": count, "rate_per_s": round(rate), **latency_figures(latencies), "lost": lost,
        "duplicated": doubled, "refused": refused,
        "edge_cpu_pct": round(100 * (cpu_seconds(edge_pid) - cpu_before) / elapsed),
    }  # fmt: skip


async def idle(base_url: str, edge_pid: int, sizes: Sizes, progress) -> dict:
    people = await population.users(base_url, "idle", 20)
    before = rss_kib(edge_pid)
    cookies = [people[n % len(people)][1] for n in range(sizes.idle_sockets)]
    progress(f"idle: opening {len(cookies)} sockets")
    sockets = await population.open_sockets(base_url, cookies)
    after = rss_kib(edge_pid)
    for socket in sockets:
        await socket.connection.close()
    return {"sockets": len(sockets), "edge_rss_mib": round(after / 1024, 1),
            "kib_per_socket": round((after - before) / len(sockets), 1)}  # fmt: skip


async def direct_messages(base_url: str, edge_pid: int, sizes: Sizes, progress) -> dict:
    people = await population.users(base_url, "dm", sizes.dm_pairs * 2)
    sockets = await population.open_sockets(base_url, [cookie for _, cookie in people], "/messagepal")
    progress(f"DM: {sizes.dm_pairs} pairs, {sizes.dm_messages} messages each way")
    started = time.monotonic()
    for round_ in range(sizes.dm_messages):
        for pair in range(sizes.dm_pairs):
            for a, b in ((2 * pair, 2 * pair + 1), (2 * pair + 1, 2 * pair)):
                frame = {"type": "send_message", "payload": {"recipientId": people[b][0]["id"],
                         "content": population.stamped(f"d{round_}-{a}")}}  # fmt: skip
                await sockets[a].send(frame)
        await asyncio.sleep(1.0)  # the seed's 5-per-5 s send limit
    expected = sizes.dm_pairs * 2 * sizes.dm_messages
    await settle(lambda: sum(len(s.of_type("message_received")) for s in sockets) >= 2 * expected, 30)
    latencies, tags_seen = [], {}
    for socket in sockets:
        for frame, arrived in socket.timed("message_received"):
            tag, sent = population.sent_at(frame["payload"]["content"])
            tags_seen[tag] = tags_seen.get(tag, 0) + 1
            latencies.append(arrived - sent)
    for socket in sockets:
        await socket.connection.close()
    return {"pairs": sizes.dm_pairs, "messages": expected, **latency_figures(latencies),
            "lost": expected - len(tags_seen), "duplicated": sum(max(0, n - 2) for n in tags_seen.values()),
            "seconds": round(time.monotonic() - started, 1)}  # fmt: skip


async def persistence(nats_url: str, sizes: Sizes, progress) -> dict:
    bus = await Bus.connect(nats_url, "bench")
    workspace = await bus.request(subjects.CHAT_CREATE_WORKSPACE, chat.CreateWorkspace(actor_id=1, name="P"))
    channels = []
    for n in range(sizes.persist_channels):
        command = chat.CreateChannel(actor_id=1, workspace_id=workspace.id, name=f"p{n}")
        channels.append((await bus.request(subjects.CHAT_CREATE_CHANNEL, command)).id)
    limit = asyncio.Semaphore(64)

    async def post(n: int, targets: list[int]) -> None:
        async with limit:
            command = chat.PostMessage(actor_id=1, channel_id=targets[n % len(targets)], content=f"p{n}")
            await bus.request(subjects.CHAT_POST_MESSAGE, command, timeout_s=60)

    figures = {}
    for label, targets in (("one_channel", channels[:1]), ("many_channels", channels)):
        progress(f"persistence: {sizes.persist_posts} posts into {len(targets)} channel(s)")
        started = time.monotonic()
        await asyncio.gather(*(post(n, targets) for n in range(sizes.persist_posts)))
        figures[f"{label}_appends_per_s"] = round(sizes.persist_posts / (time.monotonic() - started))
    await bus.drain()
    return figures


async def settle(done, timeout_s: float) -> None:
    """Wait until `done()` or the timeout; what is missing then counts as lost."""
    deadline = time.monotonic() + timeout_s
    while not done() and time.monotonic() < deadline:  # noqa: ASYNC110  frames arrive on other tasks
        await asyncio.sleep(0.1)
