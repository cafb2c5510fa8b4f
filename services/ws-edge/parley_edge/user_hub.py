"""Fan-out of direct messages to this edge's `/messagepal` sockets.

While a user has a socket here, the edge subscribes to `dm.evt.user.<id>.>` and
`dm.typing.user.<id>`. Each event becomes one frame queued to every socket of the
user. Per conversation the hub remembers the last `seq` delivered, skips repeats and
fills a jump from the DM store, so a user's sockets see each conversation in order.
"""

import asyncio
from dataclasses import dataclass, field

import structlog
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from pydantic import TypeAdapter, ValidationError

from parley_contracts import dm, messagepal_frames, signals, subjects
from parley_runtime.bus import Bus

from . import frames
from .connection import Connection

log = structlog.get_logger("parley.edge.users")
_conversation_event = TypeAdapter(dm.ConversationEvent)
PAGE = 500


@dataclass
class UserFeed:
    user_id: int
    sockets: set[Connection] = field(default_factory=set)
    heads: dict[str, int] = field(default_factory=dict)
    subscriptions: list[Subscription] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class UserHub:
    def __init__(self, bus: Bus):
        self._bus = bus
        self._feeds: dict[int, UserFeed] = {}

    async def attach(self, connection: Connection) -> None:
        feed = self._feeds.get(connection.user_id)
        if feed is None:
            feed = self._feeds[connection.user_id] = UserFeed(connection.user_id)
            await self._subscribe(feed)
        feed.sockets.add(connection)

    async def detach(self, connection: Connection) -> None:
        feed = self._feeds.get(connection.user_id)
        if feed is None:
            return
        feed.sockets.discard(connection)
        if not feed.sockets:
            del self._feeds[connection.user_id]
            for subscription in feed.subscriptions:
                await subscription.unsubscribe()

    async def replay(self, connection: Connection, conversation_id: str, after_seq: int, until_seq: int) -> None:
        """Send one socket what it missed, under the feed's lock so no live event slips in between."""
        feed = self._feeds[connection.user_id]
        async with feed.lock:
            while after_seq < until_seq:
                batch = await self._events_since(feed.user_id, conversation_id, after_seq)
                fresh = [event for event in batch.events if event.seq <= until_seq]
                if not fresh:
                    return
                for event in fresh:
                    connection.push(frames.dm_event_frame(event))
                after_seq = fresh[-1].seq

    async def _subscribe(self, feed: UserFeed) -> None:
        async def on_event(msg: Msg) -> None:
            await self._on_event(feed, msg)

        async def on_typing(msg: Msg) -> None:
            self._on_typing(feed, msg)

        nc = self._bus.nc
        feed.subscriptions = [
            await nc.subscribe(subjects.DM_USER_EVENTS.format(user_id=feed.user_id), cb=on_event),
            await nc.subscribe(subjects.DM_TYPING.subject(user_id=feed.user_id), cb=on_typing),
        ]
        await nc.flush()

    async def _on_event(self, feed: UserFeed, msg: Msg) -> None:
        try:
            event = _conversation_event.validate_json(msg.data)
        except ValidationError:
            log.error("undecodable_event", subject=msg.subject)
            return
        async with feed.lock:
            head = feed.heads.get(event.conversation_id)
            if head is not None and event.seq <= head:
                return  # delivered already, through a gap fill
            while head is not None and event.seq > head + 1:
                batch = await self._events_since(feed.user_id, event.conversation_id, head)
                missed = [m for m in batch.events if m.seq < event.seq]
                if not missed:
                    break
                for earlier in missed:
                    self._deliver(feed, earlier)
                head = missed[-1].seq
            self._deliver(feed, event)

    def _deliver(self, feed: UserFeed, event: dm.ConversationEvent) -> None:
        feed.heads[event.conversation_id] = event.seq
        frame = frames.dm_event_frame(event)
        for connection in feed.sockets:
            connection.push(frame)

    async def _events_since(self, user_id: int, conversation_id: str, after_seq: int) -> dm.DirectEventBatch:
        command = dm.GetDirectEventsSince(actor_id=user_id, conversation_id=conversation_id, after_seq=after_seq,
                                          limit=PAGE)  # fmt: skip
        return await self._bus.request(subjects.DM_EVENTS_SINCE, command)

    def _on_typing(self, feed: UserFeed, msg: Msg) -> None:
        signal = signals.DirectTyping.model_validate_json(msg.data)
        payload = messagepal_frames.UserTypingPayload(
            user_id=signal.user_id, username=signal.username, recipient_id=signal.recipient_id
        )
        frame = frames.encode(messagepal_frames.UserTyping(payload=payload, timestamp=frames.now_ms()))
        for connection in feed.sockets:
            connection.push(frame, droppable=True)
