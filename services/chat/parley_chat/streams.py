"""The stream port: each channel's events on the event-sourced store port
(`parley_storage.event_log`: gap-free `seq`, idempotency, the outbox), and the message
projection that `settle` keeps and history reads: each message's body, reactions
(`projection`) and pin.
Adapters: `streams_sqlite`, `streams_cassandra`, `streams_memory` (unit tests).
"""

from collections.abc import Callable
from typing import Protocol

from parley_contracts.chat import ChannelEvent, ChannelMessage
from parley_storage.event_log import EventStore

BuildEvent = Callable[[int], ChannelEvent]
"""Makes the event once its `seq` is known."""


def post_key(author_id: int, client_msg_id: str) -> str:
    """The idempotency key of a post within its channel."""
    return f"{author_id}:{client_msg_id}"


def delivery_key(user_id: int, message_id: int) -> str:
    """The idempotency key of a delivery receipt: one per member and message."""
    return f"delivered:{user_id}:{message_id}"


class Streams(EventStore[ChannelEvent], Protocol):
    """A channel's number is its stream's id. Messages come with their reactions."""

    async def message(self, channel_id: int, message_id: int) -> ChannelMessage | None: ...

    async def message_by_id(self, message_id: int) -> ChannelMessage | None:
        """A message wherever it is: message ids are unique across channels."""

    async def history(
        self, channel_id: int, before_seq: int | None, after_seq: int | None, limit: int
    ) -> list[ChannelMessage]:
        """A page of messages by their `seq` (`parley_storage.paging`), threads' figures merged in."""

    async def read_position(self, channel_id: int, user_id: int) -> int:
        """The `seq` of the furthest message the user marked read (`MessageRead`); 0 for none.
        Only ever moves forward."""

    async def thread(self, channel_id: int, parent_id: int, after_seq: int | None, limit: int) -> list[ChannelMessage]:
        """The replies to a message, oldest first: the first `limit` after `after_seq`."""

    async def pinned(self, channel_id: int) -> list[ChannelMessage]:
        """The channel's pinned messages that are not deleted, oldest pin first."""

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...
