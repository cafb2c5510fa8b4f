"""Frames onto the wire without a per-socket step.

A server's WebSocket frames are not masked, so the bytes of one text frame are the same
for every socket: `encode` builds them once per event and `Wire.write` hands them to
each socket's transport as they are. A socket's first frame in a turn of the event loop
leaves at once; what else it is written in that turn leaves in one system call at the
end of the turn. So a fan-out reaches its first sockets without waiting for the last to
be queued, and a busy socket gets fewer, fuller packets instead of one per frame. One
`Flusher` per event loop ends the turn for every socket written to, from one callback:
a fan-out to a thousand sockets schedules one callback, not a thousand. For a client
that reads several frames per message (`parley.lines`), `as_lines` joins frames into
one, still built once for every such socket.

uvicorn's own WebSocket protocol would frame the text again for every socket and wait
on its flow control; `WireProtocol` is that protocol plus an ASGI extension
(`parley.wire`) giving the app the `Wire` of its socket. Handshake, reading, pings and
the close handshake stay uvicorn's. A frame that breaks RFC 6455 (invalid UTF-8 in
a text frame, an oversized or malformed frame) closes the socket with its code and one
log line, where uvicorn would log a traceback or nothing.
"""

import asyncio
import struct
from typing import Any, Protocol
from weakref import WeakKeyDictionary

import structlog
from starlette.websockets import WebSocket
from uvicorn._types import ASGISendEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from .protocol_state import Gate, Inbox

EXTENSION = "parley.wire"
_FIN_TEXT = 0x81
CLOSE_INVALID_DATA = 1007
log = structlog.get_logger("parley.edge.wire")


def encode(payload: bytes) -> bytes:
    """One final, unmasked text frame carrying `payload` (RFC 6455, section 5.2)."""
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", _FIN_TEXT, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", _FIN_TEXT, 126, size)
    else:
        header = struct.pack("!BBQ", _FIN_TEXT, 127, size)
    return header + payload


def as_lines(frames: list[bytes]) -> bytes:
    """Frames made by `encode` as one text frame of their payloads, one per line
    (`parley_contracts.framing`)."""
    if len(frames) == 1:
        return frames[0]
    payloads = []
    for frame in frames:
        size = frame[1]
        start = 2 if size < 126 else 4 if size == 126 else 10
        payloads.append(frame[start:])
    return encode(b"\n".join(payloads))


class Releasable(Protocol):
    def release(self) -> None:
        """Write what it held back for the end of the turn."""


class Flusher:
    """The wires written to in this turn of their loop, flushed at its end. It keeps no
    reference to the loop: `flusher_of` keys flushers weakly by loop.

    After a turn that spent `d` seconds writing, frames wait until `d` more have passed
    (`open_at`): an edge that cannot write each event to every socket before the next
    arrives then writes what arrived meanwhile in one system call per socket, instead of
    falling further behind one event at a time. One event at a time (1,000 sockets, 20
    events a second: ~10 ms of writing every 50 ms) never waits. While frames wait, a
    fan-out may hold its events back too (`hold`) and hand each socket all of them at once
    when the flush comes, before the wires are flushed."""

    def __init__(self) -> None:
        self._waiting: list[Wire] = []
        self._held: list[Releasable] = []
        self._scheduled = False
        self._open_at = 0.0
        self._started: float | None = None
        """When this turn's first frame was written at once; None while its frames wait."""

    def behind(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Would a frame written now wait for a later flush?"""
        if self._scheduled:
            return self._started is None
        return loop.time() < self._open_at

    def add(self, wire: "Wire", loop: asyncio.AbstractEventLoop) -> bool:
        """Takes `wire` into this turn; whether its frame may be written at once."""
        self._schedule(loop)
        self._waiting.append(wire)
        return self._started is not None

    def hold(self, held: Releasable, loop: asyncio.AbstractEventLoop) -> None:
        """Release `held` at the next flush, before its frames are written."""
        self._schedule(loop)
        self._held.append(held)

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._scheduled:
            return
        self._scheduled = True
        now = loop.time()
        if now >= self._open_at:
            self._started = now
            loop.call_soon(self.flush, loop)
        else:
            self._started = None
            loop.call_at(self._open_at, self.flush, loop)

    def flush(self, loop: asyncio.AbstractEventLoop) -> None:
        began = loop.time() if self._started is None else self._started
        held, self._held = self._held, []
        for each in held:
            each.release()
        waiting, self._waiting = self._waiting, []
        self._scheduled = False
        for wire in waiting:
            wire.flush()
        ended = loop.time()
        self._open_at = ended + (ended - began)


_flushers: WeakKeyDictionary[asyncio.AbstractEventLoop, Flusher] = WeakKeyDictionary()


def flusher_of(loop: asyncio.AbstractEventLoop) -> Flusher:
    """The loop's one flusher (a process runs one loop; tests run one after another)."""
    flusher = _flushers.get(loop)
    if flusher is None:
        flusher = _flushers[loop] = Flusher()
    return flusher


class Wire:
    """A socket's transport, for frames that are already encoded."""

    def __init__(self, protocol: WebSocketsSansIOProtocol):
        self._protocol = protocol
        self._transport = protocol.transport
        self._loop = protocol.loop
        self._flusher = flusher_of(protocol.loop)
        self._pending: list[bytes] | None = None
        """Frames waiting for the end of this turn; None until the socket is written to in it."""

    def buffered(self) -> int:
        """Bytes written but not yet taken by the kernel: how far behind the client is."""
        return self._transport.get_write_buffer_size()

    def write(self, frame: bytes) -> None:
        pending = self._pending
        if pending is None:
            self._pending = []
            if self._flusher.add(self, self._loop):
                if self._open():
                    self._transport.write(frame)
                return
            pending = self._pending
        pending.append(frame)

    def flush(self) -> None:
        """Send what waits and end the socket's turn; before anything uvicorn writes itself (a close frame)."""
        frames, self._pending = self._pending, None
        if frames and self._open():
            if len(frames) == 1:
                self._transport.write(frames[0])  # no list for the transport to walk
            else:
                self._transport.writelines(frames)

    def _open(self) -> bool:
        protocol = self._protocol
        return protocol.handshake_complete and not (protocol.close_sent or protocol.disconnected)

    def abort(self) -> None:
        """Drop the connection without a close handshake: for a client that reads nothing."""
        self._transport.abort()


class WireProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O WebSocket protocol, offering the `parley.wire` extension, and
    lighter to keep open: its inbox and writable gate are `protocol_state`'s, and the
    handshake's request and response (their headers) go once the socket is accepted.
    websockets' parser keeps the request to the end (a local of its generator), so its
    headers are emptied: the app reads them from the ASGI scope, which has its own copy."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.queue = Inbox()  # type: ignore[assignment]  # what uvicorn uses of asyncio.Queue
        self.writable = Gate()  # type: ignore[assignment]  # what uvicorn uses of asyncio.Event

    async def send(self, message: ASGISendEvent) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept":
            self.request.headers.clear()
            del self.request, self.response  # read only until the accept

    async def run_asgi(self) -> None:
        # ASGI types an extension's value as a dict; ours is the `Wire` itself, read only by `wire_of`.
        self.scope["extensions"][EXTENSION] = Wire(self)  # type: ignore[assignment]  # a Wire, not ASGI's dict
        await super().run_asgi()

    def send_receive_event_to_app(self) -> None:
        if self.curr_msg_data_type == "text" and not self.close_sent:
            try:
                b"".join(self.frames).decode()
            except UnicodeDecodeError:
                self.frames = []
                self.conn.send_close(CLOSE_INVALID_DATA, "invalid UTF-8")
                self.handle_parser_exception()
                return
        super().send_receive_event_to_app()

    def handle_parser_exception(self) -> None:
        close = self.conn.close_sent
        assert close is not None  # websockets sends the close frame before it reports the error
        log.info("socket_bad_frame", close_code=int(close.code), reason=close.reason, client=self.client)
        super().handle_parser_exception()


def wire_of(websocket: WebSocket) -> Wire:
    return websocket.scope["extensions"][EXTENSION]
