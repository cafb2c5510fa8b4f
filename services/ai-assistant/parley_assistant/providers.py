"""What answers a question, given the channel's recent messages: one interface, two
providers (`offline`, `openai_compat`)."""

from dataclasses import dataclass, field
from typing import Protocol

from parley_contracts.chat import ChannelMessage


class ProviderFailed(Exception):
    """The provider could not answer (timeout, error reply, unreadable answer)."""


@dataclass(frozen=True)
class Context:
    messages: list[ChannelMessage]
    """Oldest first, the question included."""
    usernames: dict[int, str]
    online: list[str] = field(default_factory=list)
    assistant_id: int = 0

    @property
    def earlier(self) -> list[ChannelMessage]:
        """What was said before the question."""
        return self.messages[:-1]

    def author(self, message: ChannelMessage) -> str:
        return self.usernames.get(message.author_id, f"user {message.author_id}")


class Provider(Protocol):
    async def answer(self, question: str, context: Context) -> str: ...
