"""In-memory adapter of the stream port, for unit tests of pure logic: the in-memory
event log and the message projection in dictionaries. It passes the stream conformance
suite with the real adapters."""

from parley_contracts.chat import ChannelEvent, ChannelMessage
from parley_storage.event_log import LoggedStore
from parley_storage.event_log_memory import MemoryEventLog
from parley_storage.paging import page

from . import projection


class MemoryStreams(LoggedStore[ChannelEvent]):
    def __init__(self) -> None:
        self._log = MemoryEventLog()
        self._messages: dict[tuple[int, int], tuple[ChannelMessage, int]] = {}
        """(channel, message id) -> the message and the seq of the last event that shaped it."""

    async def settle(self, event: ChannelEvent) -> None:
        message_id = projection.message_id_of(event)
        if message_id is None:
            return
        updated = projection.apply_newer(self._messages.get((event.channel_id, message_id)), event)
        if updated is not None:
            self._messages[event.channel_id, message_id] = (updated, event.seq)

    async def message(self, channel_id: int, message_id: int) -> ChannelMessage | None:
        row = self._messages.get((channel_id, message_id))
        return row[0] if row else None

    async def history(
        self, channel_id: int, before_seq: int | None, after_seq: int | None, limit: int
    ) -> list[ChannelMessage]:
        messages = sorted((m for (channel, _), (m, _) in self._messages.items() if channel == channel_id),
                          key=lambda m: m.seq)  # fmt: skip
        return page(messages, lambda m: m.seq, before_seq, after_seq, limit)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None
