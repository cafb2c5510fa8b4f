"""The DM store port: conversation streams (on `parley_storage`'s event log), the
message projection, inboxes and blocks. Adapters: `store_sqlite`, `store_cassandra`.

`settle` folds an event into the projection and inboxes; it is idempotent and a late,
older event never undoes a newer one, so the republisher may run it again.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from parley_contracts.dm import ConversationEvent, DirectMessage, InboxEntry
from parley_storage.event_log import Appended

UNREAD_CAP = 1000
"""Unread counts stop here: a client shows "999+" long before."""


class DmStore(Protocol):
    async def append(
        self, conversation_id: str, build: Callable[[int], ConversationEvent], key: str | None = None
    ) -> Appended[ConversationEvent]: ...

    async def settle(self, event: ConversationEvent) -> None: ...

    async def mark_published(self, conversation_id: str, seq: int) -> None: ...

    async def unsettled(self, older_than: datetime, limit: int) -> list[ConversationEvent]: ...

    async def events(self, conversation_id: str, after_seq: int, limit: int) -> list[ConversationEvent]: ...

    async def head(self, conversation_id: str) -> int: ...

    async def epoch(self, conversation_id: str) -> str:
        """The stream's epoch, made at its first append; "" when empty."""

    async def message(self, message_id: int) -> DirectMessage | None: ...

    async def history(
        self, conversation_id: str, before_seq: int | None, after_seq: int | None, limit: int
    ) -> list[DirectMessage]:
        """Oldest first: the `limit` newest before `before_seq`, or the first after `after_seq`."""

    async def inbox(self, user_id: int) -> list[InboxEntry]:
        """The user's conversations, the most recently active first."""

    async def set_blocked(self, blocker_id: int, blocked_id: int, blocked: bool) -> None: ...

    async def is_blocked(self, blocker_id: int, blocked_id: int) -> bool: ...

    async def reserve_ids(self, count: int) -> int:
        """Reserves `count` unique message ids; returns the last one of the block."""

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...
