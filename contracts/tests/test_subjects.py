"""Subjects: every one maps to one model, and the naming rules of docs/architecture.md hold."""

import pytest

from parley_contracts import chat, dm, signals, subjects


def test_command_subjects_are_unique_and_named_for_their_service():
    names = [c.subject for c in subjects.COMMANDS]
    assert len(names) == len(set(names))
    for command in subjects.COMMANDS:
        assert command.subject.startswith(("auth.", "chat.cmd.", "dm.cmd.", "chat.feed.", "dm.feed."))
        assert command.service in {"auth", "chat", "dm"}


def test_durable_topics_are_exactly_those_the_events_stream_captures():
    for topic in subjects.TOPICS:
        captured = topic.template.startswith(tuple(s.rstrip(">") for s in subjects.EVENTS_STREAM_SUBJECTS))
        assert topic.durable == captured, topic.template


@pytest.mark.parametrize(
    "event",
    [
        chat.MessagePosted, chat.MessageEdited, chat.MessageDeleted, chat.MessageRead, chat.MemberRemoved,
        chat.ReactionAdded, chat.ReactionRemoved, chat.MessagePinned, chat.MessageUnpinned, chat.MessageDelivered,
    ],
)  # fmt: skip
def test_every_channel_event_type_has_its_subject(event):
    type_name = event.model_fields["type"].default
    topic = subjects.CHANNEL_EVENT_TOPICS[type_name]
    assert topic.model is event
    assert topic.subject(channel_id=42) == f"chat.evt.42.{type_name}"


@pytest.mark.parametrize("event", [dm.DirectMessageSent, dm.DirectMessageRead])
def test_every_conversation_event_type_has_its_subject(event):
    type_name = event.model_fields["type"].default
    [topic] = [t for t in subjects.TOPICS if t.model is event]
    assert topic.subject(user_id=3) == f"dm.evt.user.3.{type_name}"


def test_a_value_cannot_break_out_of_its_subject_token():
    with pytest.raises(ValueError):
        subjects.CHAT_MESSAGE_POSTED.subject(channel_id="1.>")
    with pytest.raises(ValueError):
        subjects.CHAT_TYPING.subject(channel_id="")


def test_wildcard_fills_what_is_given():
    assert subjects.CHAT_MESSAGE_POSTED.wildcard() == "chat.evt.*.message_posted"
    assert subjects.DM_TYPING.wildcard(user_id=9) == "dm.typing.user.9"


def test_conversation_ids_are_ordered_pairs():
    assert dm.conversation_id(9, 3) == dm.conversation_id(3, 9) == "conv_3_9"
    assert dm.participants("conv_3_9") == (3, 9)


def test_a_send_may_be_repeated_only_under_its_client_msg_id():
    for command in subjects.COMMANDS:
        if command.idempotency_key is not None:
            assert command.idempotency_key in command.request.model_fields, command.subject
    keyed = chat.PostMessage(actor_id=1, channel_id=2, content="hi", client_msg_id="k-1")
    assert subjects.CHAT_POST_MESSAGE.repeatable(keyed)
    assert not subjects.CHAT_POST_MESSAGE.repeatable(keyed.model_copy(update={"client_msg_id": None}))
    assert subjects.CHAT_HISTORY.repeatable(chat.GetHistory(actor_id=1, channel_id=2))
    assert not subjects.CHAT_MARK_READ.repeatable(chat.MarkRead(actor_id=1, channel_id=2, message_id=3))


def test_a_presence_key_reads_back_as_it_was_built():
    key = signals.PresenceKey(7, 42, "edge-1a2b")
    assert str(key) == "7.42.edge-1a2b"
    assert signals.PresenceKey.parse(str(key)) == key
    assert str(key).startswith(signals.PresenceKey.prefix(7, 42))
    assert not str(key).startswith(signals.PresenceKey.prefix(7, 4))
    assert signals.PresenceKey.pattern(7) == "7.*.*"
