"""Frames encoded once for every socket: what a standard WebSocket client reads back, and
how the frames of one loop turn leave, a feed's held events among them (pure logic, over
a fake transport)."""

import gc
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

from parley_edge.fanout.feed import Feed
from parley_edge.sockets.wire import Wire, as_lines, encode


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


class FakeLoop:
    def __init__(self):
        self.now = 0.0
        self.scheduled: list = []

    def time(self) -> float:
        return self.now

    def call_soon(self, callback, *args) -> None:
        self.scheduled.append((self.now, callback, args))

    def call_at(self, when: float, callback, *args) -> None:
        self.scheduled.append((when, callback, args))

    def turn(self) -> None:
        """The end of a turn: what it scheduled for now runs."""
        due = [entry for entry in self.scheduled if entry[0] <= self.now]
        self.scheduled = [entry for entry in self.scheduled if entry[0] > self.now]
        for _, callback, args in due:
            callback(*args)

    def at(self, when: float) -> None:
        """Time passes until `when`, and what was scheduled until then runs."""
        self.now = when
        self.turn()


class FakeTransport:
    def __init__(self, loop: FakeLoop, cost_s: float):
        self.loop = loop
        self.cost_s = cost_s
        self.writes: list[bytes] = []
        """What each system call would carry: one entry per write or writelines."""

    def write(self, data: bytes) -> None:
        self.writes.append(data)
        self.loop.now += self.cost_s

    def writelines(self, frames: list[bytes]) -> None:
        self.write(b"".join(frames))

    def get_write_buffer_size(self) -> int:
        return 0


class FakeProtocol:
    def __init__(self, loop: FakeLoop, cost_s: float):
        self.loop = loop
        self.transport = FakeTransport(loop, cost_s)
        self.handshake_complete = True
        self.close_sent = False
        self.disconnected = False


def wires(loop: FakeLoop, count: int, cost_s: float = 0.0) -> list[tuple[Wire, FakeProtocol]]:
    """`count` sockets on `loop`; each system call to one takes `cost_s` of the loop's time."""
    protocols = [FakeProtocol(loop, cost_s) for _ in range(count)]
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


def test_events_coming_faster_than_they_are_written_wait_and_leave_together():
    loop = FakeLoop()
    pairs = wires(loop, 10, cost_s=0.001)  # writing an event to every socket takes 10 ms
    for wire, _ in pairs:
        wire.write(b"a")
    loop.turn()
    assert loop.now == pytest.approx(0.010)
    loop.at(0.012)  # the next events come before as long again has passed: they wait
    for wire, _ in pairs:
        wire.write(b"b")
    loop.at(0.015)
    for wire, _ in pairs:
        wire.write(b"c")
    loop.at(0.019)
    assert all(end.transport.writes == [b"a"] for _, end in pairs)
    loop.at(0.021)
    assert all(end.transport.writes == [b"a", b"bc"] for _, end in pairs)


def test_events_written_faster_than_they_come_never_wait():
    loop = FakeLoop()
    pairs = wires(loop, 10, cost_s=0.001)
    for n in range(5):
        loop.at(0.050 * n)  # 20 events a second, each written to every socket in 10 ms
        for wire, _ in pairs:
            wire.write(b"%d" % n)
        assert all(end.transport.writes[-1] == b"%d" % n for _, end in pairs)  # at once
        loop.turn()


def test_a_loop_that_is_gone_takes_its_flusher_with_it():
    loop = FakeLoop()
    [(wire, protocol)] = wires(loop, 1)
    wire.write(b"x")
    loop.turn()
    gone = weakref.ref(loop)
    del loop, wire, protocol
    gc.collect()
    assert gone() is None


@pytest.mark.parametrize("sizes", [[5], [5, 7, 0], [100, 200], [70_000, 3]])
def test_frames_as_lines_read_back_as_one_frame_of_their_payloads(sizes):
    payloads = [b"x" * size for size in sizes]
    client = ClientProtocol(parse_uri("ws://edge/ws/chat"), state=State.OPEN, max_size=None)
    client.receive_data(as_lines([encode(p) for p in payloads]))
    [frame] = client.events_received()
    assert (frame.opcode, frame.fin, bytes(frame.data)) == (Opcode.TEXT, True, b"\n".join(payloads))


@dataclass(frozen=True)
class Posted:
    seq: int
    author: int
    type: str = "message_posted"
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class OneChannel:
    """A feed kind whose events are posts, each with its `unread` for all but the author."""

    def stream_of(self, event: Posted) -> str:
        return "c"

    async def read(self, stream: str, after_seq: int, limit: int) -> list[Posted]:
        return []

    def frame_of(self, event: Posted) -> bytes:
        return encode(b"%d" % event.seq)

    def departure(self, event: Posted) -> None:
        return None

    def others_frame(self, event: Posted) -> tuple[bytes, int]:
        return encode(b"unread"), event.author


@dataclass(eq=False)
class Member:
    """A feed's socket: `Connection.push` straight to its wire."""

    wire: Wire
    user_id: int
    lines: bool = False

    def push(self, frame: bytes, droppable: bool = False) -> None:
        self.wire.write(frame)


async def test_events_that_come_while_frames_wait_leave_in_one_write_per_socket():
    loop = FakeLoop()
    (ann_wire, ann), (bob_wire, bob), (cat_wire, cat) = wires(loop, 3, cost_s=0.001)
    feed = Feed(OneChannel(), loop_of=lambda: loop)
    feed.follow("c", 0)
    for member in (Member(ann_wire, 1), Member(bob_wire, 2), Member(cat_wire, 2, lines=True)):
        feed.members[member] = 0
    await feed.receive(Posted(1, author=1))  # not behind: written at once, 3 ms
    assert [len(end.transport.writes) for end in (ann, bob, cat)] == [1, 1, 1]
    loop.turn()
    loop.at(0.004)  # before as long again has passed: held
    await feed.receive(Posted(2, author=1))
    await feed.receive(Posted(3, author=2))
    loop.at(0.0059)
    assert [len(end.transport.writes) for end in (ann, bob, cat)] == [1, 1, 1]
    loop.at(0.006)
    assert ann.transport.writes[1] == encode(b"2") + encode(b"3") + encode(b"unread")  # 2 was ann's
    assert bob.transport.writes[1] == encode(b"2") + encode(b"unread") + encode(b"3")  # 3 was bob's
    assert cat.transport.writes[1] == encode(b"2\nunread\n3")  # bob's too, reading lines
    assert [len(end.transport.writes) for end in (ann, bob, cat)] == [2, 2, 2]


async def test_what_else_reaches_a_feeds_sockets_comes_after_the_events_it_holds():
    loop = FakeLoop()
    [(wire, end)] = wires(loop, 1, cost_s=0.001)
    feed = Feed(OneChannel(), loop_of=lambda: loop)
    feed.follow("c", 0)
    feed.members[Member(wire, 1)] = 0
    await feed.receive(Posted(1, author=2))
    loop.turn()
    loop.at(0.0015)
    await feed.receive(Posted(2, author=2))
    feed.tell(1, encode(b"told"))
    feed.signal(encode(b"typing"), sender_id=2)
    loop.at(0.002)
    assert end.transport.writes[1] == encode(b"2") + encode(b"unread") + encode(b"told") + encode(b"typing")
