"""The fan-out load's Go readers against a small WebSocket server on loopback: stamps
found in a frame's own JSON and escaped in a JSON string, several in one message, the
subprotocol they offer, and what they report lost or doubled."""

import asyncio
import json
import time

from websockets.asyncio.server import ServerConnection, serve

from parley_bench.listen import Readers
from parley_testkit.waiting import until


def stamp(tag: str) -> dict:
    return {"tag": tag, "sent": time.time()}


async def test_readers_find_every_stamp_once_in_plain_escaped_and_batched_messages():
    sockets: list[ServerConnection] = []
    joined = asyncio.Event()

    async def accept(socket: ServerConnection) -> None:
        await socket.send('{"type":"connected"}')
        sockets.append(socket)
        if len(sockets) == 2:
            joined.set()
        await socket.wait_closed()

    async with serve(accept, "127.0.0.1", 0, subprotocols=["parley.lines"]) as server:
        port = server.sockets[0].getsockname()[1]
        steps = [{"await": '"connected"'}]
        readers = await Readers.open(f"ws://127.0.0.1:{port}/", 2, steps, subprotocol="parley.lines")
        try:
            await asyncio.wait_for(joined.wait(), 10)
            assert {socket.subprotocol for socket in sockets} == {"parley.lines"}
            for socket in sockets:
                await socket.send(json.dumps({"push": {"pub": {"data": stamp("t0")}}}))  # plain
                escaped = {"type": "new_message", "message": {"content": json.dumps(stamp("t1"))}}
                await socket.send(json.dumps(escaped) + '\n{"type":"unread_updated","delta":1}')
                await socket.send(json.dumps(stamp("t2")) + "\n" + json.dumps(stamp("t3")))  # two in one
            await socket.send(json.dumps(stamp("t3")))  # the last socket gets t3 twice

            async def all_read() -> bool:
                return readers.delivered() == 9

            await until(all_read, timeout_s=10)
            figures = await readers.figures("t", 5)
        finally:
            await readers.close()
    assert (figures["deliveries"], figures["lost"], figures["duplicated"]) == (8, 2, 1)  # t4 never came
    assert 0 <= figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"] < 10_000
