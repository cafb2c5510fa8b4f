"""Outgoing `/ws/chat` frames built from events, and incoming ones parsed with the
refusal a client can act on. An event's frame is built once and shared by every socket."""

from pydantic import ValidationError

from parley_contracts import chat, chat_frames
from parley_contracts.errors import ErrorCode
from parley_runtime.errors import ParleyError
from parley_runtime.validation import summary


def text(frame) -> str:
    return frame.model_dump_json(exclude_none=True)


def event_frame(event: chat.ChannelEvent) -> str | None:
    """The frame a channel event becomes on `/ws/chat`; None for events clients do not see."""
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
        case _:
            return None
    return text(frame)


def error_frame(error: ParleyError, **context) -> str:
    retry_after = next((d["retryAfterMs"] for d in error.details or [] if "retryAfterMs" in d), None)
    return text(chat_frames.ErrorFrame(code=error.code, message=error.message, retry_after_ms=retry_after, **context))


def refusal(exc: ValidationError) -> ParleyError:
    """Why a client frame was refused: bad JSON, an unknown type, or a bad field."""
    kinds = {item["type"] for item in exc.errors()}
    if "json_invalid" in kinds:
        return ParleyError(ErrorCode.INVALID_JSON, "the frame is not valid JSON")
    if kinds & {"union_tag_invalid", "union_tag_not_found", "model_attributes_type", "model_type", "dict_type"}:
        return ParleyError(ErrorCode.UNKNOWN_TYPE, f"unknown or missing frame type: {summary(exc)}")
    return ParleyError(ErrorCode.BAD_REQUEST, summary(exc))
