"""From persisted event to subscribers: settle the projection, publish into EVENTS with
`Nats-Msg-Id = chat:<channel>:<seq>`, then clear the outbox mark.

The republisher runs the same steps for events whose mark outlived a grace period
(their writer died in between), and once at start-up for all of them. JetStream's
de-duplication by message id makes a second publish of the same event harmless.
"""

import asyncio
from datetime import UTC, datetime, timedelta

import structlog

from parley_contracts.chat import ChannelEvent
from parley_contracts.subjects import CHANNEL_EVENT_TOPICS
from parley_runtime.bus import Bus

from .streams import Streams

log = structlog.get_logger("parley.chat.publishing")


def msg_id(event: ChannelEvent) -> str:
    return f"chat:{event.channel_id}:{event.seq}"


class Publisher:
    def __init__(self, bus: Bus, streams: Streams):
        self._bus = bus
        self._streams = streams

    async def deliver(self, events: list[ChannelEvent]) -> None:
        for event in events:
            await self._streams.settle(event)
            topic = CHANNEL_EVENT_TOPICS[event.type]
            await self._bus.publish_event(topic, event, msg_id(event), channel_id=event.channel_id)
            await self._streams.mark_published(event.channel_id, event.seq)

    async def republish(self, grace: timedelta, batch: int = 500) -> int:
        """Delivers events left unpublished for longer than `grace`; returns how many."""
        delivered = 0
        while True:
            events = await self._streams.unsettled(datetime.now(UTC) - grace, batch)
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
