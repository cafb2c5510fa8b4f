"""A `/ws/chat` session that survives drops.

It remembers the channels joined and the last `seq` seen in each; after a drop it
reconnects with exponential backoff and full jitter, re-joins every channel with
`lastSeq`, and resends every send not yet acknowledged, under its original
`clientMsgId`, so the server stores it once. Frames with a `seq` already seen are
dropped, and a jump in `seq` makes it re-join to fetch what is missing.
"""

import asyncio
import random
import uuid

from websockets.exceptions import ConnectionClosed, InvalidStatus

from .frame_socket import Frame, FrameSocket

SEQ_FRAMES = {"new_message", "message_edited", "message_deleted", "message_read"}


class ChatClient:
    def __init__(
        self,
        base_url: str,
        cookie: str,
        backoff_s: float = 0.1,
        max_backoff_s: float = 5.0,
        rng: random.Random | None = None,
    ):
        self.base_url = base_url
        self.cookie = cookie
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.rng = rng or random.Random()
        self.last_seq: dict[int, int] = {}
        self.events: asyncio.Queue[Frame] = asyncio.Queue()
        self.connects = 0
        self._unacked: dict[str, Frame] = {}
        self._acks: dict[str, asyncio.Future[Frame]] = {}
        self._socket: FrameSocket | None = None
        self._connected = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None

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

    async def join(self, channel_id: int) -> None:
        self.last_seq.setdefault(channel_id, -1)
        if self._socket:
            await self._send_join(self._socket, channel_id)

    async def send_message(self, channel_id: int, content: str, timeout: float = 10.0) -> Frame:
        """Send and wait for the acknowledgement: our own `new_message`, carrying our clientMsgId."""
        client_msg_id = uuid.uuid4().hex
        frame: Frame = {
            "type": "send_message",
            "channelId": channel_id,
            "content": content,
            "clientMsgId": client_msg_id,
        }
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

    async def _send_join(self, socket: FrameSocket, channel_id: int) -> None:
        last = self.last_seq[channel_id]
        frame: Frame = {"type": "join_channel", "channelId": channel_id}
        if last >= 0:
            frame["lastSeq"] = last
        await socket.send(frame)

    async def _run(self) -> None:
        attempt = 0
        while True:
            try:
                self._socket = await FrameSocket.open(self.base_url, cookie=self.cookie)
            except (OSError, InvalidStatus):
                attempt += 1
                await asyncio.sleep(self._backoff(attempt))
                continue
            attempt = 0
            self.connects += 1
            try:
                await self._socket.next("connected")
                for channel_id in self.last_seq:
                    await self._send_join(self._socket, channel_id)
                for frame in list(self._unacked.values()):
                    await self._socket.send(frame)
                self._connected.set()
                await self._consume(self._socket)
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
        if frame.get("type") == "joined_channel" and self.last_seq.get(frame["channelId"], -1) < 0:
            self.last_seq[frame["channelId"]] = frame["lastSeq"]
            return
        if frame.get("type") not in SEQ_FRAMES:
            await self.events.put(frame)
            return
        channel_id, seq = frame["channelId"], frame["seq"]
        last = self.last_seq.get(channel_id, -1)
        if seq <= last:
            return  # seen already
        if last >= 0 and seq > last + 1:
            await self._send_join(socket, channel_id)  # a gap: ask again from what we have
            return
        self.last_seq[channel_id] = seq
        await self.events.put(frame)
        client_msg_id = frame.get("message", {}).get("clientMsgId")
        if frame["type"] == "new_message" and client_msg_id in self._unacked:
            del self._unacked[client_msg_id]
            future = self._acks.get(client_msg_id)
            if future and not future.done():
                future.set_result(frame["message"])
