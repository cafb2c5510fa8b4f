"""Malformed frames are refused, and the error names the field and the problem."""

import pytest
from pydantic import ValidationError

from parley_contracts import chat_frames, messagepal_frames
from parley_contracts.base import MAX_CONTENT_CHARS

CASES = [
    (chat_frames.chat_client_frame, b'{"type":"send_message","channelId":7}', "content", "Field required"),
    (
        chat_frames.chat_client_frame,
        b'{"type":"send_message","channelId":"7","content":"x"}',
        "channelId",
        "valid integer",
    ),
    (
        chat_frames.chat_client_frame,
        b'{"type":"send_message","channelId":7,"content":"   "}',
        "content",
        "must not be blank",
    ),
    (
        chat_frames.chat_client_frame,
        b'{"type":"send_message","channelId":7,"content":"' + b"x" * (MAX_CONTENT_CHARS + 1) + b'"}',
        "content",
        "at most 4000",
    ),
    (
        chat_frames.chat_client_frame,
        b'{"type":"send_message","channelId":7,"content":"x","clientMsgId":"a b"}',
        "clientMsgId",
        "pattern",
    ),
    (
        chat_frames.chat_client_frame,
        b'{"type":"join_channel","channelId":9007199254740992}',
        "channelId",
        "less than or equal",
    ),
    (chat_frames.chat_client_frame, b'{"type":"join_channel","channelId":0}', "channelId", "greater than"),
    (chat_frames.chat_client_frame, b'{"type":"add_reaction","messageId":9,"emoji":"nice"}', "emoji", "pattern"),
    (chat_frames.chat_client_frame, b'{"type":"add_reaction","messageId":9,"emoji":"7"}', "emoji", "keycap"),
    (
        chat_frames.chat_client_frame,
        '{"type":"remove_reaction","messageId":9,"emoji":"\u200d"}'.encode(),
        "emoji",
        "must hold an emoji",
    ),
    (
        chat_frames.chat_client_frame,
        ('{"type":"add_reaction","messageId":9,"emoji":"' + "👍" * 17 + '"}').encode(),
        "emoji",
        "at most 16",
    ),
    (chat_frames.chat_client_frame, b'{"type":"edit_message","messageId":9,"content":" "}', "content", "blank"),
    (chat_frames.chat_client_frame, b'{"type":"pin_message","messageId":9}', "channelId", "Field required"),
    (chat_frames.chat_client_frame, b'{"type":"dance","channelId":7}', "", "does not match any of the expected tags"),
    (chat_frames.chat_client_frame, b'{"channelId":7}', "", "Unable to extract tag"),
    (chat_frames.chat_client_frame, b'{"type":"typing"', "", "Invalid JSON"),
    (
        chat_frames.chat_client_frame,
        b'{"type":"send_message","channelId":7,"content":"x","fileUrl":"file:///etc"}',
        "fileUrl",
        "pattern",
    ),
    (
        messagepal_frames.messagepal_client_frame,
        b'{"type":"fetch_history","payload":{"conversationId":"c_1_2"}}',
        "conversationId",
        "pattern",
    ),
    (
        messagepal_frames.messagepal_client_frame,
        b'{"type":"send_message","payload":{"content":"x"}}',
        "recipientId",
        "Field required",
    ),
    (messagepal_frames.messagepal_client_frame, b'{"type":"mark_read","payload":[]}', "payload", "must be an object"),
]


@pytest.mark.parametrize(("adapter", "raw", "field", "problem"), CASES)
def test_malformed_frame_is_refused_readably(adapter, raw, field, problem):
    with pytest.raises(ValidationError) as caught:
        adapter.validate_json(raw)
    text = str(caught.value)
    assert field in text
    assert problem in text
