"""The scenarios. Each takes a `Target` and returns a dict of figures."""

import random

from parley_client import Listener
from parley_contracts import chat, subjects
from parley_runtime.bus import Bus

from . import population
from .fanout import Audience, deliveries, sweep
from .load import at_rate, received, settle
from .measure import latency_figures, rss_kib
from .target import Target


def refused(sockets: list[Listener], client_msg_id) -> set[str]:
    """The sends the edge refused (a rate limit, say): never acknowledged, so never owed."""
    return {client_msg_id(frame) for socket in sockets for frame, _ in socket.frames("error")}


async def fanout(target: Target) -> dict:
    """1,000 sockets in one channel (`fanout.sweep`), posts made through chat's command subject."""
    sizes = target.sizes
    people = await population.users(target.base_url, "fan", 10)
    members = [u["id"] for u, _ in people[1:]]
    [channel] = await population.workspace_with_channels(target.base_url, people[0][1], members, 1)
    cookies = [people[n % len(people)][1] for n in range(sizes.fanout_sockets)]
    readers = await population.readers(target.base_url, cookies, channel)
    # As the edge's HTTP route does: an HTTP client at this rate would cost the load process
    # more than the edge's fan-out (`make bench-compare` publishes over HTTP, for both servers).
    sender = await Bus.connect(target.nats_url, "bench-sender")
    owner_id = people[0][0]["id"]

    async def post(tag: str) -> None:
        command = chat.PostMessage(actor_id=owner_id, channel_id=channel, content=population.stamped(tag))
        await sender.request(subjects.CHAT_POST_MESSAGE, command, timeout_s=60)

    try:
        return await sweep(target, Audience(readers, post, target.edge_pid), "fanout")
    finally:
        await sender.drain()
        await readers.close()


async def many_channels(target: Target) -> dict:
    sizes = target.sizes
    per_user = 10
    people = await population.users(target.base_url, "many", max(2, sizes.channels * sizes.channel_size // per_user))
    members = [u["id"] for u, _ in people[1:]]
    channels = await population.workspace_with_channels(target.base_url, people[0][1], members, sizes.channels)
    total = sizes.channels * sizes.channel_size
    sockets = await population.listeners(target.base_url, [people[n % len(people)][1] for n in range(total)])
    assignment = [channels[n // sizes.channel_size] for n in range(total)]
    await population.join(sockets, assignment)
    rate = total / sizes.channel_send_every_s
    count = int(rate * sizes.channel_seconds)
    rng = random.Random(7)
    senders = [rng.randrange(total) for _ in range(count)]
    tags: dict[int, set[str]] = {c: set() for c in channels}
    for n, index in enumerate(senders):
        tags[assignment[index]].add(f"m{n}")
    baseline = sum(len(s.received) for s in sockets)

    async def send(n: int) -> None:
        index = senders[n]
        frame = {"type": "send_message", "channelId": assignment[index], "content": population.stamped(f"m{n}")}
        await sockets[index].send({**frame, "clientMsgId": f"m{n}"})

    def refusals() -> set[str]:
        return refused(sockets, lambda frame: frame["clientMsgId"])

    target.progress(f"many channels: {total} sockets in {len(channels)} channels, {rate:.0f} msgs/s")
    with target.measuring("many_channels") as span:
        await at_rate(rate, count, send, target)
        # A refused send answers with one error frame instead of a delivery to each member.
        delivered = count * sizes.channel_size
        await settle(
            lambda: received(sockets), lambda: baseline + delivered - len(refusals()) * (sizes.channel_size - 1), target
        )
    refused_tags = refusals()
    latencies, lost, doubled = [], 0, 0
    for channel in channels:
        in_channel = [s for s, c in zip(sockets, assignment, strict=True) if c == channel]
        found, missing, extra = deliveries(in_channel, tags[channel] - refused_tags, population.new_messages)
        latencies += found
        lost += missing
        doubled += extra
    for socket in sockets:
        socket.close()
    return {
        "sockets": total, "messages": count, "rate_per_s": round(rate), **latency_figures(latencies), "lost": lost,
        "duplicated": doubled, "refused": len(refused_tags), "edge_cpu_pct": span.cpu_pct,
    }  # fmt: skip


async def idle(target: Target) -> dict:
    """The edge's memory per idle socket joined to a channel: run first, on a fresh edge,
    since memory an earlier scenario left free inside the edge would be taken again and
    flatter the figure."""
    people = await population.users(target.base_url, "idle", 20)
    members = [u["id"] for u, _ in people[1:]]
    [channel] = await population.workspace_with_channels(target.base_url, people[0][1], members, 1)
    before = rss_kib(target.edge_pid)
    cookies = [people[n % len(people)][1] for n in range(target.sizes.idle_sockets)]
    target.progress(f"idle: opening {len(cookies)} sockets, each joined to one channel")
    readers = await population.readers(target.base_url, cookies, channel)
    after = rss_kib(target.edge_pid)
    await readers.close()
    return {"sockets": readers.count, "edge_rss_mib": round(after / 1024, 1),
            "kib_per_socket": round((after - before) / readers.count, 1)}  # fmt: skip


async def direct_messages(target: Target) -> dict:
    sizes = target.sizes
    people = await population.users(target.base_url, "dm", sizes.dm_pairs * 2)
    sockets = await population.listeners(target.base_url, [cookie for _, cookie in people], "/messagepal")
    sends = [(round_, a, b) for round_ in range(sizes.dm_messages) for pair in range(sizes.dm_pairs)
             for a, b in ((2 * pair, 2 * pair + 1), (2 * pair + 1, 2 * pair))]  # fmt: skip
    tags = {f"d{round_}-{a}" for round_, a, _ in sends}

    async def send(n: int) -> None:
        round_, a, b = sends[n]
        payload = {"recipientId": people[b][0]["id"], "content": population.stamped(f"d{round_}-{a}"),
                   "clientMsgId": f"d{round_}-{a}"}  # fmt: skip
        await sockets[a].send({"type": "send_message", "payload": payload})

    def refusals() -> set[str]:
        return refused(sockets, lambda frame: frame["payload"]["clientMsgId"])

    rate = 2 * sizes.dm_pairs / sizes.dm_send_every_s
    baseline = sum(len(s.received) for s in sockets)
    target.progress(f"DM: {sizes.dm_pairs} pairs, {sizes.dm_messages} messages each way, {rate:.0f} msgs/s")
    with target.measuring("dm") as span:
        await at_rate(rate, len(sends), send, target)
        # Each message reaches two sockets, its sender's and its recipient's; a refusal, one.
        await settle(lambda: received(sockets), lambda: baseline + 2 * len(sends) - len(refusals()), target)
    refused_tags = refusals()
    latencies, copies = [], dict.fromkeys(tags - refused_tags, 0)
    for socket in sockets:
        for frame, arrived in socket.frames("message_received"):
            tag, sent = population.sent_at(frame["payload"]["content"])
            copies[tag] += 1
            latencies.append(arrived - sent)
    lost = sum(max(0, 2 - n) for n in copies.values())
    doubled = sum(max(0, n - 2) for n in copies.values())
    for socket in sockets:
        socket.close()
    return {
        "pairs": sizes.dm_pairs, "messages": len(sends), "rate_per_s": round(rate), **latency_figures(latencies),
        "lost": lost, "duplicated": doubled, "refused": len(refused_tags), "edge_cpu_pct": span.cpu_pct,
    }  # fmt: skip
