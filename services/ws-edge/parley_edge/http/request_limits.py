"""How big a request may be: a head over `max_header_bytes` gets 431, a body over
`max_body_bytes` gets 413, both with the usual JSON error body.

A declared `Content-Length` over the limit is refused before a byte of the body is read;
a chunked body is counted as it arrives and refused as soon as it passes the limit, so
nothing over the limit is ever held whole. (A head that never ends is cut off by the
HTTP protocol itself, see `protocol`; this catches one that arrived complete.)
"""

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley_contracts.errors import ErrorCode
from parley_runtime.errors import ParleyError

from .errors import error_response

HEADERS_TOO_LARGE = 431


class BodyTooLarge(HTTPException):
    """Raised from `receive`: FastAPI lets an HTTPException out of body parsing untouched,
    and the app's handler answers it (see `http_errors`)."""

    def __init__(self, limit: int):
        super().__init__(413, f"request body over {limit} bytes")


class RequestLimits:
    """ASGI middleware holding HTTP requests to the head and body limits."""

    def __init__(self, app: ASGIApp, max_header_bytes: int, max_body_bytes: int):
        self.app = app
        self.max_header_bytes = max_header_bytes
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        target = len(scope["raw_path"]) + len(scope["query_string"])
        if target + sum(len(name) + len(value) for name, value in headers) > self.max_header_bytes:
            refusal = ParleyError(ErrorCode.TOO_LARGE, f"request head over {self.max_header_bytes} bytes")
            await error_response(refusal, HEADERS_TOO_LARGE)(scope, receive, send)
            return
        declared = next((value for name, value in headers if name == b"content-length"), b"0")
        if int(declared) > self.max_body_bytes:
            refusal = ParleyError(ErrorCode.TOO_LARGE, f"request body over {self.max_body_bytes} bytes")
            await error_response(refusal)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes:
                raise BodyTooLarge(self.max_body_bytes)
            return message

        await self.app(scope, counted, send)
