"""The bounded send queue: pure logic."""

from parley_edge.send_queue import SendQueue


async def test_frames_come_out_in_order():
    queue = SendQueue(3)
    for frame in ("a", "b", "c"):
        assert queue.offer(frame, droppable=False)
    assert [await queue.take() for _ in range(3)] == ["a", "b", "c"]


async def test_when_full_droppable_frames_give_way_first():
    queue = SendQueue(3)
    queue.offer("msg1", droppable=False)
    queue.offer("typing", droppable=True)
    queue.offer("msg2", droppable=False)
    assert queue.offer("presence", droppable=True)  # accepted but dropped: no room
    assert queue.offer("msg3", droppable=False)  # evicts "typing"
    assert queue.dropped == 2
    assert [await queue.take() for _ in range(3)] == ["msg1", "msg2", "msg3"]


async def test_full_of_essential_frames_refuses():
    queue = SendQueue(2)
    assert queue.offer("m1", droppable=False) and queue.offer("m2", droppable=False)
    assert not queue.offer("m3", droppable=False)
    assert len(queue) == 2


async def test_finish_lets_queued_frames_out_first():
    queue = SendQueue(2)
    queue.offer("last words", droppable=False)
    queue.finish()
    assert await queue.take() == "last words"
    assert await queue.take() is None
