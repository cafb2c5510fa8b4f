"""The event log every Parley stream is written to: per-stream gap-free `seq`,
idempotency keys, and an outbox of events not yet published. Adapters:
`event_log_sqlite`, `event_log_cassandra`; services add their projections on top.

`append` claims the next `seq` atomically (and the idempotency key, if given) and
leaves an outbox mark; the service publishes and then calls `mark_published`. A crash
in between leaves the mark, and `unsettled` hands the event back.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

Event = TypeVar("Event")


def new_epoch() -> str:
    """A stream's epoch, made at its first append: which life of the stream its seqs
    belong to, so a reader can tell a stream that started again from the one it knew."""
    return secrets.token_hex(4)


@dataclass(frozen=True)
class Appended(Generic[Event]):
    event: Event
    duplicate: bool
    """True when the idempotency key was used before: `event` is the original."""


class EventLog(Protocol[Event]):
    async def append(self, stream: str, build: Callable[[int], Event], key: str | None = None) -> Appended[Event]:
        """`build` makes the event once its `seq` is known."""

    async def mark_published(self, stream: str, seq: int) -> None: ...

    async def unsettled(self, older_than: datetime, limit: int) -> list[Event]:
        """Events appended before `older_than` whose publication is not recorded."""

    async def events(self, stream: str, after_seq: int, limit: int) -> list[Event]:
        """Oldest first."""

    async def head(self, stream: str) -> int:
        """The last `seq` of the stream; 0 when empty."""

    async def epoch(self, stream: str) -> str:
        """The stream's epoch (`new_epoch`); "" when empty."""


class OnEventLog(Generic[Event]):
    """The stream methods of a store whose events live in an event log (`self._log`).
    A store's stream ids (a channel's number, a conversation's name) become strings."""

    _log: EventLog[Event]

    async def append(self, stream: object, build: Callable[[int], Event], key: str | None = None) -> Appended[Event]:
        return await self._log.append(str(stream), build, key)

    async def mark_published(self, stream: object, seq: int) -> None:
        await self._log.mark_published(str(stream), seq)

    async def unsettled(self, older_than: datetime, limit: int) -> list[Event]:
        return await self._log.unsettled(older_than, limit)

    async def events(self, stream: object, after_seq: int, limit: int) -> list[Event]:
        return await self._log.events(str(stream), after_seq, limit)

    async def head(self, stream: object) -> int:
        return await self._log.head(str(stream))

    async def epoch(self, stream: object) -> str:
        return await self._log.epoch(str(stream))
