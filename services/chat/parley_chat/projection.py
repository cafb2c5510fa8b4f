"""How each event changes the message it concerns: pure functions both stream adapters use."""

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
