"""Unit tests of a service's handlers, as cosmicpython's `test_handlers.py`: each command
is built from its fields and handed to its handler with in-memory ports; an
event-sourced service's events then go through the real outbox relay, with a list
standing for the bus."""

from collections.abc import Callable
from typing import Any, get_type_hints

import pytest

from parley_contracts.errors import ErrorCode
from parley_runtime.errors import ParleyError
from parley_runtime.outbox_relay import OutboxRelay
from parley_storage.event_log import Stream


class Handlers:
    def __init__(self, ports: Any, store: Any = None, stream_of: Callable[[Any], Stream] | None = None):
        """`store` and `stream_of` for a service whose handlers return (reply, events)."""
        self.ports = ports
        self.published: list[Any] = []
        self._relay = None
        if store is not None and stream_of is not None:
            self._relay = OutboxRelay(store, self._publish, stream_of)

    async def _publish(self, events: list[Any]) -> list[BaseException | None]:
        self.published.extend(events)
        return [None] * len(events)

    async def __call__(self, handler: Callable, **fields: object) -> Any:
        """Runs `handler` on its command, made from `fields`; returns the reply."""
        command = get_type_hints(handler)["command"](**fields)
        if self._relay is None:
            return await handler(command, self.ports)
        reply, events = await handler(command, self.ports)
        await self._relay.deliver(events)
        return reply

    async def refused(self, code: ErrorCode, handler: Callable, **fields: object) -> ParleyError:
        """Asserts the command is refused with `code`, and publishes nothing."""
        published = len(self.published)
        with pytest.raises(ParleyError) as refusal:
            await self(handler, **fields)
        assert refusal.value.code is code, refusal.value
        assert len(self.published) == published
        return refusal.value
