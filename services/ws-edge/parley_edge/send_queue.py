"""A socket's bounded send queue. When it is full, typing and presence frames give way
first; when nothing can give way, the socket must be closed (1013) rather than let
memory grow. Pure logic: the writer task and the close live in `connection`."""

import asyncio
from collections import deque


class SendQueue:
    def __init__(self, capacity: int):
        self.capacity = capacity
        self.dropped = 0
        self._frames: deque[tuple[str, bool]] = deque()
        self._ready = asyncio.Event()

    def __len__(self) -> int:
        return len(self._frames)

    def offer(self, frame: str, droppable: bool) -> bool:
        """Queue a frame; False when it cannot fit and nothing droppable can make room."""
        if len(self._frames) >= self.capacity:
            if droppable:
                self.dropped += 1
                return True
            if not self._evict_one_droppable():
                return False
        self._frames.append((frame, droppable))
        self._ready.set()
        return True

    def _evict_one_droppable(self) -> bool:
        for index, (_, droppable) in enumerate(self._frames):
            if droppable:
                del self._frames[index]
                self.dropped += 1
                return True
        return False

    def finish(self) -> None:
        """After the frames already queued, `take` returns None: the writer's cue to stop."""
        self._frames.append((None, False))
        self._ready.set()

    async def take(self) -> str | None:
        while not self._frames:
            self._ready.clear()
            await self._ready.wait()
        return self._frames.popleft()[0]
