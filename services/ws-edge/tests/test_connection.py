"""How a socket's frames go out when its client falls behind: pure logic, over a fake wire."""

import asyncio
from datetime import UTC, datetime

from parley_contracts import auth
from parley_edge.sockets.connection import CLOSE_TRY_AGAIN_LATER, Connection
from parley_testkit.waiting import until

SESSION = auth.SessionValid(
    user=auth.User(id=7, username="ann", name="Ann", created_at=datetime.now(UTC)), session_key="k"
)


class FakeWire:
    def __init__(self):
        self.written: list[bytes] = []
        self.flushed: list[bytes] = []
        self.behind = 0
        self.aborted = False

    def buffered(self) -> int:
        return self.behind

    def write(self, frame: bytes) -> None:
        self.written.append(frame)

    def flush(self) -> None:
        self.flushed = list(self.written)

    def abort(self) -> None:
        self.aborted = True


class FakeWebSocket:
    def __init__(self, answers: bool = True):
        self.answers = answers
        self.closed_with: tuple[int, str] | None = None
        self.wire: FakeWire | None = None
        self.sent_before_close: list[bytes] = []
        self.closes = 0

    async def close(self, code: int, reason: str) -> None:
        if not self.answers:
            await asyncio.Event().wait()
        self.closed_with = (code, reason)
        self.closes += 1
        self.sent_before_close = list(self.wire.flushed)


def connection(websocket=None, limit: int = 1000) -> tuple[Connection, FakeWire]:
    websocket = websocket or FakeWebSocket()
    websocket.wire = FakeWire()
    return Connection(websocket, websocket.wire, SESSION, limit), websocket.wire


async def test_a_client_that_keeps_up_gets_every_frame_in_order():
    socket, wire = connection()
    socket.push(b"m1")
    socket.push(b"typing", droppable=True)
    socket.push(b"m2")
    assert wire.written == [b"m1", b"typing", b"m2"]


async def test_a_client_behind_loses_typing_and_presence_but_not_messages():
    socket, wire = connection()
    wire.behind = 10
    socket.push(b"typing", droppable=True)
    socket.push(b"m1")
    assert wire.written == [b"m1"]


async def test_a_client_too_far_behind_is_closed_1013_and_gets_nothing_more():
    websocket = FakeWebSocket()
    socket, wire = connection(websocket, limit=1000)
    wire.behind = 1001
    socket.push(b"m1")

    async def closed() -> bool:
        return websocket.closed_with is not None

    await until(closed, timeout_s=2)
    assert websocket.closed_with == (CLOSE_TRY_AGAIN_LATER, "too slow to keep up")
    socket.push(b"m2")  # still behind: no second close
    wire.behind = 0
    socket.push(b"m3")
    assert wire.written == []
    assert websocket.closes == 1


async def test_a_close_the_client_never_takes_cuts_the_connection(monkeypatch):
    monkeypatch.setattr("parley_edge.sockets.connection.CLOSE_HANDSHAKE_S", 0.05)
    socket, wire = connection(FakeWebSocket(answers=False))
    await socket.close(1000)
    assert wire.aborted


async def test_frames_pushed_before_a_close_leave_before_it():
    websocket = FakeWebSocket()
    socket, _ = connection(websocket)
    socket.push(b"error")
    await socket.close(1008, "rate limits ignored")
    assert websocket.sent_before_close == [b"error"]
