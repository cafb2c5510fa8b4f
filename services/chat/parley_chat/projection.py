"""How each event changes the message it concerns, and how a message's reactions are
summed up: pure functions every stream adapter uses.

A message's body (content, edits, the tombstone) is folded from its post, edits and
delete. Its reactions and its pin are kept apart by every adapter, as cells keyed by
(user, emoji) or by message whose newest event wins: their events commute, so two of
them settled at once, or a late one, never undo each other."""

from collections.abc import Iterable, Mapping
from datetime import datetime

from parley_contracts.chat import (
    ChannelEvent,
    ChannelMessage,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    Reaction,
    ReactionAdded,
)

ReactionCell = tuple[int, str, int]
"""(user id, emoji, seq of the reaction_added that made it)."""

ThreadStats = tuple[int, datetime]
"""A message's thread as reads merge it in: how many replies, and when the last came."""


def message_id_of(event: ChannelEvent) -> int | None:
    """The message whose body the event changes; None for every other event."""
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


def reaction_key(user_id: int, emoji: str) -> str:
    """A reaction cell's key where a store keeps it as text (an emoji holds no `:`)."""
    return f"{user_id}:{emoji}"


def reaction_cell(key: str, seq: int) -> ReactionCell:
    user_id, emoji = key.split(":", 1)
    return int(user_id), emoji, seq


def reaction_cell_of(event: ReactionAdded) -> ReactionCell:
    return event.user_id, event.emoji, event.seq


def with_reactions(message: ChannelMessage, cells: Iterable[ReactionCell]) -> ChannelMessage:
    """The message with its reactions summed up: per emoji in the order each was first
    used, its users in the order they reacted. A deleted message shows none."""
    if message.deleted:
        return message
    by_emoji: dict[str, list[tuple[int, int]]] = {}
    for user_id, emoji, seq in sorted(cells, key=lambda cell: cell[2]):
        by_emoji.setdefault(emoji, []).append((seq, user_id))
    reactions = [
        Reaction(emoji=emoji, count=len(users), user_ids=[user_id for _, user_id in users])
        for emoji, users in by_emoji.items()
    ]
    return message.model_copy(update={"reactions": reactions}) if reactions else message


def as_seen_by(message: ChannelMessage, reader_id: int) -> ChannelMessage:
    """The message as one reader's history shows it: whether they made each reaction."""
    if not message.reactions:
        return message
    reactions = [r.model_copy(update={"reacted": reader_id in r.user_ids}) for r in message.reactions]
    return message.model_copy(update={"reactions": reactions})


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
