"""Frames a client of the seed (the chat of PersonalLearningPro, which Parley stays
compatible with) sends and expects validate unchanged."""

import json

import jsonschema
import pytest
from pydantic import ValidationError

from parley_contracts import chat_frames, export, messagepal_frames

CHAT_CLIENT_EXAMPLES = [
    {"type": "join_channel", "channelId": 7},
    {"type": "join_channel", "channelId": 7, "lastSeq": 41},
    {"type": "join_channel", "channelId": 7, "lastSeq": 41, "epoch": "9f3a1c2b"},
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
    {"type": "edit_message", "messageId": 99, "content": "fixed"},
    {"type": "edit_message", "messageId": 99, "content": "fixed", "channelId": 7},
    {"type": "delete_message", "messageId": 99},
    {"type": "add_reaction", "messageId": 99, "emoji": "👍"},
    {"type": "add_reaction", "messageId": 99, "emoji": "👩‍💻", "channelId": 7},
    {"type": "remove_reaction", "messageId": 99, "emoji": "🇫🇷"},
    {"type": "pin_message", "channelId": 7, "messageId": 99},
    {"type": "unpin_message", "channelId": 7, "messageId": 99},
    {"type": "mark_delivered", "channelId": 7, "messageId": 99},
]

MESSAGE = {
    "id": 99,
    "channelId": 7,
    "authorId": 3,
    "content": "hello",
    "seq": 5,
    "createdAt": "2026-11-25T10:00:00Z",
    "reactions": [{"emoji": "👍", "count": 2, "userIds": [3, 4]}],
}

CHAT_SERVER_EXAMPLES = [
    {"type": "connected", "userId": 3, "username": "ada"},
    {
        "type": "joined_channel",
        "channelId": 7,
        "online": [{"userId": 3, "username": "ada"}],
        "lastSeq": 5,
        "epoch": "9f3a1c2b",
    },
    {"type": "reload", "channelId": 7, "lastSeq": 5, "epoch": "9f3a1c2b"},
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
    {"type": "reaction_added", "channelId": 7, "messageId": 99, "userId": 4, "emoji": "👍", "seq": 9},
    {"type": "reaction_removed", "channelId": 7, "messageId": 99, "userId": 4, "emoji": "👍", "seq": 10},
    {
        "type": "message_pinned",
        "channelId": 7,
        "messageId": 99,
        "pinnedBy": {"userId": 3},
        "pinnedAt": "2026-11-25T10:03:00Z",
        "seq": 11,
    },
    {"type": "message_unpinned", "channelId": 7, "messageId": 99, "userId": 3, "seq": 12},
    {
        "type": "message_delivered",
        "channelId": 7,
        "messageId": 99,
        "userId": 4,
        "deliveredAt": "2026-11-25T10:04:00Z",
        "seq": 13,
    },
    {"type": "unread_updated", "channelId": 7, "delta": 1},
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
    {"type": "edit_message", "payload": {"messageId": 501, "content": "hey, edited"}},
    {"type": "delete_message", "payload": {"messageId": 501}},
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
    {"type": "subscribed", "payload": {"conversationId": "conv_3_4", "lastSeq": 2, "epoch": "0c4e7d19"}},
    {"type": "reload", "payload": {"conversationId": "conv_3_4", "lastSeq": 2, "epoch": "0c4e7d19"}},
    {"type": "unsubscribed", "payload": {"conversationId": "conv_3_4"}},
    {
        "type": "message_edited",
        "payload": {
            "messageId": 501,
            "conversationId": "conv_3_4",
            "content": "hey, edited",
            "editedAt": "2026-11-25T10:03:00Z",
            "seq": 3,
        },
    },
    {"type": "message_deleted", "payload": {"messageId": 501, "conversationId": "conv_3_4", "seq": 4}},
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


# Both forms of every client frame ---------------------------------------------
# The seed's clients disagree on where a client frame's fields go: use-chat-ws.ts and
# use-messagepal-ws.ts put them at the top level, Parley's `/messagepal` contract put
# them under `payload`. Every client frame on either socket accepts both.

ENVELOPE_KEYS = ("type", "timestamp")


def flat(example: dict) -> dict:
    if "payload" not in example:
        return example
    return {**{k: v for k, v in example.items() if k != "payload"}, **example["payload"]}


def enveloped(example: dict) -> dict:
    if "payload" in example:
        return example
    return {
        **{k: v for k, v in example.items() if k in ENVELOPE_KEYS},
        "payload": {k: v for k, v in example.items() if k not in ENVELOPE_KEYS},
    }


CLIENT_CASES = [
    *[(chat_frames.chat_client_frame, e) for e in CHAT_CLIENT_EXAMPLES],
    *[(messagepal_frames.messagepal_client_frame, e) for e in MESSAGEPAL_CLIENT_EXAMPLES],
]
CLIENT_SCHEMAS = {
    chat_frames.chat_client_frame: "ChatClientFrame",
    messagepal_frames.messagepal_client_frame: "MessagePalClientFrame",
}


def case_id(value) -> str:
    return json.dumps(value, separators=(",", ":")) if isinstance(value, dict) else ""


@pytest.mark.parametrize(("adapter", "example"), CLIENT_CASES, ids=case_id)
def test_every_client_frame_reads_the_same_flat_and_enveloped(adapter, example):
    from_flat = adapter.validate_json(json.dumps(flat(example)))
    from_envelope = adapter.validate_json(json.dumps(enveloped(example)))
    assert from_flat == from_envelope
    assert from_flat == adapter.validate_json(json.dumps(example))


def test_both_forms_are_tried_for_every_client_frame_type():
    for adapter, examples in [
        (chat_frames.chat_client_frame, CHAT_CLIENT_EXAMPLES),
        (messagepal_frames.messagepal_client_frame, MESSAGEPAL_CLIENT_EXAMPLES),
    ]:
        declared = set(adapter.json_schema()["discriminator"]["mapping"])
        assert {flat(e)["type"] for e in examples} == {enveloped(e)["type"] for e in examples} == declared


USE_MESSAGEPAL_WS = [
    {"type": "send_message", "recipientId": 14, "content": "hi"},
    {"type": "typing", "recipientId": 14},
    {"type": "mark_read", "messageId": 501},
    {"type": "fetch_history", "conversationId": "conv_13_14"},
    {"type": "subscribe", "conversationId": "conv_13_14"},
    {"type": "unsubscribe", "conversationId": "conv_13_14"},
]


@pytest.mark.parametrize("raw", USE_MESSAGEPAL_WS, ids=case_id)
def test_the_seed_dm_hooks_flat_frames_are_read_into_the_payload(raw):
    frame = messagepal_frames.messagepal_client_frame.validate_json(json.dumps(raw))
    fields = {k: v for k, v in raw.items() if k != "type"}
    assert frame.payload.model_dump(by_alias=True, exclude_unset=True) == fields


def test_a_flat_dm_frame_keeps_its_timestamp_beside_the_payload():
    raw = {"type": "typing", "recipientId": 14, "timestamp": 1764064800000}
    frame = messagepal_frames.messagepal_client_frame.validate_json(json.dumps(raw))
    assert (frame.timestamp, frame.payload.recipient_id) == (1764064800000, 14)


def test_an_enveloped_frame_reads_only_its_payload():
    raw = {"type": "typing", "channelId": 1, "payload": {"channelId": 7}}
    assert chat_frames.chat_client_frame.validate_json(json.dumps(raw)).channel_id == 7


NEITHER = [
    (chat_frames.chat_client_frame, {"type": "typing", "payload": 7}),
    (chat_frames.chat_client_frame, {"type": "join_channel", "channelId": 7, "payload": [7]}),
    (messagepal_frames.messagepal_client_frame, {"type": "typing", "payload": "14"}),
    (messagepal_frames.messagepal_client_frame, {"type": "mark_read", "messageId": 5, "payload": None}),
]


@pytest.mark.parametrize(("adapter", "raw"), NEITHER, ids=case_id)
def test_a_frame_neither_flat_nor_enveloped_is_refused_readably(adapter, raw):
    with pytest.raises(ValidationError) as caught:
        adapter.validate_json(json.dumps(raw))
    [error] = caught.value.errors()
    assert error["type"] == "value_error"
    assert "payload must be an object holding the frame's fields" in error["msg"]


@pytest.mark.parametrize(("adapter", "example"), CLIENT_CASES, ids=case_id)
def test_the_exported_schema_accepts_both_forms(adapter, example):
    schema = json.loads((export.DEFAULT_DIR / f"{CLIENT_SCHEMAS[adapter]}.schema.json").read_text())
    jsonschema.validate(flat(example), schema)
    jsonschema.validate(enveloped(example), schema)


@pytest.mark.parametrize(("adapter", "raw"), NEITHER, ids=case_id)
def test_the_exported_schema_refuses_a_frame_that_is_neither(adapter, raw):
    schema = json.loads((export.DEFAULT_DIR / f"{CLIENT_SCHEMAS[adapter]}.schema.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(raw, schema)


# Mentions by username (use-chat-ws.ts) ------------------------------------------


def test_chat_mentions_may_be_usernames_ids_or_both():
    raw = {"type": "send_message", "channelId": 130, "content": "hi @bob", "mentions": ["bob", 3, "nobody"]}
    assert chat_frames.chat_client_frame.validate_json(json.dumps(raw)).mentions == ["bob", 3, "nobody"]


@pytest.mark.parametrize("mention", [0, "", "x" * 65, 1.5, None])
def test_a_mention_that_is_no_id_and_no_username_is_refused(mention):
    raw = {"type": "send_message", "channelId": 130, "content": "hi", "mentions": [mention]}
    with pytest.raises(ValidationError) as caught:
        chat_frames.chat_client_frame.validate_json(json.dumps(raw))
    assert all(e["loc"][:3] == ("send_message", "mentions", 0) for e in caught.value.errors())
