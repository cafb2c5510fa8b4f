"""Ephemeral signals: typing and presence. Core NATS only, never stored."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from .base import Contract, Id


class PresenceStatus(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class ChannelTyping(Contract):
    """On chat.typing.<channelId>."""

    type: Literal["channel_typing"] = "channel_typing"
    channel_id: Id
    user_id: Id
    username: str
    typing: bool


class PresenceChanged(Contract):
    """On chat.presence.<channelId>: a user's first socket joined or last one left."""

    type: Literal["presence_changed"] = "presence_changed"
    channel_id: Id
    user_id: Id
    username: str
    status: PresenceStatus


class DirectTyping(Contract):
    """On dm.typing.user.<recipientId>."""

    type: Literal["direct_typing"] = "direct_typing"
    user_id: Id
    username: str
    recipient_id: Id
    typing: bool


@dataclass(frozen=True)
class PresenceKey:
    """A key of the `presence` KV bucket, `<channelId>.<userId>.<edgeId>`: one user's
    sockets in one channel on one edge. Every key is built and read here."""

    channel_id: int
    user_id: int
    edge_id: str

    def __str__(self) -> str:
        return f"{self.channel_id}.{self.user_id}.{self.edge_id}"

    @classmethod
    def parse(cls, key: str) -> "PresenceKey":
        channel_id, user_id, edge_id = key.split(".", 2)
        return cls(int(channel_id), int(user_id), edge_id)

    @staticmethod
    def prefix(channel_id: int, user_id: int | None = None) -> str:
        """What the keys of a channel, or of one user in it, begin with."""
        return f"{channel_id}." if user_id is None else f"{channel_id}.{user_id}."

    @staticmethod
    def pattern(channel_id: int) -> str:
        """The bucket's key filter for one channel's keys."""
        return f"{channel_id}.*.*"


class PresenceEntry(Contract):
    """A value in the `presence` KV bucket, under a `PresenceKey`."""

    username: str
    at: float
    """When the edge last refreshed it (seconds since the epoch)."""


class InstanceAlive(Contract):
    """On <service>.instances: one copy of the service is alive (`parley_runtime.owners`)."""

    type: Literal["instance_alive"] = "instance_alive"
    instance: str
