"""Chat commands that change a posted message or tell about it: reactions, pins and
delivery receipts (`chat.cmd.<verb>`). Edits and deletes are `chat`'s own commands.
Each appends an event to the message's channel stream (see `chat`'s events)."""

from .base import Contract, Id
from .chat import ChannelMessage, Emoji


class AddReaction(Contract):
    """Set-like: adding a reaction the actor has already made changes nothing."""

    actor_id: Id
    message_id: Id
    emoji: Emoji
    channel_id: Id | None = None
    """When given, the message must be in it."""


class RemoveReaction(Contract):
    """Set-like: removing a reaction the actor has not made changes nothing."""

    actor_id: Id
    message_id: Id
    emoji: Emoji
    channel_id: Id | None = None


class PinMessage(Contract):
    """Set-like: pinning a pinned message changes nothing."""

    actor_id: Id
    channel_id: Id
    message_id: Id


class UnpinMessage(Contract):
    actor_id: Id
    channel_id: Id
    message_id: Id


class GetPinned(Contract):
    actor_id: Id
    channel_id: Id


class PinnedMessages(Contract):
    """The channel's pinned messages, oldest pin first, as the reader sees them."""

    messages: list[ChannelMessage]


class MarkDelivered(Contract):
    """The actor's client received the message; once per member and message."""

    actor_id: Id
    channel_id: Id
    message_id: Id
