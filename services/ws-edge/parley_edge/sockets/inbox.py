"""A socket's inbox: the ASGI events its protocol has for the app, read by one reader.

uvicorn keeps them in an `asyncio.Queue`, whose four deques cost an idle socket about
2.5 KiB; this keeps what uvicorn uses of it (`put_nowait`, `get`, `empty`) in a list.
"""

import asyncio
from typing import Any


class Inbox:
    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    async def get(self) -> Any:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)
