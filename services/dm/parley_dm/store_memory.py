"""In-memory adapter of the DM store, for unit tests of pure logic: the in-memory event
log, and messages, inboxes and blocks in dictionaries. It passes the DM store
conformance suite with the real adapters."""

from dataclasses import dataclass

from parley_contracts.dm import ConversationEvent, DirectMessage, DirectMessageRead, DirectMessageSent, InboxEntry
from parley_storage.event_log import LoggedStore
from parley_storage.event_log_memory import MemoryEventLog
from parley_storage.paging import page

from .store import changed, newest_first, unread


@dataclass
class _Inbox:
    other_user_id: int
    last: DirectMessage
    read_upto: int = 0


class MemoryDmStore(LoggedStore[ConversationEvent]):
    def __init__(self) -> None:
        self._log = MemoryEventLog()
        self._messages: dict[int, tuple[DirectMessage, int]] = {}
        """Message id -> the message and the seq of the last event that shaped it."""
        self._inboxes: dict[tuple[int, str], _Inbox] = {}
        self._blocks: set[tuple[int, int]] = set()
        self._last_id = 0

    async def settle(self, event: ConversationEvent) -> None:
        if isinstance(event, DirectMessageSent):
            message = event.message
            self._messages.setdefault(message.id, (message, event.seq))
            for user_id, other_id in ((message.sender_id, message.recipient_id),
                                      (message.recipient_id, message.sender_id)):  # fmt: skip
                entry = self._inboxes.setdefault((user_id, message.conversation_id), _Inbox(other_id, message))
                if message.seq > entry.last.seq:
                    entry.last = message
        elif event.message_id in self._messages:
            message, last_seq = self._messages[event.message_id]
            updated = changed(message, event) if last_seq < event.seq else None
            if updated is not None:
                self._messages[message.id] = (updated, event.seq)
                for (_, conversation_id), entry in self._inboxes.items():
                    if conversation_id == message.conversation_id and entry.last.id == message.id:
                        entry.last = updated
            reader = (
                self._inboxes.get((event.read_by, event.conversation_id))
                if isinstance(event, DirectMessageRead)
                else None
            )
            if reader is not None:
                reader.read_upto = max(reader.read_upto, message.seq)

    async def message(self, message_id: int) -> DirectMessage | None:
        row = self._messages.get(message_id)
        return row[0] if row else None

    def _conversation(self, conversation_id: str) -> list[DirectMessage]:
        found = (message for message, _ in self._messages.values() if message.conversation_id == conversation_id)
        return sorted(found, key=lambda m: m.seq)

    async def history(
        self, conversation_id: str, before_seq: int | None, after_seq: int | None, limit: int
    ) -> list[DirectMessage]:
        return page(self._conversation(conversation_id), lambda m: m.seq, before_seq, after_seq, limit)

    async def inbox(self, user_id: int) -> list[InboxEntry]:
        entries = []
        for (owner, conversation_id), entry in self._inboxes.items():
            if owner != user_id:
                continue
            later = page(self._conversation(conversation_id), lambda m: m.seq, None, entry.read_upto, 2**62)
            entries.append(
                InboxEntry(conversation_id=conversation_id, other_user_id=entry.other_user_id,
                           last_message=entry.last, unread=unread(later, user_id),
                           last_read_seq=entry.read_upto)
            )  # fmt: skip
        return newest_first(entries)

    async def set_blocked(self, blocker_id: int, blocked_id: int, blocked: bool) -> None:
        if blocked:
            self._blocks.add((blocker_id, blocked_id))
        else:
            self._blocks.discard((blocker_id, blocked_id))

    async def is_blocked(self, blocker_id: int, blocked_id: int) -> bool:
        return (blocker_id, blocked_id) in self._blocks

    async def reserve_ids(self, count: int) -> int:
        self._last_id += count
        return self._last_id

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None
