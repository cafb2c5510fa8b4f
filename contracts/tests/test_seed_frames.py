"""Frames a client of the seed (PersonalLearningPro's chat protocol, which Parley stays
compatible with) sends and expects validate unchanged."""

import json

import pytest

from parley_contracts import chat_frames, messagepal_frames

CHAT_CLIENT_EXAMPLES = [
    {"type": "join_channel", "channelId": 7},
    {"type": "join_channel", "channelId": 7, "lastSeq": 41},
    {"type": "leave_channel", "channelId": 7},
    {"type": "send_message", "channelId": 7, "content": "hello"},
    {
        "type": "send_message",
        "channelId": 7,
        "content": "hi @AI",
        "clientMsgId": "c-1",
        "mentions": [3],
        "replyTo": 12,
        "messageType": "text",
    },
    {
        "type": "send_message",
        "channelId": 7,
        "content": "see file",
        "messageType": "file",
        "fileUrl": "https://files.example/x.pdf",
    },
    {"type": "typing", "channelId": 7},
    {"type": "stop_typing", "channelId": 7},
    {"type": "mark_read", "channelId": 7, "messageId": 99},
]

MESSAGE = {"id": 99, "channelId": 7, "authorId": 3, "content": "hello", "seq": 5, "createdAt": "2026-11-25T10:00:00Z"}

CHAT_SERVER_EXAMPLES = [
    {"type": "connected", "userId": 3, "username": "ada"},
    {"type": "joined_channel", "channelId": 7, "online": [{"userId": 3, "username": "ada"}], "lastSeq": 5},
    {"type": "left_channel", "channelId": 7},
    {"type": "user_presence", "channelId": 7, "userId": 3, "username": "ada", "status": "online"},
    {"type": "new_message", "channelId": 7, "message": MESSAGE, "seq": 5},
    {
        "type": "message_edited",
        "channelId": 7,
        "messageId": 99,
        "content": "x",
        "editedAt": "2026-11-25T10:01:00Z",
        "seq": 6,
    },
    {"type": "message_deleted", "channelId": 7, "messageId": 99, "seq": 7},
    {"type": "user_typing", "channelId": 7, "userId": 3, "username": "ada"},
    {"type": "user_stop_typing", "channelId": 7, "userId": 3, "username": "ada"},
    {"type": "message_read", "channelId": 7, "messageId": 99, "userId": 4, "readAt": "2026-11-25T10:02:00Z", "seq": 8},
    {"type": "error", "code": "rate_limited", "message": "slow down", "clientMsgId": "c-1", "retryAfterMs": 800},
]

DM = {
    "id": 501,
    "conversationId": "conv_3_4",
    "senderId": 3,
    "recipientId": 4,
    "content": "hey",
    "seq": 1,
    "createdAt": "2026-11-25T10:00:00Z",
}

MESSAGEPAL_CLIENT_EXAMPLES = [
    {"type": "send_message", "payload": {"recipientId": 4, "content": "hey"}, "timestamp": 1764064800000},
    {"type": "send_message", "payload": {"recipientId": 4, "content": "hey", "clientMsgId": "m-1"}},
    {"type": "typing", "payload": {"recipientId": 4}},
    {"type": "mark_read", "payload": {"messageId": 501}},
    {"type": "fetch_history", "payload": {"conversationId": "conv_3_4"}},
    {"type": "fetch_history", "payload": {"conversationId": "conv_3_4", "before": 20, "limit": 30}},
    {"type": "subscribe", "payload": {"conversationId": "conv_3_4"}},
    {"type": "subscribe", "payload": {"conversationId": "conv_3_4", "lastSeq": 12}},
    {"type": "unsubscribe", "payload": {"conversationId": "conv_3_4"}},
]

MESSAGEPAL_SERVER_EXAMPLES = [
    {
        "type": "connected",
        "payload": {"userId": 3, "username": "ada", "role": "student", "serverTime": 1764064800000},
        "timestamp": 1764064800000,
    },
    {"type": "message_received", "payload": DM, "timestamp": 1764064800000},
    {"type": "user_typing", "payload": {"userId": 3, "username": "ada", "recipientId": 4}},
    {
        "type": "message_read",
        "payload": {
            "messageId": 501,
            "conversationId": "conv_3_4",
            "readBy": 4,
            "readAt": "2026-11-25T10:02:00Z",
            "seq": 2,
        },
    },
    {"type": "history_response", "payload": {"conversationId": "conv_3_4", "messages": [DM]}},
    {"type": "subscribed", "payload": {"conversationId": "conv_3_4", "lastSeq": 2}},
    {"type": "unsubscribed", "payload": {"conversationId": "conv_3_4"}},
    {"type": "error", "payload": {"code": "forbidden", "message": "not your conversation"}},
]

CASES = [
    *[(chat_frames.chat_client_frame, e) for e in CHAT_CLIENT_EXAMPLES],
    *[(chat_frames.chat_server_frame, e) for e in CHAT_SERVER_EXAMPLES],
    *[(messagepal_frames.messagepal_client_frame, e) for e in MESSAGEPAL_CLIENT_EXAMPLES],
    *[(messagepal_frames.messagepal_server_frame, e) for e in MESSAGEPAL_SERVER_EXAMPLES],
]


@pytest.mark.parametrize(("adapter", "example"), CASES, ids=lambda v: v.get("type") if isinstance(v, dict) else "")
def test_seed_frame_validates_and_keeps_its_wire_names(adapter, example):
    frame = adapter.validate_json(json.dumps(example))
    assert frame.type == example["type"]
    dumped = json.loads(frame.to_json())
    for key, value in example.items():
        if key not in ("payload", "message"):
            assert dumped[key] == value, key


def test_every_frame_type_has_a_seed_example():
    """Zulip's rule: a new frame type cannot arrive without an example here."""
    for adapter, examples in [
        (chat_frames.chat_client_frame, CHAT_CLIENT_EXAMPLES),
        (chat_frames.chat_server_frame, CHAT_SERVER_EXAMPLES),
        (messagepal_frames.messagepal_client_frame, MESSAGEPAL_CLIENT_EXAMPLES),
        (messagepal_frames.messagepal_server_frame, MESSAGEPAL_SERVER_EXAMPLES),
    ]:
        declared = set(adapter.json_schema()["discriminator"]["mapping"])
        assert declared == {e["type"] for e in examples}
