"""A socket session that survives drops, whatever the dialect.

It remembers the streams followed (channels, conversations) and the last `seq` seen in
each; after a drop it reconnects with exponential backoff and full jitter, to the next
of its edges' URLs, follows every stream again from its last seq, and resends every send
not yet acknowledged under its original `clientMsgId`, so the server stores it once.
Frames with a `seq` already seen are dropped, and a jump in `seq` makes it follow the
stream again to fetch what is missing. A send refused for now (`unavailable`, `internal`,
`rate_limited`) goes again after a pause; one refused for good fails. So does a follow:
while a refusal for now comes back, the streams not yet confirmed on this connection are
followed again after a pause. A dialect says how its frames look.
"""

import asyncio
import itertools
import random
import uuid
from collections.abc import Hashable, Sequence

from websockets.exceptions import ConnectionClosed, InvalidStatus

from .frame_socket import Frame, FrameSocket


class ResumingSession:
    path = "/"

    def __init__(
        self,
        base_url: str | Sequence[str],
        cookie: str,
        backoff_s: float = 0.1,
        max_backoff_s: float = 5.0,
        rng: random.Random | None = None,
    ):
        """`base_url` is one edge, or several: each reconnect tries the next."""
        self.base_urls = [base_url] if isinstance(base_url, str) else list(base_url)
        self.cookie = cookie
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.rng = rng or random.Random()
        self.last_seq: dict[Hashable, int] = {}
        self.events: asyncio.Queue[Frame] = asyncio.Queue()
        self.connects = 0
        self._unacked: dict[str, Frame] = {}
        self._acks: dict[str, asyncio.Future[Frame]] = {}
        self._socket: FrameSocket | None = None
        self._connected = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._resending: set[asyncio.Task[None]] = set()
        self._refusals: dict[str, int] = {}
        """How often each unacknowledged send was refused for now: its pause doubles each time."""
        self._confirmed: set[Hashable] = set()
        """Streams whose follow this connection confirmed."""
        self._confirming = asyncio.Event()
        """Set at each confirmation (`until_followed`)."""
        self._refollow: asyncio.TimerHandle | None = None
        self._follow_refusals = 0

    # What a dialect says --------------------------------------------------------------

    def follow_frame(self, stream: Hashable, last_seq: int | None) -> Frame:
        raise NotImplementedError

    def followed(self, frame: Frame) -> tuple[Hashable, int] | None:
        """The stream and its last seq, if the frame confirms a follow."""
        raise NotImplementedError

    def sequenced(self, frame: Frame) -> tuple[Hashable, int, Frame | None] | None:
        """The stream, seq and message (if it is one) of a frame that carries a seq."""
        raise NotImplementedError

    def refusal(self, frame: Frame) -> Frame | None:
        """The error (code, message, clientMsgId) if the frame is one."""
        return frame if frame.get("type") == "error" else None

    # The session ----------------------------------------------------------------------

    async def start(self) -> None:
        self._runner = asyncio.create_task(self._run())
        await asyncio.wait_for(self._connected.wait(), 10)

    async def stop(self) -> None:
        if self._runner:
            self._runner.cancel()
        if self._socket:
            await self._socket.close()

    async def drop(self) -> None:
        """Cut the connection as a network failure would (for tests and chaos)."""
        if self._socket:
            self._socket.connection.transport.abort()

    async def follow(self, stream: Hashable) -> None:
        self.last_seq.setdefault(stream, -1)
        if self._socket:
            await self._send_follow(self._socket, stream)

    async def until_followed(self, timeout: float = 10.0) -> None:
        """Wait until the edge confirmed every stream followed: a follow without a position
        starts at the head the edge read then, and only what comes after it is owed."""
        async with asyncio.timeout(timeout):
            while not self.last_seq.keys() <= self._confirmed:
                self._confirming.clear()
                await self._confirming.wait()

    async def send_acknowledged(self, frame: Frame, timeout: float) -> Frame:
        """Send a frame under a fresh clientMsgId (`frame` holds `clientMsgId: None` where
        it goes) and wait for the server's echo of the stored message."""
        client_msg_id = uuid.uuid4().hex
        frame = _with_client_msg_id(frame, client_msg_id)
        self._unacked[client_msg_id] = frame
        self._acks[client_msg_id] = asyncio.get_running_loop().create_future()
        if self._socket:
            try:
                await self._socket.send(frame)
            except ConnectionClosed:
                pass  # resent after the reconnect
        try:
            return await asyncio.wait_for(self._acks[client_msg_id], timeout)
        finally:
            self._acks.pop(client_msg_id, None)

    def _refused(self, error: Frame) -> None:
        client_msg_id = error["clientMsgId"]
        if error.get("code") in RETRYABLE:
            self._refusals[client_msg_id] = attempt = self._refusals.get(client_msg_id, 0) + 1
            pause_s = error.get("retryAfterMs", 0) / 1000 or self._backoff(attempt)
            asyncio.get_running_loop().call_later(pause_s, self._resend, client_msg_id)
            return
        del self._unacked[client_msg_id]
        self._refusals.pop(client_msg_id, None)
        future = self._acks.get(client_msg_id)
        if future and not future.done():
            future.set_exception(SendRefused(error))

    def _follow_again(self, socket: FrameSocket) -> None:
        """A refusal for now may have been a follow's: follow what is not confirmed yet."""
        self._refollow = None
        if socket is not self._socket:
            return  # reconnected since: the new connection follows everything
        for stream in set(self.last_seq) - self._confirmed:
            task = asyncio.ensure_future(self._send_follow_quietly(socket, stream))
            self._resending.add(task)
            task.add_done_callback(self._resending.discard)

    async def _send_follow_quietly(self, socket: FrameSocket, stream: Hashable) -> None:
        try:
            await self._send_follow(socket, stream)
        except ConnectionClosed:
            pass  # followed again after the reconnect

    def _resend(self, client_msg_id: str) -> None:
        frame = self._unacked.get(client_msg_id)
        if frame is not None and self._socket is not None:
            task = asyncio.ensure_future(self._send_quietly(self._socket, frame))
            self._resending.add(task)
            task.add_done_callback(self._resending.discard)

    @staticmethod
    async def _send_quietly(socket: FrameSocket, frame: Frame) -> None:
        try:
            await socket.send(frame)
        except ConnectionClosed:
            pass  # resent after the reconnect

    async def _send_follow(self, socket: FrameSocket, stream: Hashable) -> None:
        last = self.last_seq[stream]
        await socket.send(self.follow_frame(stream, last if last >= 0 else None))

    async def _run(self) -> None:
        edges = itertools.cycle(self.base_urls)
        attempt = 0
        while True:
            try:
                socket = await FrameSocket.open(next(edges), self.path, cookie=self.cookie)
            except (OSError, InvalidStatus, TimeoutError):
                attempt += 1
                await asyncio.sleep(self._backoff(attempt))
                continue
            attempt = 0
            self.connects += 1
            self._confirmed.clear()
            try:
                await socket.next("connected")
                # The edge reads a socket's frames in order: once the follows are on their
                # way, a send cannot reach it before the join of its channel.
                followed = list(self.last_seq)
                for stream in followed:
                    await self._send_follow(socket, stream)
                self._socket = socket
                for stream in set(self.last_seq) - set(followed):  # followed while we connected
                    await self._send_follow(socket, stream)
                for frame in list(self._unacked.values()):
                    await socket.send(frame)
                self._connected.set()
                await self._consume(socket)
            except (ConnectionClosed, ConnectionError, TimeoutError):
                pass
            self._socket = None
            await asyncio.sleep(self._backoff(1))

    def _backoff(self, attempt: int) -> float:
        return self.rng.uniform(0, min(self.max_backoff_s, self.backoff_s * 2**attempt))

    async def _consume(self, socket: FrameSocket) -> None:
        seen = 0
        while True:
            fresh = await socket.frames_after(seen, timeout=3600)
            seen += len(fresh)
            for frame in fresh:
                await self._on_frame(socket, frame)

    async def _on_frame(self, socket: FrameSocket, frame: Frame) -> None:
        error = self.refusal(frame)
        if error is not None and error.get("clientMsgId") in self._unacked:
            self._refused(error)
            return
        if error is not None and error.get("code") in RETRYABLE and self._refollow is None:
            self._follow_refusals += 1
            pause_s = self._backoff(self._follow_refusals)
            self._refollow = asyncio.get_running_loop().call_later(pause_s, self._follow_again, socket)
        confirmed = self.followed(frame)
        if confirmed is not None:
            stream, last = confirmed
            self._confirmed.add(stream)
            self._confirming.set()
            self._follow_refusals = 0
            if self.last_seq.get(stream, -1) < 0:
                self.last_seq[stream] = last
            return
        carried = self.sequenced(frame)
        if carried is None:
            await self.events.put(frame)
            return
        stream, seq, message = carried
        last = self.last_seq.get(stream, -1)
        if seq <= last:
            return  # seen already
        if last >= 0 and seq > last + 1:
            await self._send_follow(socket, stream)  # a gap: ask again from what we have
            return
        self.last_seq[stream] = seq
        await self.events.put(frame)
        client_msg_id = (message or {}).get("clientMsgId")
        if message is not None and client_msg_id in self._unacked:
            del self._unacked[client_msg_id]
            self._refusals.pop(client_msg_id, None)
            future = self._acks.get(client_msg_id)
            if future and not future.done():
                future.set_result(message)


RETRYABLE = {"unavailable", "internal", "rate_limited"}
"""Refusals that say "not now": the send stays in the outbox and goes again."""


class SendRefused(Exception):
    """The server refused a send for good (forbidden, say); `frame` is its error frame."""

    def __init__(self, frame: Frame):
        super().__init__(frame.get("message"))
        self.frame = frame


def _with_client_msg_id(frame: Frame, client_msg_id: str) -> Frame:
    if "payload" in frame:
        return {**frame, "payload": {**frame["payload"], "clientMsgId": client_msg_id}}
    return {**frame, "clientMsgId": client_msg_id}
