"""Chat commands (`chat.cmd.<verb>`), their replies, and channel stream events.

Every command carries `actor_id`: the edge fills it from the session, never from a
client frame. Stream events carry the channel's `seq`. "The seed" is PersonalLearningPro's
chat, which Parley stays compatible with.
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from .base import ClientMsgId, Content, Contract, Epoch, Id, LastSeq, Seq

Name = Annotated[str, Field(min_length=1, max_length=80)]
KEYCAP_BASES = "#*0123456789"
EMOJI_JOINERS = "\u200d\ufe0e\ufe0f\u20e3"
EMOJI_PATTERN = (
    "^[\u00a9\u00ae\u203c\u2049\u2122\u2139\u2190-\u2bff\u2934\u2935\u3030\u303d\u3297\u3299"
    "\U0001f000-\U0001faff\U000e0020-\U000e007f" + EMOJI_JOINERS + KEYCAP_BASES + "]+$"
)
"""Emoji code points (symbols, pictographs, flags, skin tones, tags) and what joins them;
the pattern holds the characters themselves, which both regex engines read alike."""


def _one_emoji(text: str) -> str:
    """A keycap's base (`#`, `*`, a digit) only inside a keycap; at least one pictograph."""
    if any(char in KEYCAP_BASES for char in text) and "\u20e3" not in text:
        raise ValueError("a digit, # or * is an emoji only as a keycap")
    if all(char in EMOJI_JOINERS for char in text):
        raise ValueError("must hold an emoji")
    return text


Emoji = Annotated[str, Field(min_length=1, max_length=16, pattern=EMOJI_PATTERN), AfterValidator(_one_emoji)]
"""A reaction: one emoji, as short Unicode text (👍, 🇫🇷, 1️⃣, 👩‍💻)."""
MAX_EMOJIS = 50
"""Different emoji one message holds at most, so its history row stays small."""
MAX_PINS = 100
"""Pinned messages a channel holds at most: the pinned list is one response."""
HistoryLimit = Annotated[int, Field(ge=1, le=100)]
Url = Annotated[str, Field(min_length=1, max_length=2048, pattern=r"^https?://")]
MAX_MENTIONS = 50


class ChannelType(StrEnum):
    TEXT = "text"
    ANNOUNCEMENT = "announcement"
    DM = "dm"


class WorkspaceRole(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


class MessageType(StrEnum):
    TEXT = "text"
    FILE = "file"
    IMAGE = "image"
    SYSTEM = "system"


class Workspace(Contract):
    id: Id
    name: str
    description: str | None = None
    owner_id: Id
    assistant_enabled: bool = True
    created_at: datetime


class Member(Contract):
    user_id: Id
    role: WorkspaceRole


class Channel(Contract):
    id: Id
    workspace_id: Id | None = None
    name: str
    type: ChannelType
    member_ids: list[Id] | None = None
    """Only for DM channels: the two participants."""
    created_at: datetime


class Reaction(Contract):
    """One emoji's reactions to a message: who, in the order they reacted."""

    emoji: Emoji
    count: Annotated[int, Field(ge=1)]
    user_ids: list[Id]
    reacted: bool | None = None
    """In a reader's history: whether the reader is among them."""


class ChannelMessage(Contract):
    id: Id
    channel_id: Id
    author_id: Id
    content: str
    message_type: MessageType = MessageType.TEXT
    reply_to: Id | None = None
    mentions: list[Id] = []
    file_url: str | None = None
    client_msg_id: ClientMsgId | None = None
    seq: Seq
    created_at: datetime
    edited_at: datetime | None = None
    deleted: bool = False
    reactions: list[Reaction] | None = None
    """Per emoji, in the order each was first used; left out while there are none, and
    on a deleted message."""
    reply_count: Annotated[int, Field(ge=0)] = 0
    """Replies to it (its thread); kept beside the message and merged in by reads."""
    last_reply_at: datetime | None = None


# Commands and replies ---------------------------------------------------------


class CreateWorkspace(Contract):
    actor_id: Id
    name: Name
    description: Annotated[str, Field(max_length=500)] | None = None


class GetWorkspace(Contract):
    actor_id: Id
    workspace_id: Id


class WorkspaceDetail(Contract):
    workspace: Workspace
    members: list[Member]
    channels: list[Channel]


class ListWorkspaces(Contract):
    actor_id: Id


class WorkspaceList(Contract):
    workspaces: list[Workspace]


class AddMember(Contract):
    actor_id: Id
    workspace_id: Id
    user_id: Id
    role: Literal[WorkspaceRole.ADMIN, WorkspaceRole.MEMBER] = WorkspaceRole.MEMBER


class RemoveMember(Contract):
    actor_id: Id
    workspace_id: Id
    user_id: Id


class SetAssistantEnabled(Contract):
    actor_id: Id
    workspace_id: Id
    enabled: bool


class CreateChannel(Contract):
    actor_id: Id
    workspace_id: Id
    name: Name
    type: Literal[ChannelType.TEXT, ChannelType.ANNOUNCEMENT] = ChannelType.TEXT


class ListChannels(Contract):
    actor_id: Id
    workspace_id: Id


class ChannelList(Contract):
    channels: list[Channel]


class OpenDirectChannel(Contract):
    actor_id: Id
    other_user_id: Id


class ListDirectChannels(Contract):
    actor_id: Id


class AuthorizeJoin(Contract):
    actor_id: Id
    channel_id: Id


class JoinAuthorized(Contract):
    channel: Channel
    last_seq: LastSeq
    epoch: Epoch = ""


class MessageDraft(Contract):
    """What an author writes: the socket frame, the HTTP body and the command share it."""

    channel_id: Id
    content: Content
    client_msg_id: ClientMsgId | None = None
    message_type: MessageType = MessageType.TEXT
    reply_to: Id | None = None
    mentions: Annotated[list[Id], Field(max_length=MAX_MENTIONS)] = []
    file_url: Url | None = None


class PostMessage(MessageDraft):
    actor_id: Id

    @classmethod
    def from_draft(cls, actor_id: int, draft: MessageDraft) -> "PostMessage":
        return cls(actor_id=actor_id, **{name: getattr(draft, name) for name in MessageDraft.model_fields})


class MessageAccepted(Contract):
    """The reply to a post: the stored message (the same one for a retried clientMsgId)."""

    message: ChannelMessage
    duplicate: bool = False


class EditMessage(Contract):
    actor_id: Id
    message_id: Id
    content: Content
    channel_id: Id | None = None
    """When given, the message must be in it."""


class DeleteMessage(Contract):
    actor_id: Id
    message_id: Id
    channel_id: Id | None = None
    """When given, the message must be in it."""


class MarkRead(Contract):
    actor_id: Id
    channel_id: Id
    message_id: Id


class GetHistory(Contract):
    actor_id: Id
    channel_id: Id
    before: Seq | None = None
    after: LastSeq | None = None
    limit: HistoryLimit = 50


class History(Contract):
    messages: list[ChannelMessage]


class GetEventsSince(Contract):
    """Resume: every stream event after `after_seq`, oldest first, at most `limit`."""

    actor_id: Id
    channel_id: Id
    after_seq: LastSeq
    limit: Annotated[int, Field(ge=1, le=1000)] = 500


class ReadChannelEvents(Contract):
    """The edge's own read of a channel's events, to fill its feed's gaps: it reads for
    every socket of the feed at once, so no user acts. Only the edge may send it."""

    channel_id: Id
    after_seq: LastSeq
    limit: Annotated[int, Field(ge=1, le=1000)] = 500


# Stream events: published on chat.evt.<channelId>.<type> ----------------------


class ChannelEventBase(Contract):
    channel_id: Id
    seq: Seq
    occurred_at: datetime


class MessagePosted(ChannelEventBase):
    type: Literal["message_posted"] = "message_posted"
    message: ChannelMessage


class MessageEdited(ChannelEventBase):
    type: Literal["message_edited"] = "message_edited"
    message_id: Id
    content: str
    edited_at: datetime


class MessageDeleted(ChannelEventBase):
    type: Literal["message_deleted"] = "message_deleted"
    message_id: Id


class MessageRead(ChannelEventBase):
    type: Literal["message_read"] = "message_read"
    message_id: Id
    user_id: Id


class MemberActed(ChannelEventBase):
    """What one member did to one message: the base of reactions, pins and receipts."""

    message_id: Id
    user_id: Id


class ReactionAdded(MemberActed):
    type: Literal["reaction_added"] = "reaction_added"
    emoji: Emoji


class ReactionRemoved(MemberActed):
    type: Literal["reaction_removed"] = "reaction_removed"
    emoji: Emoji


class MessagePinned(MemberActed):
    type: Literal["message_pinned"] = "message_pinned"


class MessageUnpinned(MemberActed):
    type: Literal["message_unpinned"] = "message_unpinned"


class MessageDelivered(MemberActed):
    """A member's client received the message (the seed's delivery receipt)."""

    type: Literal["message_delivered"] = "message_delivered"
    author_id: Id


class MemberRemoved(ChannelEventBase):
    """The user lost access; edges unsubscribe that user's sockets from the channel."""

    type: Literal["member_removed"] = "member_removed"
    user_id: Id


ChannelEvent = Annotated[
    MessagePosted
    | MessageEdited
    | MessageDeleted
    | MessageRead
    | MemberRemoved
    | ReactionAdded
    | ReactionRemoved
    | MessagePinned
    | MessageUnpinned
    | MessageDelivered,
    Field(discriminator="type"),
]


class EventBatch(Contract):
    events: list[ChannelEvent]
    last_seq: LastSeq
    """The stream's head when the batch was read: more may follow if it is higher."""
    epoch: Epoch = ""
