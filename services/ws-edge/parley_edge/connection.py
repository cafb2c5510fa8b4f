"""One open socket: who it is, its bounded send queue and the task that writes it out.
Transport only: what frames mean is decided elsewhere."""

import asyncio
from itertools import count

import structlog
from starlette.websockets import WebSocket, WebSocketDisconnect

from parley_contracts import auth

from . import metrics
from .send_queue import SendQueue

log = structlog.get_logger("parley.edge.connection")
CLOSE_GOING_AWAY = 1001
CLOSE_POLICY = 1008
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_UNAUTHORIZED = 4001
_ids = count(1)


class Connection:
    def __init__(self, websocket: WebSocket, session: auth.SessionValid, queue_capacity: int):
        self.id = next(_ids)
        self.websocket = websocket
        self.user = session.user
        self.session_key = session.session_key
        self.queue = SendQueue(queue_capacity)
        self.closed = asyncio.Event()
        self._writer = asyncio.create_task(self._write_out())

    @property
    def user_id(self) -> int:
        return self.user.id

    def push(self, frame: str, droppable: bool = False) -> None:
        if self.closed.is_set():
            return
        dropped_before = self.queue.dropped
        accepted = self.queue.offer(frame, droppable)
        if self.queue.dropped != dropped_before:
            metrics.QUEUE_DROPS.inc()
        if not accepted:
            metrics.SLOW_CLOSES.inc()
            log.info("slow_socket_closed", connection=self.id, user_id=self.user_id)
            asyncio.get_running_loop().create_task(self.close(CLOSE_TRY_AGAIN_LATER, "too slow to keep up"))

    async def _write_out(self) -> None:
        try:
            while (frame := await self.queue.take()) is not None:
                await self.websocket.send_text(frame)
        except (asyncio.CancelledError, RuntimeError, OSError):
            pass  # the socket is gone or closing; the reader notices and cleans up
        except Exception:
            log.exception("writer_failed", connection=self.id)

    async def close(self, code: int, reason: str = "", flush_s: float = 0.0) -> None:
        """Close the socket; with `flush_s`, first give queued frames that long to go out,
        so a client learns why (the error frames before a 1008)."""
        if self.closed.is_set():
            return
        self.closed.set()
        if flush_s:
            self.queue.finish()
            try:
                await asyncio.wait_for(asyncio.shield(self._writer), flush_s)
            except (TimeoutError, Exception):
                pass  # a reader too slow to take them: close anyway
        self._writer.cancel()
        try:
            await self.websocket.close(code, reason)
        except (RuntimeError, OSError, WebSocketDisconnect):
            pass  # already closed by the peer
