"""The event-sourced store port, declared once for every Parley stream: per-stream
gap-free `seq`, idempotency keys, and an outbox of events not yet published.
Adapters: `event_log_sqlite`, `event_log_cassandra`, `event_log_memory` (unit tests).

`append` claims the next `seq` atomically (and the idempotency key, if given) and
leaves an outbox mark; the service publishes and then calls `mark_published`. A crash
in between leaves the mark, and `unsettled` hands the event back.

A service's store (chat's `Streams`, dm's `DmStore`) is an `EventStore`: the log and
the projection its events are folded into by `settle`, which is what the outbox relay
(`parley_runtime.outbox_relay`) drives. `LoggedStore` gives such a store the log's
methods. History reads page through `paging` (and `buckets` on Cassandra).

Where a stream stands (`position`: head and epoch) and a read after a seq together with
it (`read_since`: what a client resuming, or the edge filling a gap, is answered) are
said here once, for chat's channels and dm's conversations alike.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar, cast

from pydantic import BaseModel

Event = TypeVar("Event")

Stream = str | int
"""A stream's id: a channel's number, a conversation's name. Logs keep it as text."""


def new_epoch() -> str:
    """A stream's epoch, made at its first append: which life of the stream its seqs
    belong to, so a reader can tell a stream that started again from the one it knew."""
    return secrets.token_hex(4)


def stored_form(event: Event) -> str:
    """The event's contract JSON, as every log stores it: from the event's own serializer
    (a union's would first find which member the event is, at twice the cost)."""
    model = cast(BaseModel, event)
    return model.__pydantic_serializer__.to_json(model, exclude_none=True, by_alias=True).decode()


@dataclass(frozen=True)
class Appended(Generic[Event]):
    event: Event
    duplicate: bool
    """True when the idempotency key was used before: `event` is the original."""


class EventLog(Protocol[Event]):
    async def append(self, stream: Stream, build: Callable[[int], Event], key: str | None = None) -> Appended[Event]:
        """`build` makes the event once its `seq` is known."""

    async def mark_published(self, stream: Stream, seq: int) -> None: ...

    async def unsettled(self, older_than: datetime, limit: int) -> list[Event]:
        """Events appended before `older_than` whose publication is not recorded."""

    async def events(self, stream: Stream, after_seq: int, limit: int) -> list[Event]:
        """Oldest first."""

    async def head(self, stream: Stream) -> int:
        """The last `seq` of the stream; 0 when empty."""

    async def epoch(self, stream: Stream) -> str:
        """The stream's epoch (`new_epoch`); "" when empty."""

    def stored_json(self, event: Event) -> bytes | None:
        """The JSON this log stored `event` as, handed out once for its publish if the log
        kept it (`stored_json.StoredJson`); None: encode it."""


@dataclass(frozen=True)
class Since(Generic[Event]):
    """A stream's events after a seq, oldest first, and where the stream stands."""

    events: list[Event]
    last_seq: int
    """The stream's head, which may be past the last of `events` (a page is not the rest)."""
    epoch: str


async def position(log: EventLog[Event], stream: Stream) -> tuple[int, str]:
    """The stream's head and epoch: a reader's position (epoch, seq) is checked against them."""
    return await log.head(stream), await log.epoch(stream)


async def read_since(log: EventLog[Event], stream: Stream, after_seq: int, limit: int) -> Since[Event]:
    """At most `limit` events after `after_seq`, with the head and epoch read after them
    (so the head is never below the last event returned)."""
    events = await log.events(stream, after_seq, limit)
    head, epoch = await position(log, stream)
    return Since(events, head, epoch)


class EventStore(EventLog[Event], Protocol):
    """A service's store: its event log and the projection the events are folded into."""

    async def settle(self, event: Event) -> None:
        """Applies the event to the projection: idempotent, and a late, older event never
        undoes a newer one, so the republisher may run it again."""

    def follow_owners(self, mine: Callable[[Stream], bool]) -> None:
        """Tells the store which streams this copy of the service owns among the copies
        alive (`parley_runtime.owners`), as that changes: a store that holds a stream for
        one writer at a time (Cassandra's leases) gives up what another copy owns."""


class LoggedStore(Generic[Event]):
    """Base of a service store whose events live in an event log (`self._log`): the
    log's methods of the port, handed to it."""

    _log: EventLog[Event]

    async def append(self, stream: Stream, build: Callable[[int], Event], key: str | None = None) -> Appended[Event]:
        return await self._log.append(stream, build, key)

    async def mark_published(self, stream: Stream, seq: int) -> None:
        await self._log.mark_published(stream, seq)

    async def unsettled(self, older_than: datetime, limit: int) -> list[Event]:
        return await self._log.unsettled(older_than, limit)

    async def events(self, stream: Stream, after_seq: int, limit: int) -> list[Event]:
        return await self._log.events(stream, after_seq, limit)

    async def head(self, stream: Stream) -> int:
        return await self._log.head(stream)

    async def epoch(self, stream: Stream) -> str:
        return await self._log.epoch(stream)

    def stored_json(self, event: Event) -> bytes | None:
        return self._log.stored_json(event)

    def follow_owners(self, mine: Callable[[Stream], bool]) -> None:
        """Nothing to do for a log that any copy may write at any time."""
