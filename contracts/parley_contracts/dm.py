"""Direct-message commands (`dm.cmd.<verb>`), replies and conversation events.

A conversation between users a and b has the id `conv_<low>_<high>`; its events are
published to both participants on `dm.evt.user.<userId>.<type>`.
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from .base import ClientMsgId, Content, Contract, Epoch, Id, LastSeq, Seq

ConversationId = Annotated[str, Field(pattern=r"^conv_[1-9][0-9]{0,15}_[1-9][0-9]{0,15}$", max_length=40)]


def conversation_id(a: int, b: int) -> str:
    low, high = sorted((a, b))
    return f"conv_{low}_{high}"


def participants(conv_id: str) -> tuple[int, int]:
    _, low, high = conv_id.split("_")
    return int(low), int(high)


class DirectMessage(Contract):
    id: Id
    conversation_id: ConversationId
    sender_id: Id
    recipient_id: Id
    content: str
    client_msg_id: ClientMsgId | None = None
    seq: Seq
    created_at: datetime
    read_at: datetime | None = None
    edited_at: datetime | None = None
    deleted: bool = False
    """A tombstone: the sender deleted it, and its content is gone."""


class InboxEntry(Contract):
    conversation_id: ConversationId
    other_user_id: Id
    last_message: DirectMessage | None = None
    unread: Annotated[int, Field(ge=0)]
    last_read_seq: LastSeq = 0
    """The `seq` of the furthest message this user marked read."""


# Commands and replies ---------------------------------------------------------


class SendDirectMessage(Contract):
    actor_id: Id
    recipient_id: Id
    content: Content
    client_msg_id: ClientMsgId | None = None


class DirectMessageAccepted(Contract):
    message: DirectMessage
    duplicate: bool = False


class MarkDirectRead(Contract):
    actor_id: Id
    message_id: Id


class EditDirectMessage(Contract):
    """The sender's new text for their message; both sides get `direct_message_edited`."""

    actor_id: Id
    message_id: Id
    content: Content


class DeleteDirectMessage(Contract):
    """The sender deletes their message; a tombstone stays in its place."""

    actor_id: Id
    message_id: Id


class GetDirectHistory(Contract):
    actor_id: Id
    conversation_id: ConversationId
    before: Seq | None = None
    after: LastSeq | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 50


class DirectHistory(Contract):
    conversation_id: ConversationId
    messages: list[DirectMessage]


class AuthorizeConversation(Contract):
    actor_id: Id
    conversation_id: ConversationId


class ConversationAuthorized(Contract):
    conversation_id: ConversationId
    last_seq: LastSeq
    epoch: Epoch = ""


class GetDirectEventsSince(Contract):
    actor_id: Id
    conversation_id: ConversationId
    after_seq: LastSeq
    limit: Annotated[int, Field(ge=1, le=1000)] = 500


class ReadConversationEvents(Contract):
    """The edge's own read of a conversation's events, to fill its feed's gaps and replay
    them to a socket dm has authorized. Only the edge may send it."""

    conversation_id: ConversationId
    after_seq: LastSeq
    limit: Annotated[int, Field(ge=1, le=1000)] = 500


class GetInbox(Contract):
    actor_id: Id


class Inbox(Contract):
    conversations: list[InboxEntry]


class BlockUser(Contract):
    actor_id: Id
    user_id: Id


class UnblockUser(Contract):
    actor_id: Id
    user_id: Id


# Conversation events: published on dm.evt.user.<userId>.<type> ---------------


class ConversationEventBase(Contract):
    conversation_id: ConversationId
    seq: Seq
    occurred_at: datetime


class DirectMessageSent(ConversationEventBase):
    type: Literal["direct_message_sent"] = "direct_message_sent"
    message: DirectMessage


class DirectMessageRead(ConversationEventBase):
    type: Literal["direct_message_read"] = "direct_message_read"
    message_id: Id
    read_by: Id
    read_at: datetime


class DirectMessageEdited(ConversationEventBase):
    type: Literal["direct_message_edited"] = "direct_message_edited"
    message_id: Id
    content: str
    edited_at: datetime


class DirectMessageDeleted(ConversationEventBase):
    type: Literal["direct_message_deleted"] = "direct_message_deleted"
    message_id: Id


ConversationEvent = Annotated[
    DirectMessageSent | DirectMessageRead | DirectMessageEdited | DirectMessageDeleted,
    Field(discriminator="type"),
]


class DirectEventBatch(Contract):
    events: list[ConversationEvent]
    last_seq: LastSeq
    epoch: Epoch = ""
