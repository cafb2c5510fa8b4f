"""Unread counts. Each member of a channel has a read position, the `seq` of the
furthest message they marked read (`chat.MarkRead`); it only moves forward. A count is
derived when asked for: the messages after the position that others wrote and nobody
deleted, stopping at `UNREAD_CAP`; `mentions` are those of them naming the reader
(`mentions` holds their id, or the text says `@username`).

`/ws/chat` sockets of a user in a channel get `unread_updated` when that user's count
there changes: +1 for a message someone else posts, less when they mark messages read.
"""

from typing import Annotated, Literal

from pydantic import Field

from .auth import UsernameQuery
from .base import Contract, Id, LastSeq
from .dm import ConversationId

UNREAD_CAP = 1000
"""Counts stop here: a client shows "999+" long before."""

Count = Annotated[int, Field(ge=0, le=UNREAD_CAP)]


class GetUnread(Contract):
    """`chat.cmd.unread`: one channel's count for the actor."""

    actor_id: Id
    username: UsernameQuery
    """The actor's username, filled by the edge from the session: what `@mentions` name."""
    channel_id: Id


class Unread(Contract):
    count: Count
    mentions: Count
    last_read_seq: LastSeq


class GetAllUnread(Contract):
    """`chat.cmd.unread_all`: the actor's count in every channel they are in."""

    actor_id: Id
    username: UsernameQuery


class ChannelUnread(Unread):
    channel_id: Id
    workspace_id: Id | None = None
    """None for a direct (two-person) channel."""


class ChannelUnreadList(Contract):
    channels: list[ChannelUnread]


class ReadMarked(Contract):
    """The reply to `chat.cmd.mark_read`: the reader's position and count after it, and
    how much the count changed (0 or less)."""

    last_read_seq: LastSeq
    count: Count
    delta: Annotated[int, Field(ge=-UNREAD_CAP, le=0)]


class ConversationUnread(Contract):
    conversation_id: ConversationId
    other_user_id: Id
    count: Count
    last_read_seq: LastSeq


class UserUnread(Contract):
    """`GET /api/users/me/unread`: every channel and DM conversation of the user at once."""

    channels: list[ChannelUnread]
    conversations: list[ConversationUnread]


class UnreadUpdated(Contract):
    """`/ws/chat`: the user's unread count in the channel changed by `delta`."""

    type: Literal["unread_updated"] = "unread_updated"
    channel_id: Id
    delta: Annotated[int, Field(ge=-UNREAD_CAP, le=UNREAD_CAP)]
