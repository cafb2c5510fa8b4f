"""A socket's inbox and writable gate, as uvicorn's protocol uses them: pure logic."""

import asyncio

from parley_edge.sockets.protocol_state import Gate, Inbox


async def test_events_come_out_in_the_order_they_went_in():
    inbox = Inbox()
    assert inbox.empty()
    inbox.put_nowait({"n": 1})
    inbox.put_nowait({"n": 2})
    assert not inbox.empty()
    assert [await inbox.get(), await inbox.get()] == [{"n": 1}, {"n": 2}]
    assert inbox.empty()


async def test_a_reader_waits_for_the_next_event():
    inbox = Inbox()
    reader = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    assert not reader.done()
    inbox.put_nowait({"type": "websocket.disconnect"})
    assert await asyncio.wait_for(reader, 2) == {"type": "websocket.disconnect"}


async def test_a_cancelled_read_loses_nothing():
    inbox = Inbox()
    reader = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)
    inbox.put_nowait("kept")
    assert await asyncio.wait_for(inbox.get(), 2) == "kept"


async def test_a_writer_waits_while_the_gate_is_shut_and_goes_once_it_opens():
    gate = Gate()
    await asyncio.wait_for(gate.wait(), 2)  # open: no wait
    gate.clear()
    assert not gate.is_set()
    writers = [asyncio.create_task(gate.wait()) for _ in range(2)]
    await asyncio.sleep(0)
    assert not any(writer.done() for writer in writers)
    gate.set()
    await asyncio.wait_for(asyncio.gather(*writers), 2)
    assert gate.is_set()
