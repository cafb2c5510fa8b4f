"""Who is online in which channel, across every edge: a JetStream KV bucket with one
key per (channel, user, edge). Each edge mirrors the whole bucket through one watcher,
so asking who is online is a local read, and refreshes its own keys. An entry carries
the time it was refreshed: the entries of an edge that died stop counting after the TTL
(and the bucket's own TTL then removes them)."""

import asyncio
import contextlib
import time

import structlog
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from parley_contracts.chat_frames import OnlineUser
from parley_contracts.signals import PresenceEntry, PresenceKey
from parley_runtime.kv_buckets import open_bucket

log = structlog.get_logger("parley.edge.presence")
DELETED = {"DEL", "PURGE"}


class PresenceBoard:
    def __init__(self, kv: KeyValue, edge_id: str, ttl_s: float):
        self._kv = kv
        self._edge_id = edge_id
        self._ttl_s = ttl_s
        self._mine: dict[str, str] = {}
        self._mirror: dict[str, tuple[str, float]] = {}
        self._synced = asyncio.Event()
        self._watching: asyncio.Task | None = None

    @classmethod
    async def open(
        cls, js: JetStreamContext, bucket: str, edge_id: str, ttl_s: float, replicas: int = 1
    ) -> "PresenceBoard":
        kv = await open_bucket(js, KeyValueConfig(bucket=bucket, ttl=ttl_s, history=1, replicas=replicas))
        board = cls(kv, edge_id, ttl_s)
        board._watching = asyncio.create_task(board._watch())
        await asyncio.wait_for(board._synced.wait(), 10)
        return board

    async def _watch(self) -> None:
        watcher = await self._kv.watchall()
        async for entry in watcher:
            if entry is None:
                self._synced.set()
            elif entry.operation in DELETED:
                self._mirror.pop(entry.key, None)
            else:
                value = PresenceEntry.model_validate_json(entry.value)
                self._mirror[entry.key] = (value.username, value.at)

    def _present(self, prefix: str) -> dict[str, str]:
        fresh_after = time.time() - self._ttl_s
        return {
            key: name for key, (name, at) in list(self._mirror.items()) if key.startswith(prefix) and at > fresh_after
        }

    async def _put(self, key: str, username: str) -> None:
        entry = PresenceEntry(username=username, at=time.time())
        self._mirror[key] = (entry.username, entry.at)
        await self._kv.put(key, entry.to_json())

    async def arrive(self, channel_id: int, user_id: int, username: str) -> bool:
        """Record this edge's socket; True when the user was online nowhere before."""
        key = str(PresenceKey(channel_id, user_id, self._edge_id))
        elsewhere = self._present(PresenceKey.prefix(channel_id, user_id)).keys() - {key}
        self._mine[key] = username
        await self._put(key, username)
        return not elsewhere

    async def depart(self, channel_id: int, user_id: int) -> bool:
        """Forget this edge's socket; True when the user is now online nowhere."""
        key = str(PresenceKey(channel_id, user_id, self._edge_id))
        self._mine.pop(key, None)
        self._mirror.pop(key, None)
        with contextlib.suppress(KeyNotFoundError):
            await self._kv.delete(key)
        return not self._present(PresenceKey.prefix(channel_id, user_id))

    def online(self, channel_id: int) -> list[OnlineUser]:
        present = self._present(PresenceKey.prefix(channel_id)).items()
        users = {PresenceKey.parse(key).user_id: name for key, name in present}
        return [OnlineUser(user_id=user_id, username=name) for user_id, name in sorted(users.items())]

    async def refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self._ttl_s / 3)
            for key, username in list(self._mine.items()):
                try:
                    await self._put(key, username)
                except Exception:  # NATS busy or reconnecting: the next round tries again
                    log.warning("presence_refresh_failed")

    async def forget_all(self) -> None:
        """On shutdown: withdraw this edge's keys at once instead of waiting for the TTL."""
        for key in list(self._mine):
            with contextlib.suppress(Exception):
                await self._kv.delete(key)
        self._mine.clear()
        if self._watching:
            self._watching.cancel()
