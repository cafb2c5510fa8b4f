"""A lean socket for load tests: it keeps each frame it receives as raw bytes with its
arrival time and decodes nothing until asked, so one process can take in frames from
thousands of sockets without becoming the bottleneck it is measuring.

The opening handshake goes through websockets' sans-I/O client; after it, frames are
split by hand, which is short because a server's frames are never masked and Parley's
are never fragmented. Pings are answered; sending goes through the sans-I/O client.
"""

import asyncio
import json
import time

from websockets.client import ClientProtocol
from websockets.protocol import State
from websockets.uri import WebSocketURI, parse_uri

from .frame_socket import Frame, socket_url

_TEXT, _CLOSE, _PING = 0x1, 0x8, 0x9


class Listener(asyncio.Protocol):
    def __init__(self, client: ClientProtocol, cookie: str | None, ignore: tuple[str, ...] = ()):
        self.received: list[tuple[float, bytes]] = []
        """(arrival time, payload) of every text frame, in order, but those of the ignored types."""
        self._ignored = tuple(b'{"type":"%s"' % frame_type.encode() for frame_type in ignore)
        self.close_code: int | None = None
        self._client = client
        self._cookie = cookie
        self._buffer = bytearray()
        self._opened = asyncio.get_running_loop().create_future()
        self._arrived = asyncio.Event()

    @classmethod
    async def open(
        cls, base_url: str, path: str = "/ws/chat", cookie: str | None = None, ignore: tuple[str, ...] = ()
    ) -> "Listener":
        """`ignore`: frame types not kept (a load test counting the frames it measures
        skips the others); told apart by how Parley's frames start, without decoding."""
        uri = parse_uri(socket_url(base_url, path))
        client = ClientProtocol(uri)
        host, port, ssl = endpoint(uri)
        loop = asyncio.get_running_loop()
        _, listener = await loop.create_connection(lambda: cls(client, cookie, ignore), host, port, ssl=ssl)
        await listener._opened
        return listener

    # A stream connection's protocol is handed a full `Transport`, which `_flush` writes to.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # a stream's Transport
        self._transport = transport
        request = self._client.connect()
        if self._cookie:
            request.headers["Cookie"] = self._cookie
        self._client.send_request(request)
        self._flush()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._opened.done():
            head, found, rest = self._buffer.partition(b"\r\n\r\n")
            if not found:
                return
            self._client.receive_data(bytes(head + found))
            if self._client.state is not State.OPEN:
                self._opened.set_exception(ConnectionError(f"refused: {self._client.handshake_exc}"))
                self._transport.close()
                return
            self._buffer = bytearray(rest)
            self._opened.set_result(None)
        self._split(time.time())

    def _split(self, now: float) -> None:
        buffer, at = self._buffer, 0
        while len(buffer) - at >= 2:
            size, start = buffer[at + 1] & 0x7F, at + 2
            if size == 126:
                size, start = int.from_bytes(buffer[at + 2 : at + 4]), at + 4
            elif size == 127:
                size, start = int.from_bytes(buffer[at + 2 : at + 10]), at + 10
            if start + size > len(buffer):
                break
            opcode, payload = buffer[at] & 0x0F, bytes(buffer[start : start + size])
            at = start + size
            if opcode == _TEXT:
                if not payload.startswith(self._ignored):
                    self.received.append((now, payload))
            elif opcode == _PING:
                self._client.send_pong(payload)
                self._flush()
            elif opcode == _CLOSE:
                self.close_code = int.from_bytes(payload[:2]) if payload else 1005
                self._transport.close()
        del buffer[:at]
        self._arrived.set()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._opened.done():
            self._opened.set_exception(exc or ConnectionError("closed during the handshake"))
        self._arrived.set()

    def _flush(self) -> None:
        self._transport.write(b"".join(self._client.data_to_send()))

    async def send(self, frame: Frame) -> None:
        self._client.send_text(json.dumps(frame).encode())
        self._flush()

    def frames(self, frame_type: str) -> list[tuple[Frame, float]]:
        """Received frames of this type, decoded, with the time each arrived."""
        decoded = ((json.loads(payload), at) for at, payload in self.received)
        return [(frame, at) for frame, at in decoded if frame.get("type") == frame_type]

    async def next(self, frame_type: str, timeout: float = 5.0, **fields: object) -> Frame:
        """The first received frame of this type with these fields, waiting for it if need be."""

        async def find() -> Frame:
            while True:
                self._arrived.clear()
                for frame, _ in self.frames(frame_type):
                    if all(frame.get(k) == v for k, v in fields.items()):
                        return frame
                if self._transport.is_closing():
                    raise ConnectionError(f"socket closed ({self.close_code}) before a {frame_type} frame")
                await self._arrived.wait()

        return await asyncio.wait_for(find(), timeout)

    def close(self) -> None:
        if not self._transport.is_closing():
            self._client.send_close(1000)
            self._flush()
            self._transport.close()


def endpoint(uri: WebSocketURI) -> tuple[str, int, bool | None]:
    """Host, port (the scheme's own when the URL names none) and TLS to connect with."""
    return uri.host, uri.port, uri.secure or None
