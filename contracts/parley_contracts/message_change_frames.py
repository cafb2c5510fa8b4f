"""`/ws/chat` frames that change a posted message or tell about it: edits, deletes,
reactions, pins and delivery receipts. `pin_message` and `mark_delivered` come from a
newer hook of the seed (PersonalLearningPro's chat, which Parley stays compatible
with); the server frames carry the event's `seq` like every event frame. Their unions
are `chat_frames`'."""

from datetime import datetime
from typing import Literal

from .base import Content, Contract, Id, Seq
from .chat import Emoji
from .client_frame import ClientFrame

# Client → server --------------------------------------------------------------


class EditMessage(ClientFrame):
    type: Literal["edit_message"]
    message_id: Id
    content: Content
    channel_id: Id | None = None
    """When given, the message must be in it."""


class DeleteMessage(ClientFrame):
    type: Literal["delete_message"]
    message_id: Id
    channel_id: Id | None = None


class AddReaction(ClientFrame):
    type: Literal["add_reaction"]
    message_id: Id
    emoji: Emoji
    channel_id: Id | None = None


class RemoveReaction(ClientFrame):
    type: Literal["remove_reaction"]
    message_id: Id
    emoji: Emoji
    channel_id: Id | None = None


class PinMessage(ClientFrame):
    type: Literal["pin_message"]
    channel_id: Id
    message_id: Id


class UnpinMessage(ClientFrame):
    type: Literal["unpin_message"]
    channel_id: Id
    message_id: Id


class MarkDelivered(ClientFrame):
    type: Literal["mark_delivered"]
    channel_id: Id
    message_id: Id


# Server → client --------------------------------------------------------------


class ReactionAdded(Contract):
    type: Literal["reaction_added"] = "reaction_added"
    channel_id: Id
    message_id: Id
    user_id: Id
    emoji: str
    seq: Seq


class ReactionRemoved(Contract):
    type: Literal["reaction_removed"] = "reaction_removed"
    channel_id: Id
    message_id: Id
    user_id: Id
    emoji: str
    seq: Seq


class PinnedBy(Contract):
    user_id: Id


class MessagePinned(Contract):
    type: Literal["message_pinned"] = "message_pinned"
    channel_id: Id
    message_id: Id
    pinned_by: PinnedBy
    pinned_at: datetime
    seq: Seq


class MessageUnpinned(Contract):
    type: Literal["message_unpinned"] = "message_unpinned"
    channel_id: Id
    message_id: Id
    user_id: Id
    """Who unpinned it."""
    seq: Seq


class MessageDelivered(Contract):
    type: Literal["message_delivered"] = "message_delivered"
    channel_id: Id
    message_id: Id
    user_id: Id
    """The member whose client received it."""
    delivered_at: datetime
    seq: Seq
