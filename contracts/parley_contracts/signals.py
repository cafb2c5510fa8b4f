"""Ephemeral signals: typing and presence. Core NATS only, never stored."""

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


class PresenceEntry(Contract):
    """A value in the `presence` KV bucket, keyed `<channelId>.<userId>.<edgeId>`."""

    username: str
    at: float
    """When the edge last refreshed it (seconds since the epoch)."""
