"""uvicorn's h11 HTTP protocol, refusing a malformed request in JSON like every other
refusal, and a request head that outgrows `h11_max_incomplete_event_size` with 431.

uvicorn answers any parse error with a plain-text 400, h11's hint that the head was too
long included; its httptools protocol has no head limit at all and buffers headers
without end. A head that arrives complete and still too long is refused by
`request_limits`.

A refused connection is closed gently: the answer goes out, then our side of the
connection (FIN), and what the client still sends is read and dropped for a moment
before the socket closes. Closed at once with the client's head still arriving, the
kernel answers with a reset, which can destroy the response before the client reads it.
"""

import json

import h11
from h11._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
from uvicorn.protocols.http.h11_impl import H11Protocol

from parley_contracts.errors import ErrorCode
from parley_runtime.errors import ParleyError

from .errors import error_body
from .request_limits import HEADERS_TOO_LARGE

LINGER_S = 1.0


class EdgeHttpProtocol(H11Protocol):
    refused = False

    def data_received(self, data: bytes) -> None:
        if not self.refused:  # after a refusal, the rest of the request is dropped unread
            super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        buffered, _ = self.conn.trailing_data
        limit = self.config.h11_max_incomplete_event_size
        if len(buffered) > (DEFAULT_MAX_INCOMPLETE_EVENT_SIZE if limit is None else limit):  # uvicorn's own fallback
            status, error = HEADERS_TOO_LARGE, ParleyError(ErrorCode.TOO_LARGE, "request head too large")
        else:
            status, error = 400, ParleyError(ErrorCode.BAD_REQUEST, "malformed HTTP request")
        body = json.dumps(error_body(error)).encode()
        headers = [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]  # fmt: skip
        for event in (h11.Response(status_code=status, headers=headers), h11.Data(data=body), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event))
        self.refused = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_S, self.transport.close)
