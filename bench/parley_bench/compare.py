"""`make bench-compare`: the fan-out sweep on Parley and on Centrifugo with the same load
(the same sockets in one channel, the same rates, publishing over HTTP to both), each
figure side by side with Parley's ratio to Centrifugo's."""

import json
import os
import sys
from pathlib import Path

import aiohttp
import uvloop

from parley_client.frame_socket import socket_url

from . import centrifugo, population
from .fanout import PEAK_P99_MS, Audience, sweep
from .listen import Readers
from .stacks import embedded_stack, environment, raise_open_files, service_pids
from .target import QUICK, Sizes, Target

OUT = Path(".parley/bench")
FIGURES = ["p50_ms", "p99_ms", f"peak_rate_p99_{PEAK_P99_MS}ms", "deliveries_per_s", "us_per_delivery",
           "user_us_per_delivery", "cpu_pct", "lost", "duplicated"]  # fmt: skip


async def post(http: aiohttp.ClientSession, url: str, body: dict, headers: dict[str, str]) -> None:
    """One publish over HTTP, its answer read to the end (the connection goes back to the pool)."""
    async with http.post(url, json=body, headers=headers) as answer:
        answer.raise_for_status()
        await answer.read()


async def centrifugo_audience(base_url: str, pid: int, sizes: Sizes, http: aiohttp.ClientSession) -> Audience:
    steps = [
        {"send": json.dumps({"id": 1, "connect": {}})},
        {"await": '"id":1'},
        {"send": json.dumps({"id": 2, "subscribe": {"channel": centrifugo.CHANNEL}})},
        {"await": '"id":2'},
    ]
    readers = await Readers.open(socket_url(base_url, "/connection/websocket"), sizes.fanout_sockets, steps)

    async def publish(tag: str) -> None:
        body = {"channel": centrifugo.CHANNEL, "data": json.loads(population.stamped(tag))}
        await post(http, f"{base_url}/api/publish", body, {"X-API-Key": centrifugo.API_KEY})

    return Audience(readers, publish, pid)


async def parley_audience(base_url: str, pid: int, sizes: Sizes, http: aiohttp.ClientSession) -> Audience:
    people = await population.users(base_url, "cmp", 10)
    members = [u["id"] for u, _ in people[1:]]
    [channel] = await population.workspace_with_channels(base_url, people[0][1], members, 1)
    cookies = [people[n % len(people)][1] for n in range(sizes.fanout_sockets)]
    readers = await population.readers(base_url, cookies, channel)
    cookie = people[0][1]

    async def publish(tag: str) -> None:
        body = {"channelId": channel, "content": population.stamped(tag)}
        await post(http, f"{base_url}/api/messages", body, {"Cookie": cookie})

    return Audience(readers, publish, pid)


async def measure(name: str, base_url: str, pid: int, sizes: Sizes, make) -> dict:
    # aiohttp, not httpx: at 250 posts/s httpx's pool cost the load most of a core of the two
    # the servers run on (its pool walks every connection for every request), aiohttp a fraction.
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http:
        audience = await make(base_url, pid, sizes, http)
        try:
            return await sweep(Target(base_url, "", pid, sizes), audience, name)
        finally:
            await audience.readers.close()


def side_by_side(parley: dict, other: dict) -> str:
    lines = [f"{'figure':24} {'Parley':>12} {'Centrifugo':>12} {'ratio':>8}", "-" * 59]
    for figure in FIGURES:
        ours, theirs = parley.get(figure), other.get(figure)
        ratio = f"{ours / theirs:8.2f}" if isinstance(ours, int | float) and theirs else f"{'-':>8}"
        lines.append(f"{figure:24} {ours!s:>12} {theirs!s:>12} {ratio}")
    return "\n".join(lines)


def main() -> None:
    quick = "--quick" in sys.argv
    sizes = QUICK if quick else Sizes()
    raise_open_files()
    workers = len(os.sched_getaffinity(0))
    with centrifugo.running() as (base_url, pid):
        theirs = uvloop.run(measure("centrifugo", base_url, pid, sizes, centrifugo_audience))
    print(f"centrifugo: {theirs}", flush=True)
    with environment(), embedded_stack(edge_workers=workers) as (stack, base_url):
        ours = uvloop.run(measure("parley", base_url, service_pids(stack)["edge"], sizes, parley_audience))
    print(f"parley ({workers} edge workers): {ours}", flush=True)
    print(f"\nfan-out, {sizes.fanout_sockets} sockets in one channel, {sizes.fanout_rate} msgs/s, over HTTP:")
    print(side_by_side(ours, theirs))
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"compare-{'quick' if quick else 'full'}.json"
    path.write_text(json.dumps({"sizes": sizes.__dict__, "parley": ours, "centrifugo": theirs}, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
