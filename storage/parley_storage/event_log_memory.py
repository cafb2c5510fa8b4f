"""In-memory adapter of the event log, for unit tests of pure logic: the same contract
as the real adapters (the conformance suite runs on it too), none of their durability.
One process's memory is one writer, so an append is atomic by not awaiting anything.
"""

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Generic

from .event_log import Appended, Event, Stream, new_epoch
from .paging import page


class MemoryEventLog(Generic[Event]):
    def __init__(self) -> None:
        self._events: defaultdict[str, list[Event]] = defaultdict(list)
        """Each stream's events; the one at index i has seq i + 1."""
        self._keys: dict[tuple[str, str], int] = {}
        self._outbox: dict[tuple[str, int], datetime] = {}
        self._epochs: dict[str, str] = {}

    async def append(self, stream: Stream, build: Callable[[int], Event], key: str | None = None) -> Appended[Event]:
        stream = str(stream)
        events = self._events[stream]
        if key is not None and (stream, key) in self._keys:
            return Appended(events[self._keys[stream, key] - 1], duplicate=True)
        seq = len(events) + 1
        if seq == 1:  # the stream starts (again): a new epoch
            self._epochs[stream] = new_epoch()
        events.append(build(seq))
        self._outbox[stream, seq] = datetime.now(UTC)
        if key is not None:
            self._keys[stream, key] = seq
        return Appended(events[-1], duplicate=False)

    async def mark_published(self, stream: Stream, seq: int) -> None:
        self._outbox.pop((str(stream), seq), None)

    async def unsettled(self, older_than: datetime, limit: int) -> list[Event]:
        owed = sorted(mark for mark, marked_at in self._outbox.items() if marked_at < older_than)
        return [self._events[stream][seq - 1] for stream, seq in owed[:limit]]

    async def events(self, stream: Stream, after_seq: int, limit: int) -> list[Event]:
        events = self._events.get(str(stream), [])
        return [events[seq - 1] for seq in page(range(1, len(events) + 1), int, None, after_seq, limit)]

    async def head(self, stream: Stream) -> int:
        return len(self._events.get(str(stream), []))

    async def epoch(self, stream: Stream) -> str:
        return self._epochs.get(str(stream), "")

    def stored_json(self, event: Event) -> bytes | None:
        return None  # nothing is serialised to be kept
