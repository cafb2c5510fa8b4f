"""`python -m parley_bench.post_cost [--posts N] [--concurrency C] [--rate R] [--profile]`:
the CPU time the edge (and chat) spend on one `POST /api/messages`.

Starts the embedded stack with one edge worker, then posts N messages over HTTP into a
channel no socket watches and N into one a few sockets watch, and divides the CPU time
each process used meanwhile (less what it uses idle) by N. CPU time rather than wall
time, so a busy machine changes the figure little. A raw HTTP/1.1 client on C keep-alive
connections keeps the load's own work small; posts go back to back, or at R a second in
all, each then reaching an edge that was idle, as the fan-out scenario's posts do (a post
costs more that way: nothing of it is still in the caches). `--profile` samples the edge
with py-spy meanwhile and prints where it spent its time.
"""

import argparse
import asyncio
import contextlib
import json
import tempfile
import time
from pathlib import Path

import uvloop

from . import population, profile
from .measure import cpu_seconds
from .stacks import embedded_stack, environment, service_pids

WARM_UP = 300
IDLE_S = 5.0
WATCHERS = 4


async def post_all(port: int, cookie: str, channel: int, count: int, concurrency: int, rate: float) -> None:
    """`count` posts over `concurrency` connections, each post answered before the
    connection's next; at `rate` a second in all when `rate` is set."""

    async def connection(n: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        loop = asyncio.get_running_loop()
        started = loop.time()
        for i in range(n, count, concurrency):  # this connection's share of the posts
            if rate:
                await asyncio.sleep(max(0.0, started + i / rate - loop.time()))
            body = json.dumps({"channelId": channel, "content": f"post {n}-{i}"}).encode()
            writer.write(
                b"POST /api/messages HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                b"Cookie: %s\r\nContent-Length: %d\r\n\r\n%s" % (cookie.encode(), len(body), body)
            )
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) != b"\r\n":
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            if not status.startswith(b"HTTP/1.1 201"):
                raise RuntimeError(f"a post was refused: {status.decode().strip()}")
        writer.close()

    await asyncio.gather(*(connection(n) for n in range(concurrency)))


def cpu(pid: int) -> float:
    return sum(cpu_seconds(pid))


async def measure(base_url: str, pids: dict[str, int], args: argparse.Namespace) -> None:
    port = int(base_url.rsplit(":", 1)[1])
    people = await population.users(base_url, "cost", 1 + WATCHERS)
    owner_cookie = people[0][1]
    members = [user["id"] for user, _ in people[1:]]
    unwatched, watched = await population.workspace_with_channels(base_url, owner_cookie, members, 2)
    sockets = await population.listeners(base_url, [cookie for _, cookie in people[1:]])
    await population.join(sockets, [watched] * len(sockets))
    processes = {"edge": pids["edge"], "chat": pids["chat"]}

    before, started = {name: cpu(pid) for name, pid in processes.items()}, time.monotonic()
    await asyncio.sleep(IDLE_S)
    idle = {name: (cpu(pid) - before[name]) / (time.monotonic() - started) for name, pid in processes.items()}
    pace = f"{args.rate:g}/s" if args.rate else "back to back"
    print(f"{args.posts} posts each, {args.concurrency} connection(s), {pace}; CPU ms per post, idle use taken off")
    for name, channel in (("no socket watching", unwatched), (f"{len(sockets)} sockets watching", watched)):
        await post_all(port, owner_cookie, channel, WARM_UP, args.concurrency, 0.0)
        before, started = {n: cpu(pid) for n, pid in processes.items()}, time.monotonic()
        samples = Path(tempfile.mkdtemp(prefix="parley-post-cost-")) / "edge.txt"
        with profile.recording(pids["edge"], samples) if args.profile else contextlib.nullcontext():
            await post_all(port, owner_cookie, channel, args.posts, args.concurrency, args.rate)
        elapsed = time.monotonic() - started
        costs = {n: 1000 * (cpu(pid) - before[n] - idle[n] * elapsed) / args.posts for n, pid in processes.items()}
        print(f"  {name:22} " + "  ".join(f"{n} {ms:.3f}" for n, ms in costs.items()) + f"  ({elapsed:.1f} s)")
        if args.profile:
            for function, own, under in profile.hottest(samples, 25):
                print(f"      {own:5.1f}% {under:5.1f}%  {function}")
    for socket in sockets:
        socket.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--rate", type=float, default=0.0, help="posts a second in all; 0: back to back")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with environment(), embedded_stack(edge_workers=1) as (stack, base_url):
        uvloop.run(measure(base_url, service_pids(stack), args))


if __name__ == "__main__":
    main()
