"""The stream port: each channel's events with gap-free `seq`, the outbox of events not
yet published, and the message projection that history reads.
Adapters: `streams_sqlite`, `streams_cassandra`.

The event log itself (seq claims, idempotency, outbox) is `parley_storage.event_log`;
a stream adapter adds the message projection, which `settle` keeps.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from parley_contracts.chat import ChannelEvent, ChannelMessage
from parley_storage.event_log import Appended

BuildEvent = Callable[[int], ChannelEvent]
"""Makes the event once its `seq` is known."""


def post_key(author_id: int, client_msg_id: str) -> str:
    """The idempotency key of a post within its channel."""
    return f"{author_id}:{client_msg_id}"


class Streams(Protocol):
    async def append(self, channel_id: int, build: BuildEvent, key: str | None = None) -> Appended[ChannelEvent]: ...

    async def settle(self, event: ChannelEvent) -> None:
        """Apply the event to the projection (idempotent, last seq wins)."""

    async def mark_published(self, channel_id: int, seq: int) -> None: ...

    async def unsettled(self, older_than: datetime, limit: int) -> list[ChannelEvent]:
        """Events appended before `older_than` whose publication is not recorded."""

    async def events(self, channel_id: int, after_seq: int, limit: int) -> list[ChannelEvent]:
        """Oldest first."""

    async def head(self, channel_id: int) -> int:
        """The last `seq` of the stream; 0 when empty."""

    async def epoch(self, channel_id: int) -> str:
        """The stream's epoch, made at its first append; "" when empty."""

    async def message(self, channel_id: int, message_id: int) -> ChannelMessage | None: ...

    async def history(
        self, channel_id: int, before_seq: int | None, after_seq: int | None, limit: int
    ) -> list[ChannelMessage]:
        """Messages oldest first: the `limit` newest before `before_seq`, or the first after `after_seq`."""

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...
