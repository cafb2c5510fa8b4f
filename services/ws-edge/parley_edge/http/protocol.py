"""uvicorn's httptools HTTP protocol, refusing a malformed request in JSON like every other
refusal, and a request head that outgrows the head limit (`max_head_bytes`) with 431.

httptools (a C parser) rather than h11 (pure Python): h11 cost about 0.14 ms of CPU to
read each request and write its answer, a good part of what an HTTP post cost the edge
beyond the post itself. uvicorn answers a parse error with a plain-text 400, and its
httptools protocol has no head limit at all: it buffers headers without end. So the
bytes of a head still arriving are counted here, and past the limit the request is
refused before the head ends. A head that arrives complete and still too long is refused
by `request_limits`.

A refused connection is closed gently: the answer goes out, then our side of the
connection (FIN), and what the client still sends is read and dropped for a moment
before the socket closes. Closed at once with the client's head still arriving, the
kernel answers with a reset, which can destroy the response before the client reads it.
"""

import json
from http import HTTPStatus

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from parley_contracts.errors import ErrorCode
from parley_runtime.errors import ParleyError

from .errors import error_body
from .request_limits import HEADERS_TOO_LARGE

LINGER_S = 1.0


class EdgeHttpProtocol(HttpToolsProtocol):
    max_head_bytes = 16 * 1024
    """Set per edge by `http_protocol`."""
    refused = False
    head_bytes: int | None = None
    """Bytes of the present request's head so far; None once the head is complete."""

    def data_received(self, data: bytes) -> None:
        if self.refused:  # after a refusal, the rest of the request is dropped unread
            return
        super().data_received(data)
        if self.head_bytes is not None and not self.refused:
            # Counted whole: whatever of this chunk came before the head began was a
            # finished request, and a head is short, so the limit stays the head's.
            self.head_bytes += len(data)
            if self.head_bytes > self.max_head_bytes:
                self.refuse(HEADERS_TOO_LARGE, ParleyError(ErrorCode.TOO_LARGE, "request head too large"))

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.head_bytes = 0

    def on_headers_complete(self) -> None:
        self.head_bytes = None
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        self.refuse(400, ParleyError(ErrorCode.BAD_REQUEST, "malformed HTTP request"))

    def refuse(self, status: int, error: ParleyError) -> None:
        body = json.dumps(error_body(error)).encode()
        head = (
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        )
        self.transport.write(head.encode() + body)
        self.refused = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_S, self.transport.close)


def http_protocol(max_head_bytes: int) -> type[EdgeHttpProtocol]:
    """The protocol class for an edge whose request heads may be at most `max_head_bytes`."""
    return type("EdgeHttpProtocol", (EdgeHttpProtocol,), {"max_head_bytes": max_head_bytes})
