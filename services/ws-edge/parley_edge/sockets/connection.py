"""One open socket: who it is, and how frames reach it. Transport only: what frames
mean is decided elsewhere.

`push` writes an encoded frame straight to the socket's transport, so fanning an event
out costs one write per socket and no task switch. The transport's own buffer is the
send queue: once anything waits there the client is behind, and typing and presence
frames are skipped; past `buffer_limit` bytes the socket is closed with 1013 rather
than let memory grow.
"""

import asyncio
from dataclasses import dataclass
from itertools import count

import structlog
from starlette.websockets import WebSocket, WebSocketDisconnect

from parley_contracts import auth

from .. import metrics
from .wire import Wire

log = structlog.get_logger("parley.edge.connection")
CLOSE_GOING_AWAY = 1001
CLOSE_POLICY = 1008
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_UNAUTHORIZED = 4001
CLOSE_HANDSHAKE_S = 2.0
_ids = count(1)


@dataclass(frozen=True, slots=True)
class Person:
    """What a socket keeps of its user: the session's whole `User` model cost each idle
    socket 1.5 KiB."""

    id: int
    username: str
    role: str


class Connection:
    def __init__(
        self, websocket: WebSocket, wire: Wire, session: auth.SessionValid, buffer_limit: int, lines: bool = False
    ):
        self.id = next(_ids)
        self.websocket = websocket
        user = session.user
        self.user = Person(user.id, user.username, user.role)
        self.user_id = session.user.id
        """An attribute, not a property: fan-out compares it for every socket."""
        self.session_key = session.session_key
        self.closed = False
        self.lines = lines
        """Whether the client reads several frames per message (`parley_contracts.framing`)."""
        self._wire = wire
        self._buffer_limit = buffer_limit

    def push(self, frame: bytes, droppable: bool = False) -> None:
        if self.closed:
            return
        behind = self._wire.buffered()
        if behind and droppable:
            metrics.QUEUE_DROPS.inc()
            return
        if behind > self._buffer_limit:
            metrics.SLOW_CLOSES.inc()
            log.info("slow_socket_closed", connection=self.id, user_id=self.user_id, buffered=behind)
            self.closed = True  # from now on, nothing more is written and nobody closes it again
            asyncio.get_running_loop().create_task(self._close(CLOSE_TRY_AGAIN_LATER, "too slow to keep up"))
            return
        self._wire.write(frame)

    async def close(self, code: int, reason: str = "") -> None:
        """Close the socket. Frames pushed before go out first: the close frame queues behind
        them. A client that takes none of it within `CLOSE_HANDSHAKE_S` is cut off."""
        if self.closed:
            return
        self.closed = True
        await self._close(code, reason)

    async def _close(self, code: int, reason: str) -> None:
        self._wire.flush()
        try:
            await asyncio.wait_for(self.websocket.close(code, reason), CLOSE_HANDSHAKE_S)
        except TimeoutError:
            self._wire.abort()
        except (RuntimeError, OSError, WebSocketDisconnect):
            pass  # already closed by the peer
