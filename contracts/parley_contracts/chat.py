"""Chat commands (`chat.cmd.<verb>`), their replies, and channel stream events.

Every command carries `actor_id`: the edge fills it from the session, never from a
client frame. Stream events carry the channel's `seq`.
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from .base import ClientMsgId, Content, Contract, Epoch, Id, LastSeq, Seq

Name = Annotated[str, Field(min_length=1, max_length=80)]
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
    channel_id: Id
    message_id: Id
    content: Content


class DeleteMessage(Contract):
    actor_id: Id
    channel_id: Id
    message_id: Id


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


class MemberRemoved(ChannelEventBase):
    """The user lost access; edges unsubscribe that user's sockets from the channel."""

    type: Literal["member_removed"] = "member_removed"
    user_id: Id


ChannelEvent = Annotated[
    MessagePosted | MessageEdited | MessageDeleted | MessageRead | MemberRemoved,
    Field(discriminator="type"),
]


class EventBatch(Contract):
    events: list[ChannelEvent]
    last_seq: LastSeq
    """The stream's head when the batch was read: more may follow if it is higher."""
    epoch: Epoch = ""
