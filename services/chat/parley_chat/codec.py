"""Stored form of events and messages: their contract JSON."""

from pydantic import TypeAdapter

from parley_contracts.chat import ChannelEvent, ChannelMessage

_event = TypeAdapter(ChannelEvent)


def dump_event(event: ChannelEvent) -> str:
    return event.model_dump_json(exclude_none=True)


def load_event(text: str) -> ChannelEvent:
    return _event.validate_json(text)


def dump_message(message: ChannelMessage) -> str:
    return message.model_dump_json(exclude_none=True)


def load_message(text: str) -> ChannelMessage:
    return ChannelMessage.model_validate_json(text)
