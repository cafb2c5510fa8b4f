"""From persisted event to subscribers, for any service with an event log: settle the
projection, publish, then clear the outbox mark.

A command is answered once its events are persisted and settled, before they are
published: an acknowledgement waits for the store alone, never for JetStream (whose
stream may be electing a leader for seconds after a node dies). The publish follows
the reply; one that fails is left to the republisher.

The relay's republisher runs the same steps for events whose mark outlived a grace
period (their writer died in between), and once at start-up for all of them. Events
are published with a message id derived from their stream and `seq`, so JetStream's
de-duplication makes a second publish of the same event harmless.

The store it drives is the event-sourced store port, `parley_storage.event_log.EventStore`.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import structlog

from parley_contracts.subjects import Command

from .bus import Bus
from .failpoints import crash_at
from .owners import Owners
from .settings import EventSourcedSettings

if TYPE_CHECKING:  # only the port's type: services without a store use this package without storage
    from parley_storage.event_log import EventStore, Stream


class Sequenced(Protocol):
    @property
    def seq(self) -> int: ...


Event = TypeVar("Event", bound=Sequenced)
log = structlog.get_logger("parley.outbox")


class OutboxRelay(Generic[Event]):
    def __init__(
        self,
        outbox: "EventStore[Event]",
        publish: Callable[[Event], Awaitable[None]],
        stream_of: "Callable[[Event], Stream]",
    ):
        self._outbox = outbox
        self._publish = publish
        self._stream_of = stream_of

    def follow(self, owners: Owners) -> None:
        """The store hears which streams this copy owns (`EventStore.follow_owners`)."""
        self._outbox.follow_owners(lambda stream: owners.owner(stream) == owners.me)

    async def deliver(self, events: list[Event]) -> None:
        await self.settle(events)
        await self.publish(events)

    async def settle(self, events: list[Event]) -> None:
        for event in events:
            await self._outbox.settle(event)

    async def publish(self, events: list[Event]) -> None:
        for event in events:
            await self._publish(event)
            await self._outbox.mark_published(self._stream_of(event), event.seq)

    async def publish_or_leave(self, events: list[Event]) -> None:
        """Publish after the reply; on failure the marks stay for the republisher."""
        try:
            await self.publish(events)
        except Exception as exc:
            log.warning("publish_left_to_republisher", count=len(events), error=type(exc).__name__)

    async def republish(self, grace: timedelta, batch: int = 500) -> int:
        """Delivers events left unpublished for longer than `grace`; returns how many."""
        delivered = 0
        while True:
            events = await self._outbox.unsettled(datetime.now(UTC) - grace, batch)
            await self.deliver(events)
            delivered += len(events)
            if len(events) < batch:
                return delivered

    async def run(self, interval_s: float, grace: timedelta) -> None:
        """The republisher: forever, every `interval_s`."""
        while True:
            try:
                count = await self.republish(grace)
                if count:
                    log.warning("republished_events", count=count)
            except Exception:
                log.exception("republish_failed")
            await asyncio.sleep(interval_s)


Handler = Callable[[Any, Any], Awaitable[tuple[Any, list[Any]]]]
"""A command handler: (command, ports) -> (reply, events it appended)."""
Routes = Sequence[tuple[Command[Any, Any], Handler]]


async def serve_event_sourced(
    bus: Bus, settings: EventSourcedSettings, routes: Routes, ports: object, relay: OutboxRelay[Any]
) -> asyncio.Task[None]:
    """Start an event-sourced service: the events stream exists, whatever a dead
    predecessor left unpublished goes out, commands are served (each appending one to
    its stream's owner among the service's copies), and the republisher and the
    owners' heartbeat run (the task returned; cancel it on close)."""
    await bus.ensure_events_stream(
        settings.events_stream,
        settings.events_duplicate_window_s,
        settings.events_max_age_s,
        settings.events_max_bytes,
        settings.nats_replicas,
    )
    await relay.republish(grace=timedelta(0))
    owners = Owners(bus, routes[0][0].service)
    relay.follow(owners)
    await owners.start()
    await serve_handlers(bus, routes, ports, relay, owners, settings.failpoint)
    grace = timedelta(seconds=settings.republish_grace_s)

    async def background() -> None:
        await asyncio.gather(relay.run(settings.republish_interval_s, grace), owners.run())

    return asyncio.create_task(background())


async def serve_handlers(
    bus: Bus, routes: Routes, ports: object, relay: OutboxRelay[Any], owners: Owners, failpoint: str | None = None
) -> None:
    """Answer each command with its handler once its events are settled; they are
    published after the reply.

    The failpoint `after_persist` (tests only) kills the process between persisting
    events and publishing them, the window the outbox exists for.
    """
    for command, handler in routes:

        async def handle(request: Any, handler: Handler = handler) -> Any:
            reply, events = await handler(request, ports)
            if events:
                crash_at("after_persist", failpoint)
                await relay.settle(events)
                bus.follow_up(relay.publish_or_leave(events))
            return reply

        await bus.serve(command, handle, owners)
