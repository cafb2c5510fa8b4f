"""Users, sessions and sockets for a scenario, made through the public API."""

import asyncio
import json
import time
import uuid
from collections.abc import Iterator

import httpx

from parley_client import Listener
from parley_client.frame_socket import LINES, socket_url

from .listen import Readers

PASSWORD = "bench-password-1"
RUN = uuid.uuid4().hex[:6]
"""In every username, so that a run against a stack that is already running finds its names free."""


async def users(base_url: str, prefix: str, count: int) -> list[tuple[dict, str]]:
    """Registers `count` users; returns each with its cookie header."""
    limit = asyncio.Semaphore(16)

    async def one(n: int) -> tuple[dict, str]:
        async with limit, httpx.AsyncClient(base_url=base_url, timeout=60) as client:
            body = {"username": f"{prefix}{RUN}{n}", "password": PASSWORD, "name": f"Bench {n}"}
            response = await client.post("/api/auth/register", json=body)
            response.raise_for_status()
            return response.json(), f"connect.sid={client.cookies['connect.sid']}"

    return await asyncio.gather(*(one(n) for n in range(count)))


async def workspace_with_channels(base_url: str, owner_cookie: str, member_ids: list[int], channels: int) -> list[int]:
    async with httpx.AsyncClient(base_url=base_url, headers={"Cookie": owner_cookie}, timeout=60) as client:
        workspace = (await client.post("/api/workspaces", json={"name": "Bench"})).json()
        for user_id in member_ids:
            await client.post(f"/api/workspaces/{workspace['id']}/members", json={"userId": user_id})
        made = []
        for n in range(channels):
            made.append(
                (await client.post(f"/api/workspaces/{workspace['id']}/channels", json={"name": f"c{n}"})).json()["id"]
            )
        return made


async def listeners(base_url: str, cookies: list[str], path: str = "/ws/chat") -> list[Listener]:
    """A socket per cookie, each greeted by the edge."""
    limit = asyncio.Semaphore(50)

    async def one(cookie: str) -> Listener:
        async with limit:
            # The scenarios count the frames they measure; the unread count's +1 with each message is not one.
            socket = await Listener.open(base_url, path, cookie=cookie, ignore=("unread_updated",))
            await socket.next("connected", timeout=30)
            return socket

    return await asyncio.gather(*(one(cookie) for cookie in cookies))


async def readers(base_url: str, cookies: list[str], channel_id: int) -> Readers:
    """A socket per cookie in one channel, read by the load's Go readers (`listen`). They
    read as Parley's own clients do, several frames per message (`parley.lines`), as
    Centrifugo's JSON protocol does."""
    steps = [
        {"await": '"type":"connected"'},
        {"send": json.dumps({"type": "join_channel", "channelId": channel_id})},
        {"await": '"type":"joined_channel"'},
    ]
    return await Readers.open(socket_url(base_url, "/ws/chat"), len(cookies), steps, cookies, LINES)


async def join(sockets: list[Listener], channel_ids: list[int]) -> None:
    limit = asyncio.Semaphore(50)

    async def one(socket: Listener, channel_id: int) -> None:
        async with limit:
            await socket.send({"type": "join_channel", "channelId": channel_id})
            await socket.next("joined_channel", timeout=60, channelId=channel_id)

    await asyncio.gather(*(one(s, c) for s, c in zip(sockets, channel_ids, strict=True)))


def stamped(tag: str) -> str:
    return json.dumps({"tag": tag, "sent": time.time()})


def sent_at(content: str) -> tuple[str, float]:
    body = json.loads(content)
    return body["tag"], body["sent"]


def new_messages(payload: bytes) -> Iterator[tuple[str, float]]:
    """The (tag, sent) of a received frame that is a stamped channel message."""
    frame = json.loads(payload)
    if frame.get("type") == "new_message":
        yield sent_at(frame["message"]["content"])
