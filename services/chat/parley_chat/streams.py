"""The stream port: each channel's events with gap-free `seq`, the outbox of events not
yet published, and the message projection that history reads.
Adapters: `streams_sqlite`, `streams_cassandra`.

Writing an event is two steps. `append` claims the next `seq` atomically (and, for a
post with a `clientMsgId`, the idempotency key) and leaves an outbox mark. `settle`
then folds the event into the projection and, once published, clears the mark. A
crash between them leaves the mark, and `unsettled` hands the event back.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from parley_contracts.chat import ChannelEvent, ChannelMessage

BuildEvent = Callable[[int], ChannelEvent]
"""Makes the event once its `seq` is known."""


@dataclass(frozen=True)
class IdempotencyKey:
    channel_id: int
    author_id: int
    client_msg_id: str


@dataclass(frozen=True)
class Appended:
    event: ChannelEvent
    duplicate: bool
    """True when the idempotency key was already used: `event` is the original."""


class KeyInFlight(Exception):
    """Another request with the same idempotency key has not finished yet."""


class Streams(Protocol):
    async def append(self, channel_id: int, build: BuildEvent, key: IdempotencyKey | None = None) -> Appended: ...

    async def settle(self, event: ChannelEvent) -> None:
        """Apply the event to the projection (idempotent, last seq wins)."""

    async def mark_published(self, channel_id: int, seq: int) -> None: ...

    async def unsettled(self, older_than: datetime, limit: int) -> list[ChannelEvent]:
        """Events appended before `older_than` whose publication is not recorded."""

    async def events(self, channel_id: int, after_seq: int, limit: int) -> list[ChannelEvent]:
        """Oldest first."""

    async def head(self, channel_id: int) -> int:
        """The last `seq` of the stream; 0 when empty."""

    async def message(self, channel_id: int, message_id: int) -> ChannelMessage | None: ...

    async def history(
        self, channel_id: int, before_seq: int | None, after_seq: int | None, limit: int
    ) -> list[ChannelMessage]:
        """Messages oldest first: the `limit` newest before `before_seq`, or the first after `after_seq`."""

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...
