"""How chat events reach subscribers: on `chat.evt.<channelId>.<type>` into the EVENTS
stream, de-duplicated by `Nats-Msg-Id = chat:<channel>:<seq>`."""

from parley_contracts.chat import ChannelEvent
from parley_contracts.subjects import CHANNEL_EVENT_TOPICS
from parley_runtime.bus import Bus, EventMessage, encode
from parley_runtime.outbox_relay import OutboxRelay

from .streams import Streams


def msg_id(event: ChannelEvent) -> str:
    return f"chat:{event.channel_id}:{event.seq}"


def message_of(event: ChannelEvent, payload: bytes) -> EventMessage:
    subject = CHANNEL_EVENT_TOPICS[event.type].subject(channel_id=event.channel_id)
    return EventMessage(subject, payload, msg_id(event))


def relay(bus: Bus, streams: Streams) -> OutboxRelay[ChannelEvent]:
    async def publish(events: list[ChannelEvent]) -> list[BaseException | None]:
        return await bus.publish_events([message_of(e, streams.stored_json(e) or encode(e)) for e in events])

    return OutboxRelay(streams, publish, stream_of=lambda event: event.channel_id)
