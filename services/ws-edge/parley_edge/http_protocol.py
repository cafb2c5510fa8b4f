"""uvicorn's h11 HTTP protocol, refusing a malformed request in JSON like every other
refusal, and a request head that outgrows `h11_max_incomplete_event_size` with 431.

uvicorn answers any parse error with a plain-text 400, h11's hint that the head was too
long included; its httptools protocol has no head limit at all and buffers headers
without end. A head that arrives complete and still too long is refused by
`request_limits`.
"""

import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from parley_contracts.errors import ErrorCode
from parley_runtime.errors import ParleyError

from .http_errors import error_body
from .request_limits import HEADERS_TOO_LARGE


class EdgeHttpProtocol(H11Protocol):
    def send_400_response(self, msg: str) -> None:
        buffered, _ = self.conn.trailing_data
        if len(buffered) > self.config.h11_max_incomplete_event_size:
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
        self.transport.close()
