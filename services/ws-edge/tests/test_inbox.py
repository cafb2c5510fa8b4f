"""A socket's inbox, as uvicorn's protocol uses it: pure logic."""

import asyncio

from parley_edge.sockets.inbox import Inbox


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
