"""Frames encoded once for every socket: what a standard WebSocket client reads back, and
how the frames of one loop turn leave (pure logic, over a fake transport)."""

import gc
import weakref

import pytest
from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

from parley_edge.sockets.wire import Wire, encode


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 200_000])
def test_an_encoded_frame_reads_back_as_one_text_frame(size):
    payload = bytes(ord("a") + n % 26 for n in range(size))
    client = ClientProtocol(parse_uri("ws://edge/ws/chat"), state=State.OPEN, max_size=None)
    client.receive_data(encode(payload))
    [frame] = client.events_received()
    assert (frame.opcode, frame.fin, bytes(frame.data)) == (Opcode.TEXT, True, payload)


def test_frames_written_back_to_back_stay_apart():
    client = ClientProtocol(parse_uri("ws://edge/ws/chat"), state=State.OPEN)
    client.receive_data(encode(b'{"a":1}') + encode(b"x" * 300) + encode(b"{}"))
    assert [bytes(frame.data) for frame in client.events_received()] == [b'{"a":1}', b"x" * 300, b"{}"]


class FakeTransport:
    def __init__(self):
        self.writes: list[bytes] = []
        """What each system call would carry: one entry per write or writelines."""

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def writelines(self, frames: list[bytes]) -> None:
        self.writes.append(b"".join(frames))

    def get_write_buffer_size(self) -> int:
        return 0


class FakeLoop:
    def __init__(self):
        self.scheduled: list = []

    def call_soon(self, callback) -> None:
        self.scheduled.append(callback)

    def turn(self) -> None:
        """The end of a turn: what it scheduled runs."""
        callbacks, self.scheduled = self.scheduled, []
        for callback in callbacks:
            callback()


class FakeProtocol:
    def __init__(self, loop: FakeLoop):
        self.loop = loop
        self.transport = FakeTransport()
        self.handshake_complete = True
        self.close_sent = False
        self.disconnected = False


def wires(loop: FakeLoop, count: int) -> list[tuple[Wire, FakeProtocol]]:
    protocols = [FakeProtocol(loop) for _ in range(count)]
    return [(Wire(protocol), protocol) for protocol in protocols]


def test_the_first_frame_of_a_turn_leaves_at_once_and_the_rest_together_in_order():
    loop = FakeLoop()
    (a, a_end), (b, b_end) = wires(loop, 2)
    a.write(b"1")
    b.write(b"x")
    a.write(b"2")
    a.write(b"3")
    assert a_end.transport.writes == [b"1"]  # the fan-out's next socket does not wait for it
    assert b_end.transport.writes == [b"x"]
    loop.turn()
    assert a_end.transport.writes == [b"1", b"23"]
    assert b_end.transport.writes == [b"x"]
    a.write(b"4")
    assert a_end.transport.writes == [b"1", b"23", b"4"]  # a new turn: at once again
    loop.turn()
    assert a_end.transport.writes == [b"1", b"23", b"4"]


def test_one_callback_per_turn_serves_every_socket():
    loop = FakeLoop()
    pairs = wires(loop, 100)
    for wire, _ in pairs:
        wire.write(b"event")
        wire.write(b"more")
        wire.write(b"again")
    assert len(loop.scheduled) == 1
    loop.turn()
    assert all(end.transport.writes == [b"event", b"moreagain"] for _, end in pairs)


def test_nothing_is_written_once_the_close_frame_went_or_the_client_left():
    loop = FakeLoop()
    (closing, closing_end), (gone, gone_end), (leaving, leaving_end) = wires(loop, 3)
    closing.write(b"first")
    closing.write(b"before")
    closing.flush()  # as a close does: its frames go first
    closing_end.close_sent = True
    closing.write(b"after")
    gone_end.disconnected = True
    gone.write(b"late")
    leaving.write(b"sent")
    leaving.write(b"queued")
    leaving_end.disconnected = True
    loop.turn()
    assert closing_end.transport.writes == [b"first", b"before"]
    assert gone_end.transport.writes == []
    assert leaving_end.transport.writes == [b"sent"]


def test_a_loop_that_is_gone_takes_its_flusher_with_it():
    loop = FakeLoop()
    [(wire, protocol)] = wires(loop, 1)
    wire.write(b"x")
    loop.turn()
    gone = weakref.ref(loop)
    del loop, wire, protocol
    gc.collect()
    assert gone() is None
