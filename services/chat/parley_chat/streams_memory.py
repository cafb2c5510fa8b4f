"""In-memory adapter of the stream port, for unit tests of pure logic: the in-memory
event log and the message projection in dictionaries. It passes the stream conformance
suite with the real adapters."""

from collections.abc import Hashable
from typing import TypeVar

from parley_contracts import chat
from parley_contracts.chat import ChannelEvent, ChannelMessage
from parley_storage.event_log import LoggedStore
from parley_storage.event_log_memory import MemoryEventLog
from parley_storage.paging import page

from . import projection

K = TypeVar("K", bound=Hashable)
Cell = tuple[bool, int]
"""Whether a reaction or pin is there, and the seq of the event that said so: the newer wins."""


class MemoryStreams(LoggedStore[ChannelEvent]):
    def __init__(self) -> None:
        self._log = MemoryEventLog()
        self._messages: dict[tuple[int, int], tuple[ChannelMessage, int]] = {}
        """(channel, message id) -> the message and the seq of the last event that shaped it."""
        self._reactions: dict[tuple[int, int, str], Cell] = {}
        """(message id, user, emoji) -> the cell."""
        self._pins: dict[tuple[int, int], Cell] = {}
        """(channel, message id) -> the cell; its seq is the pin's place in the list."""
        self._replies: dict[tuple[int, int], dict[int, ChannelMessage]] = {}
        """(channel, parent id) -> its replies by seq."""
        self._read_positions: dict[tuple[int, int], int] = {}

    async def settle(self, event: ChannelEvent) -> None:
        match event:
            case chat.MessageRead():
                read = self._messages.get((event.channel_id, event.message_id))
                if read is not None:
                    key = (event.channel_id, event.user_id)
                    self._read_positions[key] = max(self._read_positions.get(key, 0), read[0].seq)
                return
            case chat.ReactionAdded() | chat.ReactionRemoved():
                added = isinstance(event, chat.ReactionAdded)
                _set_newer(self._reactions, (event.message_id, event.user_id, event.emoji), (added, event.seq))
                return
            case chat.MessagePinned() | chat.MessageUnpinned():
                pinned = isinstance(event, chat.MessagePinned)
                _set_newer(self._pins, (event.channel_id, event.message_id), (pinned, event.seq))
                return
        message_id = projection.message_id_of(event)
        if message_id is None:
            return
        updated = projection.apply_newer(self._messages.get((event.channel_id, message_id)), event)
        if updated is not None:
            self._messages[event.channel_id, message_id] = (updated, event.seq)
        reply = projection.reply_of(event)
        if reply is not None and reply.reply_to is not None:
            self._replies.setdefault((reply.channel_id, reply.reply_to), {})[reply.seq] = reply

    def _shown(self, message: ChannelMessage) -> ChannelMessage:
        cells = [
            (user_id, emoji, seq)
            for (message_id, user_id, emoji), (there, seq) in self._reactions.items()
            if message_id == message.id and there
        ]
        return projection.with_reactions(message, cells)

    async def message(self, channel_id: int, message_id: int) -> ChannelMessage | None:
        row = self._messages.get((channel_id, message_id))
        return self._shown(row[0]) if row else None

    async def message_by_id(self, message_id: int) -> ChannelMessage | None:
        found = [m for (_, mid), (m, _) in self._messages.items() if mid == message_id]
        return self._shown(found[0]) if found else None

    async def history(
        self, channel_id: int, before_seq: int | None, after_seq: int | None, limit: int
    ) -> list[ChannelMessage]:
        messages = sorted((m for (channel, _), (m, _) in self._messages.items() if channel == channel_id),
                          key=lambda m: m.seq)  # fmt: skip
        shown = [self._shown(m) for m in page(messages, lambda m: m.seq, before_seq, after_seq, limit)]
        return self._with_threads(channel_id, shown)

    async def pinned(self, channel_id: int) -> list[ChannelMessage]:
        pins = sorted(
            (seq, mid) for (channel, mid), (there, seq) in self._pins.items() if channel == channel_id and there
        )
        found = [await self.message(channel_id, message_id) for _, message_id in pins]
        return [message for message in found if message is not None and not message.deleted]

    async def read_position(self, channel_id: int, user_id: int) -> int:
        return self._read_positions.get((channel_id, user_id), 0)

    async def thread(self, channel_id: int, parent_id: int, after_seq: int | None, limit: int) -> list[ChannelMessage]:
        seqs = sorted(self._replies.get((channel_id, parent_id), {}))
        found = [
            self._shown(self._messages[channel_id, self._replies[channel_id, parent_id][seq].id][0]) for seq in seqs
        ]
        return self._with_threads(channel_id, page(found, lambda m: m.seq, None, after_seq or 0, limit))

    def _with_threads(self, channel_id: int, messages: list[ChannelMessage]) -> list[ChannelMessage]:
        stats = {}
        for message in messages:
            replies = self._replies.get((channel_id, message.id))
            if replies:
                stats[message.id] = (len(replies), replies[max(replies)].created_at)
        return projection.with_threads(messages, stats)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None


def _set_newer(cells: dict[K, Cell], key: K, cell: Cell) -> None:
    if key not in cells or cells[key][1] < cell[1]:
        cells[key] = cell
