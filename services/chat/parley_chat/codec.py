"""Stored form of messages in the projection: their contract JSON."""

from parley_contracts.chat import ChannelMessage


def dump_message(message: ChannelMessage) -> str:
    return message.model_dump_json(exclude_none=True)


def load_message(text: str) -> ChannelMessage:
    return ChannelMessage.model_validate_json(text)
