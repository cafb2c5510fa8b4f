"""Outgoing socket frames built from events, and incoming ones parsed with the refusal
a client can act on. Every outgoing frame is encoded for the wire here, once: an
event's frame is the same bytes on every socket."""

import time

from pydantic import BaseModel, ValidationError

from parley_contracts import chat, chat_frames, dm, message_change_frames, messagepal_frames
from parley_contracts.errors import ErrorCode
from parley_runtime.errors import ParleyError
from parley_runtime.validation import summary

from . import wire


def encode(frame: BaseModel) -> bytes:
    """A frame model as a ready WebSocket text frame."""
    return wire.encode(frame.model_dump_json(exclude_none=True).encode())


def event_frame(event: chat.ChannelEvent) -> bytes | None:
    """The frame a channel event becomes on `/ws/chat`; None for events clients do not see."""
    frame: BaseModel
    match event:
        case chat.MessagePosted():
            frame = chat_frames.NewMessage(channel_id=event.channel_id, message=event.message, seq=event.seq)
        case chat.MessageEdited():
            frame = chat_frames.MessageEdited(
                channel_id=event.channel_id, message_id=event.message_id, content=event.content,
                edited_at=event.edited_at, seq=event.seq,
            )  # fmt: skip
        case chat.MessageDeleted():
            frame = chat_frames.MessageDeleted(channel_id=event.channel_id, message_id=event.message_id, seq=event.seq)
        case chat.MessageRead():
            frame = chat_frames.MessageRead(
                channel_id=event.channel_id, message_id=event.message_id, user_id=event.user_id,
                read_at=event.occurred_at, seq=event.seq,
            )  # fmt: skip
        case chat.ReactionAdded() | chat.ReactionRemoved() | chat.MessageUnpinned():
            frame = CHANGE_FRAMES[type(event)](**event.model_dump(include={"channel_id", "message_id", "user_id",
                                                                            "emoji", "seq"}))  # fmt: skip
        case chat.MessagePinned():
            frame = message_change_frames.MessagePinned(
                channel_id=event.channel_id, message_id=event.message_id, seq=event.seq,
                pinned_by=message_change_frames.PinnedBy(user_id=event.user_id), pinned_at=event.occurred_at,
            )  # fmt: skip
        case chat.MessageDelivered():
            frame = message_change_frames.MessageDelivered(
                channel_id=event.channel_id, message_id=event.message_id, user_id=event.user_id,
                delivered_at=event.occurred_at, seq=event.seq,
            )  # fmt: skip
        case _:
            return None
    return encode(frame)


CHANGE_FRAMES: dict[type, type[BaseModel]] = {
    chat.ReactionAdded: message_change_frames.ReactionAdded,
    chat.ReactionRemoved: message_change_frames.ReactionRemoved,
    chat.MessageUnpinned: message_change_frames.MessageUnpinned,
}
"""Events whose frame repeats their fields as they are."""


def retry_after_ms(error: ParleyError) -> int | None:
    """The wait a rate-limit refusal carries, for either socket path's error frame."""
    return next((d["retryAfterMs"] for d in error.details or [] if "retryAfterMs" in d), None)


def error_frame(error: ParleyError, **context) -> bytes:
    retry_after = retry_after_ms(error)
    return encode(chat_frames.ErrorFrame(code=error.code, message=error.message, retry_after_ms=retry_after, **context))


def refusal(exc: ValidationError) -> ParleyError:
    """Why a client frame was refused: bad JSON, an unknown type, or a bad field."""
    kinds = {item["type"] for item in exc.errors()}
    if "json_invalid" in kinds:
        return ParleyError(ErrorCode.INVALID_JSON, "the frame is not valid JSON")
    if kinds & {"union_tag_invalid", "union_tag_not_found", "model_attributes_type", "model_type", "dict_type"}:
        return ParleyError(ErrorCode.UNKNOWN_TYPE, f"unknown or missing frame type: {summary(exc)}")
    return ParleyError(ErrorCode.BAD_REQUEST, summary(exc))


def now_ms() -> int:
    return int(time.time() * 1000)


def conversation_event_frame(event: dm.ConversationEvent) -> bytes:
    """The `/messagepal` envelope a conversation event becomes."""
    frame: BaseModel
    match event:
        case dm.DirectMessageSent():
            frame = messagepal_frames.MessageReceived(payload=event.message, timestamp=now_ms())
        case dm.DirectMessageRead():
            payload = messagepal_frames.MessageReadPayload(
                message_id=event.message_id, conversation_id=event.conversation_id, read_by=event.read_by,
                read_at=event.read_at, seq=event.seq,
            )  # fmt: skip
            frame = messagepal_frames.MessageRead(payload=payload, timestamp=now_ms())
        case dm.DirectMessageEdited():
            edited = messagepal_frames.MessageEditedPayload(
                message_id=event.message_id, conversation_id=event.conversation_id, content=event.content,
                edited_at=event.edited_at, seq=event.seq,
            )  # fmt: skip
            frame = messagepal_frames.MessageEdited(payload=edited, timestamp=now_ms())
        case dm.DirectMessageDeleted():
            deleted = messagepal_frames.MessageDeletedPayload(
                message_id=event.message_id, conversation_id=event.conversation_id, seq=event.seq
            )
            frame = messagepal_frames.MessageDeleted(payload=deleted, timestamp=now_ms())
    return encode(frame)


def envelope_error(error: ParleyError, **context) -> bytes:
    retry_after = retry_after_ms(error)
    payload = messagepal_frames.ErrorPayload(
        code=error.code, message=error.message, retry_after_ms=retry_after, **context
    )
    return encode(messagepal_frames.Error(payload=payload, timestamp=now_ms()))
