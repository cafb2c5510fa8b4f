"""The DM store port: conversation streams on the event-sourced store port
(`parley_storage.event_log`), the message projection, inboxes and blocks.
Adapters: `store_sqlite`, `store_cassandra`, `store_memory` (unit tests).

`settle` folds an event into the projection and inboxes; it is idempotent and a late,
older event never undoes a newer one, so the republisher may run it again.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

from parley_contracts.dm import (
    ConversationEvent,
    DirectMessage,
    DirectMessageDeleted,
    DirectMessageEdited,
    DirectMessageRead,
    InboxEntry,
)
from parley_contracts.unread import UNREAD_CAP
from parley_storage.event_log import EventStore


def unread(messages: Iterable[DirectMessage], user_id: int) -> int:
    """How many of the messages after a user's read position were sent to them and are
    not deleted, capped."""
    return min(UNREAD_CAP, sum(1 for m in messages if m.recipient_id == user_id and not m.deleted))


Change = DirectMessageRead | DirectMessageEdited | DirectMessageDeleted
"""An event that changes a message already sent."""


def changed(message: DirectMessage, event: Change) -> DirectMessage | None:
    """The message after `event`; None when it changes nothing (a deleted message stays so)."""
    if message.deleted:
        return None
    if isinstance(event, DirectMessageRead):
        return message.model_copy(update={"read_at": event.read_at})
    if isinstance(event, DirectMessageEdited):
        return message.model_copy(update={"content": event.content, "edited_at": event.edited_at})
    return message.model_copy(update={"content": "", "deleted": True})


def newest_first(entries: list[InboxEntry]) -> list[InboxEntry]:
    """The inbox's order: most recent first; within one millisecond, the later message id."""

    def recency(entry: InboxEntry) -> tuple[datetime, int]:
        last = entry.last_message
        return (last.created_at, last.id) if last is not None else (datetime.min.replace(tzinfo=UTC), 0)

    return sorted(entries, key=recency, reverse=True)


class DmStore(EventStore[ConversationEvent], Protocol):
    """A conversation's id (`conv_<low>_<high>`) is its stream's id."""

    async def message(self, message_id: int) -> DirectMessage | None: ...

    async def history(
        self, conversation_id: str, before_seq: int | None, after_seq: int | None, limit: int
    ) -> list[DirectMessage]:
        """A page of messages by their `seq` (`parley_storage.paging`)."""

    async def inbox(self, user_id: int) -> list[InboxEntry]:
        """The user's conversations, the most recently active first."""

    async def set_blocked(self, blocker_id: int, blocked_id: int, blocked: bool) -> None: ...

    async def is_blocked(self, blocker_id: int, blocked_id: int) -> bool: ...

    async def reserve_ids(self, count: int) -> int:
        """Reserves `count` unique message ids; returns the last one of the block."""

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...
