"""One WebSocket that sends and receives JSON frames, keeping what it received so a
caller can wait for the frame it cares about."""

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

Frame = dict[str, Any]
"""A JSON frame as decoded."""
LINES = "parley.lines"
"""The subprotocol of a client that reads one or more frames per message, one per line
(`parley_contracts.framing`)."""


def socket_url(base_url: str, path: str) -> str:
    return base_url.replace("http://", "ws://").replace("https://", "wss://").rstrip("/") + path


class FrameSocket:
    def __init__(self, connection: ClientConnection):
        self.connection = connection
        self.received: list[Frame] = []
        self.arrival_times: list[float] = []
        """Wall-clock time each received frame arrived, for latency measurements."""
        self.messages = 0
        """WebSocket messages received: fewer than frames when several share one (`lines`)."""
        self._arrived = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(
        cls,
        base_url: str,
        path: str = "/ws/chat",
        cookie: str | None = None,
        origin: str | None = None,
        lines: bool = False,
        **options: Any,
    ) -> "FrameSocket":
        """`lines`: offer to read several frames per message (the `parley.lines` subprotocol)."""
        headers = {"Cookie": cookie} if cookie else {}
        if lines:
            options["subprotocols"] = [LINES]
        connection = await connect(
            socket_url(base_url, path), additional_headers=headers, origin=Origin(origin) if origin else None, **options
        )
        return cls(connection)

    @property
    def lines(self) -> bool:
        """Did the server accept `parley.lines`? Its messages then carry one or more frames."""
        return self.connection.subprotocol == LINES

    async def _read(self) -> None:
        try:
            async for raw in self.connection:
                text = raw if isinstance(raw, str) else raw.decode()
                frames = text.split("\n") if self.lines else [text]
                async with self._arrived:
                    self.messages += 1
                    self.arrival_times.extend([time.time()] * len(frames))
                    self.received.extend(json.loads(frame) for frame in frames)
                    self._arrived.notify_all()
        except ConnectionClosed:
            pass
        finally:
            async with self._arrived:
                self._arrived.notify_all()

    async def send(self, frame: Frame | str) -> None:
        await self.connection.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def wait_for(self, match: Callable[[Frame], bool], timeout: float = 5.0) -> Frame:
        """The first received frame that matches, waiting for it if need be."""

        async def find() -> Frame:
            async with self._arrived:
                while True:
                    for frame in self.received:
                        if match(frame):
                            return frame
                    if self._reader.done():
                        raise ConnectionError(f"socket closed ({self.close_code}) before a matching frame")
                    await self._arrived.wait()

        return await asyncio.wait_for(find(), timeout)

    async def next(self, frame_type: str, timeout: float = 5.0, **fields: object) -> Frame:
        """The first received frame of this type with these fields."""
        return await self.wait_for(
            lambda f: f.get("type") == frame_type and all(f.get(k) == v for k, v in fields.items()), timeout
        )

    async def frames_after(self, index: int, timeout: float = 5.0) -> list[Frame]:
        """The frames received after the first `index`, waiting until there is one."""
        await self.wait_for(lambda _frame: len(self.received) > index, timeout)
        return self.received[index:]

    def of_type(self, frame_type: str) -> list[Frame]:
        return [frame for frame in self.received if frame.get("type") == frame_type]

    def timed(self, frame_type: str) -> list[tuple[Frame, float]]:
        """Frames of this type with the time each arrived."""
        return [(f, at) for f, at in zip(self.received, self.arrival_times, strict=True) if f.get("type") == frame_type]

    @property
    def close_code(self) -> int | None:
        return self.connection.close_code

    async def wait_closed(self, timeout: float = 10.0) -> int | None:
        await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        return self.connection.close_code

    async def close(self) -> None:
        await self.connection.close()
        await asyncio.wait_for(asyncio.shield(self._reader), 5)
