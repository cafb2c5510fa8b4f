"""What every socket path shares: admission, the read loop, frames parsed and dispatched
through the dialect's table (about different streams at once: `ordering`), per-socket
rate limits, refusals as error frames, and clean-up. A path supplies only its dialect."""

import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

import structlog
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect

from parley_contracts.errors import ErrorCode
from parley_contracts.subjects import Command
from parley_runtime.errors import ParleyError
from parley_runtime.rate_limit import AbuseMeter, TokenBucket

from .. import metrics
from ..state import EdgeState
from . import frames
from .admission import admit, reads_lines
from .connection import CLOSE_POLICY, Connection
from .ordering import InOrder
from .wire import wire_of

log = structlog.get_logger("parley.edge.socket")
Response = TypeVar("Response", bound=BaseModel)
FRAMES_IN_FLIGHT = 32
"""Frames of one socket handled at once; past that the socket is not read."""


class SocketDialect(ABC):
    """One socket's conversation on one path, in that path's frames."""

    client_frames: ClassVar[TypeAdapter]
    """Parses a client frame of the dialect."""
    handlers: ClassVar[dict[type, Callable[[Any, Any], Awaitable[None]]]]
    """Each client frame type and the method that handles it."""
    metric_prefix: ClassVar[str] = ""

    def __init__(self, state: EdgeState, connection: Connection):
        settings = state.settings
        self.state = state
        self.connection = connection
        clock = time.monotonic
        self.send_limit = TokenBucket(settings.sends_per_5s, 5.0, clock)
        self.typing_limit = TokenBucket(settings.typing_per_5s, 5.0, clock)
        self.join_limit = TokenBucket(settings.joins_per_10s, 10.0, clock)
        self._abuse = AbuseMeter(settings.abuse_refusals_per_10s, 10.0, clock)
        self.in_order = InOrder(FRAMES_IN_FLIGHT)

    @abstractmethod
    async def opened(self) -> None:
        """Greets the client."""

    @abstractmethod
    async def closed(self) -> None:
        """Releases what the socket held (feeds, presence)."""

    @abstractmethod
    def error_frame(self, error: ParleyError, context: dict) -> bytes: ...

    @abstractmethod
    def context_of(self, frame: Any) -> dict:
        """What an error frame answering `frame` repeats of it."""

    def stream_of(self, frame: Any) -> object | None:
        """The stream a frame is about (frames about one stream are handled in order); None
        for a frame about no stream, handled alone."""
        return getattr(frame, "channel_id", None)

    async def handle(self, text: str) -> None:
        """One client frame, handled once those it must follow are; a refusal is answered
        with an error frame."""
        try:
            frame = self.client_frames.validate_json(text)
        except ValidationError as exc:
            await self.refuse(frames.refusal(exc), {})
            return
        metrics.FRAMES_IN.labels(self.metric_prefix + frame.type).inc()
        await self.in_order.submit(self.stream_of(frame), self._dispatch(frame))

    async def _dispatch(self, frame: Any) -> None:
        try:
            await self.handlers[type(frame)](self, frame)
        except ParleyError as error:
            await self.refuse(error, self.context_of(frame))

    async def send(self, command: Command[Any, Response], request: Any) -> Response:
        """A send whose token the caller took (before any other work): given back when
        the service could not take it, so a client retrying while the store is away is
        not slowed down for it."""
        try:
            return await self.state.bus.request(command, request)
        except ParleyError as error:
            if error.code is ErrorCode.UNAVAILABLE:
                self.send_limit.give_back()
            raise

    def limit(self, bucket: TokenBucket, kind: str) -> None:
        wait_ms = bucket.take()
        if wait_ms:
            metrics.RATE_LIMITED.labels(kind).inc()
            raise ParleyError(ErrorCode.RATE_LIMITED, f"too many {kind}; slow down", [{"retryAfterMs": wait_ms}])

    async def refuse(self, error: ParleyError, context: dict) -> None:
        self.connection.push(self.error_frame(error, context))
        if error.code is ErrorCode.RATE_LIMITED and self._abuse.hit():
            await self.connection.close(CLOSE_POLICY, "rate limits ignored")


async def serve_socket(websocket: WebSocket, path: str, dialect_type: type[SocketDialect]) -> None:
    state: EdgeState = websocket.app.state.edge
    session = await admit(websocket, state.settings)
    if session is None:
        return
    buffer_limit = state.settings.send_buffer_kib * 1024
    connection = Connection(websocket, wire_of(websocket), session, buffer_limit, reads_lines(websocket))
    del session  # the connection keeps what it needs; this frame lives as long as the socket
    state.registry.add(connection)
    metrics.OPEN_SOCKETS.labels(path).inc()
    dialect = dialect_type(state, connection)
    try:
        await dialect.opened()
        while not connection.closed:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            if message.get("text") is None:
                await dialect.refuse(ParleyError(ErrorCode.BAD_REQUEST, "send JSON in text frames"), {})
                continue
            await dialect.handle(message["text"])
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # the client went away, or we closed the socket
    finally:
        state.registry.remove(connection)
        metrics.OPEN_SOCKETS.labels(path).dec()
        try:
            await dialect.in_order.finish()  # a join under way must not outlive the clean-up
            await dialect.closed()
        except Exception:
            log.exception("socket_cleanup_failed", connection=connection.id)
        await connection.close(1000)
