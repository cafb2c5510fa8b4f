"""One socket's frames: in order per stream, at once across streams, alone when about
no stream, and never more than the limit at once (pure asyncio, no socket)."""

import asyncio

from parley_edge.sockets.ordering import InOrder


class Log:
    def __init__(self):
        self.events: list[str] = []
        self.gates: dict[str, asyncio.Event] = {}

    def frame(self, name: str, gated: bool = False):
        """A frame's work: logs its start and end; a gated one waits to be let go."""
        gate = self.gates.setdefault(name, asyncio.Event())
        if not gated:
            gate.set()

        async def work() -> None:
            self.events.append(f"{name}+")
            await gate.wait()
            self.events.append(f"{name}-")

        return work()


async def settle() -> None:
    for _ in range(5):  # a few loop turns let every ready task run
        await asyncio.sleep(0)


async def test_frames_about_one_stream_run_in_order_and_others_go_past_a_slow_one():
    log, order = Log(), InOrder(limit=8)
    await order.submit("channel:1", log.frame("a", gated=True))
    await order.submit("channel:1", log.frame("b"))
    await order.submit("channel:2", log.frame("c"))
    await settle()
    assert log.events == ["a+", "c+", "c-"]  # b waits for a; c does not
    log.gates["a"].set()
    await order.finish()
    assert log.events == ["a+", "c+", "c-", "a-", "b+", "b-"]


async def test_a_frame_about_no_stream_runs_alone():
    log, order = Log(), InOrder(limit=8)
    await order.submit("channel:1", log.frame("a", gated=True))
    alone = asyncio.create_task(order.submit(None, log.frame("ping")))
    await settle()
    assert log.events == ["a+"] and not alone.done()
    log.gates["a"].set()
    await alone  # returns once the frame about no stream is handled
    await order.submit("channel:2", log.frame("c"))
    await order.finish()
    assert log.events == ["a+", "a-", "ping+", "ping-", "c+", "c-"]


async def test_past_the_limit_the_socket_is_not_read():
    log, order = Log(), InOrder(limit=2)
    await order.submit("channel:1", log.frame("a", gated=True))
    await order.submit("channel:2", log.frame("b", gated=True))
    third = asyncio.create_task(order.submit("channel:3", log.frame("c")))
    await settle()
    assert not third.done() and "c+" not in log.events
    log.gates["a"].set()
    await third
    log.gates["b"].set()
    await order.finish()
    assert sorted(log.events) == sorted(["a+", "a-", "b+", "b-", "c+", "c-"])


async def test_a_failing_frame_does_not_stop_the_next_about_its_stream():
    log, order = Log(), InOrder(limit=4)

    async def fails() -> None:
        raise ValueError("a handler bug")

    await order.submit("channel:1", fails())
    await order.submit("channel:1", log.frame("b"))
    await order.finish()
    assert log.events == ["b+", "b-"]
