"""How each event changes the message it concerns: pure functions every stream adapter uses."""

from parley_contracts.chat import ChannelEvent, ChannelMessage, MessageDeleted, MessageEdited, MessagePosted


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
