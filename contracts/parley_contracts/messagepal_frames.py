"""Frames of `/messagepal`: envelopes `{type, payload, timestamp}` as in the seed
(the chat of PersonalLearningPro, which Parley stays compatible with).

`timestamp` is milliseconds since the epoch; clients may omit it on what they send.
A client may also send its payload's fields flat beside `type`, as the seed's own
browser hook does (see `client_frame`); the server always sends envelopes.
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from .base import ClientMsgId, Content, Contract, Epoch, Id, LastSeq, Seq
from .client_frame import ClientFrame
from .dm import ConversationId, DirectMessage
from .errors import ErrorCode

Timestamp = Annotated[int, Field(ge=0)]


class Envelope(Contract):
    timestamp: Timestamp | None = None


# Client → server --------------------------------------------------------------


class SendMessagePayload(Contract):
    recipient_id: Id
    content: Content
    client_msg_id: ClientMsgId | None = None


class SendMessage(ClientFrame, Envelope):
    type: Literal["send_message"]
    payload: SendMessagePayload


class TypingPayload(Contract):
    recipient_id: Id


class Typing(ClientFrame, Envelope):
    type: Literal["typing"]
    payload: TypingPayload


class MarkReadPayload(Contract):
    message_id: Id


class MarkRead(ClientFrame, Envelope):
    type: Literal["mark_read"]
    payload: MarkReadPayload


class EditMessagePayload(Contract):
    message_id: Id
    content: Content


class EditMessage(ClientFrame, Envelope):
    """The sender's new text for one of their messages."""

    type: Literal["edit_message"]
    payload: EditMessagePayload


class DeleteMessagePayload(Contract):
    message_id: Id


class DeleteMessage(ClientFrame, Envelope):
    """The sender deletes one of their messages."""

    type: Literal["delete_message"]
    payload: DeleteMessagePayload


class FetchHistoryPayload(Contract):
    conversation_id: ConversationId
    before: Seq | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 50


class FetchHistory(ClientFrame, Envelope):
    type: Literal["fetch_history"]
    payload: FetchHistoryPayload


class ConversationPayload(Contract):
    conversation_id: ConversationId
    last_seq: LastSeq | None = None
    epoch: Epoch | None = None
    """The epoch `lastSeq` belongs to (from `subscribed`); with another epoch the answer
    is `reload` instead of a replay. Without it nothing is checked."""


class Subscribe(ClientFrame, Envelope):
    type: Literal["subscribe"]
    payload: ConversationPayload


class Unsubscribe(ClientFrame, Envelope):
    type: Literal["unsubscribe"]
    payload: ConversationPayload


MessagePalClientFrame = Annotated[
    SendMessage | Typing | MarkRead | FetchHistory | Subscribe | Unsubscribe | EditMessage | DeleteMessage,
    Field(discriminator="type"),
]
messagepal_client_frame = TypeAdapter(MessagePalClientFrame)

# Server → client --------------------------------------------------------------


class ConnectedPayload(Contract):
    user_id: Id
    username: str
    role: str
    server_time: Timestamp


class Connected(Envelope):
    type: Literal["connected"] = "connected"
    payload: ConnectedPayload


class MessageReceived(Envelope):
    type: Literal["message_received"] = "message_received"
    payload: DirectMessage


class UserTypingPayload(Contract):
    user_id: Id
    username: str
    recipient_id: Id


class UserTyping(Envelope):
    type: Literal["user_typing"] = "user_typing"
    payload: UserTypingPayload


class MessageReadPayload(Contract):
    message_id: Id
    conversation_id: ConversationId
    read_by: Id
    read_at: datetime
    seq: Seq


class MessageRead(Envelope):
    type: Literal["message_read"] = "message_read"
    payload: MessageReadPayload


class MessageEditedPayload(Contract):
    message_id: Id
    conversation_id: ConversationId
    content: str
    edited_at: datetime
    seq: Seq


class MessageEdited(Envelope):
    type: Literal["message_edited"] = "message_edited"
    payload: MessageEditedPayload


class MessageDeletedPayload(Contract):
    message_id: Id
    conversation_id: ConversationId
    seq: Seq


class MessageDeleted(Envelope):
    type: Literal["message_deleted"] = "message_deleted"
    payload: MessageDeletedPayload


class HistoryResponsePayload(Contract):
    conversation_id: ConversationId
    messages: list[DirectMessage]


class HistoryResponse(Envelope):
    type: Literal["history_response"] = "history_response"
    payload: HistoryResponsePayload


class SubscribedPayload(Contract):
    conversation_id: ConversationId
    last_seq: LastSeq
    epoch: Epoch


class ReloadPayload(Contract):
    conversation_id: ConversationId
    last_seq: LastSeq
    epoch: Epoch


class Subscribed(Envelope):
    type: Literal["subscribed"] = "subscribed"
    payload: SubscribedPayload


class Reload(Envelope):
    """After `subscribed`: the position given is not in the conversation as it is now
    (another epoch: its store was wiped or restored, the stream reset), so no replay can
    be right. Drop what is held of the conversation and fetch its history again; events
    after `lastSeq` arrive live."""

    type: Literal["reload"] = "reload"
    payload: ReloadPayload


class UnsubscribedPayload(Contract):
    conversation_id: ConversationId


class Unsubscribed(Envelope):
    type: Literal["unsubscribed"] = "unsubscribed"
    payload: UnsubscribedPayload


class ErrorPayload(Contract):
    code: ErrorCode
    message: str
    client_msg_id: ClientMsgId | None = None
    retry_after_ms: Annotated[int, Field(ge=0)] | None = None


class Error(Envelope):
    type: Literal["error"] = "error"
    payload: ErrorPayload


MessagePalServerFrame = Annotated[
    Connected
    | MessageReceived
    | UserTyping
    | MessageRead
    | HistoryResponse
    | Subscribed
    | Reload
    | Unsubscribed
    | MessageEdited
    | MessageDeleted
    | Error,
    Field(discriminator="type"),
]
messagepal_server_frame = TypeAdapter(MessagePalServerFrame)
