"""Stored form of messages in the projection: their contract JSON."""

from parley_contracts.chat import ChannelMessage
from parley_runtime.bus import encode


def dump_message(message: ChannelMessage) -> str:
    return encode(message).decode()


def load_message(text: str) -> ChannelMessage:
    return ChannelMessage.model_validate_json(text)
