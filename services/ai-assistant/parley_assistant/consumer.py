"""The durable JetStream consumer of posted messages: it survives restarts, and a
message is acknowledged only after it has been answered (or found not to need one).

The loop outlives every error: it logs it, pauses (doubling, capped) and pulls again.
It once died of a plain `TimeoutError` out of nats-py's `fetch` (raised when a pull's
Request Timeout status is read after the pull's deadline but before fetch's own timer,
as after a moment without CPU), and the assistant went silent without a word in its log.
"""

import asyncio
import time

import structlog
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig
from nats.js.client import JetStreamContext
from pydantic import ValidationError

from parley_contracts import chat, subjects
from parley_runtime.bus import Bus
from parley_runtime.metrics import CONSUMER_PENDING

from .assistant import Assistant
from .settings import AssistantSettings

log = structlog.get_logger("parley.assistant.consumer")
FETCH_WAIT_S = 1.0
"""How long one pull waits for messages."""
FETCH_BATCH = 100
"""The most messages one pull takes."""
CAUGHT_UP_PAUSE_S = 0.05
"""After a pull that found fewer than `FETCH_BATCH`, the loop waits this long before the
next, so that the next carries whatever came meanwhile. Nearly every message is only
looked at and acknowledged, and a pull costs both sides far more than a message does:
pulling again at once took one or two messages each time at 500 posts/s, and the
assistant a seventh of a core. An answer starts at most this much later."""
FIRST_PAUSE_S = 0.5
MAX_PAUSE_S = 30.0
"""After an error the loop pauses, twice as long each time the error repeats, up to this."""


class Pulse:
    """When the loop last came round; readiness turns false once it has not for too long."""

    def __init__(self, settings: AssistantSettings):
        # One message may take the whole handling time, a pull its wait, a pause its cap.
        self.limit_s = settings.handle_timeout_s + FETCH_WAIT_S + MAX_PAUSE_S + 5.0
        self.at = time.monotonic()

    def beat(self) -> None:
        self.at = time.monotonic()

    def recent(self) -> bool:
        return time.monotonic() - self.at < self.limit_s


async def subscribe(bus: Bus, settings: AssistantSettings) -> JetStreamContext.PullSubscription:
    return await bus.js.pull_subscribe(
        subjects.CHAT_MESSAGE_POSTED.wildcard(),
        durable=settings.durable,
        stream=settings.events_stream,
        config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=settings.ack_wait_s, max_deliver=5),
    )


async def consume(bus: Bus, assistant: Assistant, pulse: Pulse) -> None:
    subscription = None
    pause_s = FIRST_PAUSE_S
    lag = CONSUMER_PENDING.labels(assistant.settings.events_stream, assistant.settings.durable)
    while True:
        pulse.beat()
        try:
            if subscription is None:
                subscription = await subscribe(bus, assistant.settings)
            try:
                batch = await subscription.fetch(FETCH_BATCH, timeout=FETCH_WAIT_S)
            except TimeoutError:  # nats-py's own and the plain one alike: nothing came
                batch = []
            for msg in batch:
                pulse.beat()
                await handle(msg, assistant)
            # Each message says how many wait behind it; a pull that found none, none.
            lag.set(batch[-1].metadata.num_pending if batch else 0)
            if 0 < len(batch) < FETCH_BATCH:
                await asyncio.sleep(CAUGHT_UP_PAUSE_S)
        except Exception as exc:  # a cancellation is not an Exception: stopping still stops
            log.exception("consumer_failed", error=type(exc).__name__, retry_in_s=pause_s)
            subscription = None  # a consumer that was deleted or lost is subscribed afresh
            await asyncio.sleep(pause_s)
            pause_s = min(pause_s * 2, MAX_PAUSE_S)
            continue
        pause_s = FIRST_PAUSE_S


async def handle(msg: Msg, assistant: Assistant) -> None:
    """Answers one message, or gives it back to come again later when answering failed or
    took longer than `handle_timeout_s` (a reply is posted at most once whatever happens)."""
    try:
        event = chat.MessagePosted.model_validate_json(msg.data)
    except ValidationError:
        log.error("undecodable_event", subject=msg.subject)
        await msg.term()
        return
    try:
        async with asyncio.timeout(assistant.settings.handle_timeout_s):
            await assistant.on_posted(event)
    except Exception as exc:
        log.exception("assistant_failed", channel_id=event.channel_id, error=type(exc).__name__)
        await msg.nak(delay=5)
        return
    await msg.ack()
