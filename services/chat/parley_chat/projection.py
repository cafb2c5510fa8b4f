"""How each event changes the message it concerns: pure functions every stream adapter uses."""

from collections.abc import Mapping
from datetime import datetime

from parley_contracts.chat import ChannelEvent, ChannelMessage, MessageDeleted, MessageEdited, MessagePosted

ThreadStats = tuple[int, datetime]
"""A message's thread as reads merge it in: how many replies, and when the last came."""


def message_id_of(event: ChannelEvent) -> int | None:
    if isinstance(event, MessagePosted):
        return event.message.id
    if isinstance(event, MessageEdited | MessageDeleted):
        return event.message_id
    return None


def apply(message: ChannelMessage | None, event: ChannelEvent) -> ChannelMessage | None:
    """The message after `event`, or None when the event does not change a message."""
    if isinstance(event, MessagePosted):
        return message or event.message
    if message is None or message.deleted:
        return None  # nothing to change; a deleted message stays deleted
    if isinstance(event, MessageEdited):
        return message.model_copy(update={"content": event.content, "edited_at": event.edited_at})
    if isinstance(event, MessageDeleted):
        return message.model_copy(update={"content": "", "deleted": True, "mentions": [], "file_url": None})
    return None


def apply_newer(row: tuple[ChannelMessage, int] | None, event: ChannelEvent) -> ChannelMessage | None:
    """`apply` to a stored message and the seq of the last event that shaped it: None also
    when that event is this one or newer (settled again, or this one came late)."""
    if row is not None and row[1] >= event.seq:
        return None
    return apply(row[0] if row else None, event)


def reply_of(event: ChannelEvent) -> ChannelMessage | None:
    """The reply this event posts, if it posts one: its parent's thread grows by it."""
    if isinstance(event, MessagePosted) and event.message.reply_to is not None:
        return event.message
    return None


def with_threads(messages: list[ChannelMessage], stats: Mapping[int, ThreadStats]) -> list[ChannelMessage]:
    """Messages with their threads' figures (`stats` by message id) merged in. The figures
    are kept apart from the message's row, so a reply never rewrites its parent."""
    return [
        message.model_copy(update={"reply_count": stats[message.id][0], "last_reply_at": stats[message.id][1]})
        if message.id in stats
        else message
        for message in messages
    ]
