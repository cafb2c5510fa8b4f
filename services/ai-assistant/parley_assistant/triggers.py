"""Whether a message summons the assistant, and what it asks. Pure logic."""

import re

from parley_contracts.chat import ChannelMessage


class Trigger:
    def __init__(self, names: list[str]):
        alternatives = "|".join(re.escape(name) for name in names)
        self._mention = re.compile(rf"@(?:{alternatives})\b[:,]?\s*", re.IGNORECASE)

    def question(self, message: ChannelMessage, assistant_id: int) -> str | None:
        """What the message asks the assistant, or None when it does not mention it."""
        if message.author_id == assistant_id or message.deleted:
            return None
        found = self._mention.search(message.content)
        if found:
            return (message.content[: found.start()] + message.content[found.end() :]).strip()
        if assistant_id in message.mentions:
            return message.content.strip()
        return None
