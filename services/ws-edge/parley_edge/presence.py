"""Who is online in which channel, across every edge: a JetStream KV bucket with one
key per (channel, user, edge). Each edge refreshes its own keys; keys of an edge that
died expire with the bucket's TTL, so the online list heals by itself."""

import asyncio
import contextlib

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.errors import BucketNotFoundError, KeyNotFoundError
from nats.js.kv import KeyValue

from parley_contracts.chat_frames import OnlineUser


class PresenceBoard:
    def __init__(self, kv: KeyValue, edge_id: str, ttl_s: float):
        self._kv = kv
        self._edge_id = edge_id
        self._ttl_s = ttl_s
        self._mine: dict[str, bytes] = {}

    @classmethod
    async def open(cls, js: JetStreamContext, bucket: str, edge_id: str, ttl_s: float) -> "PresenceBoard":
        try:
            kv = await js.key_value(bucket)
        except BucketNotFoundError:
            kv = await js.create_key_value(KeyValueConfig(bucket=bucket, ttl=ttl_s, history=1))
        return cls(kv, edge_id, ttl_s)

    async def _entries(self, pattern: str) -> dict[str, bytes]:
        watcher = await self._kv.watch(pattern, ignore_deletes=True)
        found: dict[str, bytes] = {}
        try:
            async for entry in watcher:
                if entry is None:
                    break
                found[entry.key] = entry.value
        finally:
            await watcher.stop()
        return found

    async def arrive(self, channel_id: int, user_id: int, username: str) -> bool:
        """Record this edge's socket; True when the user was online nowhere before."""
        elsewhere = await self._entries(f"{channel_id}.{user_id}.*")
        key = f"{channel_id}.{user_id}.{self._edge_id}"
        self._mine[key] = username.encode()
        await self._kv.put(key, self._mine[key])
        return not (elsewhere.keys() - {key})

    async def depart(self, channel_id: int, user_id: int) -> bool:
        """Forget this edge's socket; True when the user is now online nowhere."""
        key = f"{channel_id}.{user_id}.{self._edge_id}"
        self._mine.pop(key, None)
        with contextlib.suppress(KeyNotFoundError):
            await self._kv.delete(key)
        return not await self._entries(f"{channel_id}.{user_id}.*")

    async def online(self, channel_id: int) -> list[OnlineUser]:
        users = {
            int(key.split(".")[1]): value.decode() for key, value in (await self._entries(f"{channel_id}.*.*")).items()
        }
        return [OnlineUser(user_id=user_id, username=name) for user_id, name in sorted(users.items())]

    async def refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self._ttl_s / 3)
            for key, value in list(self._mine.items()):
                await self._kv.put(key, value)

    async def forget_all(self) -> None:
        """On shutdown: withdraw this edge's keys at once instead of waiting for the TTL."""
        for key in list(self._mine):
            with contextlib.suppress(Exception):
                await self._kv.delete(key)
        self._mine.clear()
