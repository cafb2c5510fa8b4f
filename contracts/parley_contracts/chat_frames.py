"""Frames of `/ws/chat`: flat JSON objects discriminated by `type`, as in the seed
(the chat of PersonalLearningPro, which Parley stays compatible with).

Parley's additions: `clientMsgId` for idempotent sends, `seq` on every event frame,
`lastSeq` and `epoch` on join for resume (`reload` when the epoch changed),
`online` on `joined_channel`, and error codes. A client may also send its fields
enveloped under `payload` (see `client_frame`).
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from .auth import UsernameQuery
from .base import ClientMsgId, Contract, Epoch, Id, LastSeq, Seq
from .chat import MAX_MENTIONS, ChannelMessage, MessageDraft
from .client_frame import ClientFrame
from .errors import ErrorCode
from .message_change_frames import (
    AddReaction,
    DeleteMessage,
    EditMessage,
    MarkDelivered,
    MessageDelivered,
    MessagePinned,
    MessageUnpinned,
    PinMessage,
    ReactionAdded,
    ReactionRemoved,
    RemoveReaction,
    UnpinMessage,
)
from .signals import PresenceStatus
from .unread import UnreadUpdated

# Client → server --------------------------------------------------------------


class JoinChannel(ClientFrame):
    type: Literal["join_channel"]
    channel_id: Id
    last_seq: LastSeq | None = None
    epoch: Epoch | None = None
    """The epoch `lastSeq` belongs to (from `joined_channel`); with another epoch the
    answer is `reload` instead of a replay. Without it nothing is checked."""


class LeaveChannel(ClientFrame):
    type: Literal["leave_channel"]
    channel_id: Id


class SendMessage(ClientFrame, MessageDraft):
    type: Literal["send_message"]
    # Wider than the draft's ids on purpose: the edge resolves the names before it sends the draft on.
    mentions: Annotated[list[Id | UsernameQuery], Field(max_length=MAX_MENTIONS)] = []  # type: ignore[assignment]  # names too
    """User ids, or usernames as the seed's newer client sends them; the edge resolves
    names to ids and drops those that name nobody."""


class Typing(ClientFrame):
    type: Literal["typing"]
    channel_id: Id


class StopTyping(ClientFrame):
    type: Literal["stop_typing"]
    channel_id: Id


class MarkRead(ClientFrame):
    type: Literal["mark_read"]
    channel_id: Id
    message_id: Id


ChatClientFrame = Annotated[
    JoinChannel
    | LeaveChannel
    | SendMessage
    | Typing
    | StopTyping
    | MarkRead
    | EditMessage
    | DeleteMessage
    | AddReaction
    | RemoveReaction
    | PinMessage
    | UnpinMessage
    | MarkDelivered,
    Field(discriminator="type"),
]
chat_client_frame = TypeAdapter(ChatClientFrame)

# Server → client --------------------------------------------------------------


class Connected(Contract):
    type: Literal["connected"] = "connected"
    user_id: Id
    username: str


class OnlineUser(Contract):
    user_id: Id
    username: str


class JoinedChannel(Contract):
    type: Literal["joined_channel"] = "joined_channel"
    channel_id: Id
    online: list[OnlineUser]
    last_seq: LastSeq
    epoch: Epoch


class Reload(Contract):
    """After `joined_channel`: the position given is not in the channel's stream as it
    is now (another epoch: its store was wiped or restored, the stream reset), so no
    replay can be right. Drop what is held of the channel and load its history again;
    events after `lastSeq` arrive live."""

    type: Literal["reload"] = "reload"
    channel_id: Id
    last_seq: LastSeq
    epoch: Epoch


class LeftChannel(Contract):
    type: Literal["left_channel"] = "left_channel"
    channel_id: Id


class UserPresence(Contract):
    type: Literal["user_presence"] = "user_presence"
    channel_id: Id
    user_id: Id
    username: str
    status: PresenceStatus


class NewMessage(Contract):
    type: Literal["new_message"] = "new_message"
    channel_id: Id
    message: ChannelMessage
    seq: Seq


class MessageEdited(Contract):
    type: Literal["message_edited"] = "message_edited"
    channel_id: Id
    message_id: Id
    content: str
    edited_at: datetime
    seq: Seq


class MessageDeleted(Contract):
    type: Literal["message_deleted"] = "message_deleted"
    channel_id: Id
    message_id: Id
    seq: Seq


class UserTyping(Contract):
    type: Literal["user_typing"] = "user_typing"
    channel_id: Id
    user_id: Id
    username: str


class UserStopTyping(Contract):
    type: Literal["user_stop_typing"] = "user_stop_typing"
    channel_id: Id
    user_id: Id
    username: str


class MessageRead(Contract):
    type: Literal["message_read"] = "message_read"
    channel_id: Id
    message_id: Id
    user_id: Id
    read_at: datetime
    seq: Seq


class ErrorFrame(Contract):
    type: Literal["error"] = "error"
    code: ErrorCode
    message: str
    client_msg_id: ClientMsgId | None = None
    channel_id: Id | None = None
    retry_after_ms: Annotated[int, Field(ge=0)] | None = None


ChatServerFrame = Annotated[
    Connected
    | JoinedChannel
    | Reload
    | LeftChannel
    | UserPresence
    | NewMessage
    | MessageEdited
    | MessageDeleted
    | UserTyping
    | UserStopTyping
    | MessageRead
    | ReactionAdded
    | ReactionRemoved
    | MessagePinned
    | MessageUnpinned
    | MessageDelivered
    | UnreadUpdated
    | ErrorFrame,
    Field(discriminator="type"),
]
chat_server_frame = TypeAdapter(ChatServerFrame)
