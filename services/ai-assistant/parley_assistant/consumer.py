"""The durable JetStream consumer of posted messages: it survives restarts, and a
message is acknowledged only after it has been answered (or found not to need one)."""

import asyncio

import structlog
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig
from pydantic import ValidationError

from parley_contracts import chat, subjects
from parley_runtime.bus import Bus

from .assistant import Assistant

log = structlog.get_logger("parley.assistant.consumer")


async def consume(bus: Bus, assistant: Assistant) -> None:
    settings = assistant.settings
    subscription = await bus.js.pull_subscribe(
        subjects.CHAT_MESSAGE_POSTED.wildcard(),
        durable=settings.durable,
        stream=settings.events_stream,
        config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=settings.ack_wait_s, max_deliver=5),
    )
    while True:
        try:
            batch = await subscription.fetch(10, timeout=1)
        except NatsTimeout:
            continue
        for msg in batch:
            try:
                event = chat.MessagePosted.model_validate_json(msg.data)
            except ValidationError:
                log.error("undecodable_event", subject=msg.subject)
                await msg.term()
                continue
            try:
                await assistant.on_posted(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("assistant_failed", channel_id=event.channel_id)
                await msg.nak(delay=5)
                continue
            await msg.ack()
