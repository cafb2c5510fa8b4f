"""Fan-out of channels to this edge's sockets.

The edge subscribes to a channel's NATS subjects only while one of its sockets is in
the channel. Each event is decoded and encoded into a frame once; the same bytes are
written to every local socket, with no other per-socket work. Per channel the hub
remembers the last `seq` it delivered: an event that skips ahead first fills the gap
from chat's store, so sockets see every event, in order, once. A socket that joins with `lastSeq` is replayed what it
missed under the same lock, so no live event can slip in between.
"""

import asyncio
import time
from dataclasses import dataclass, field

import structlog
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from pydantic import TypeAdapter, ValidationError

from parley_contracts import chat, chat_frames, signals, subjects
from parley_runtime.bus import Bus

from . import frames, metrics
from .connection import Connection

log = structlog.get_logger("parley.edge.hub")
_channel_event = TypeAdapter(chat.ChannelEvent)
PAGE = 500


@dataclass
class ChannelFeed:
    channel_id: int
    head: int = 0
    members: dict[Connection, int] = field(default_factory=dict)
    """Each socket with the seq it joined at: events up to there reached it before it
    joined, or never will (it asked to start there). Every later event reaches it live."""
    subscriptions: list[Subscription] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class ChannelHub:
    def __init__(self, bus: Bus):
        self._bus = bus
        self._feeds: dict[int, ChannelFeed] = {}

    def joined_at(self, connection: Connection, channel_id: int) -> int | None:
        """The seq the socket joined the channel at; None when it is not in it."""
        feed = self._feeds.get(channel_id)
        return feed.members.get(connection) if feed else None

    def channels_of(self, connection: Connection) -> list[int]:
        return [channel_id for channel_id, feed in self._feeds.items() if connection in feed.members]

    async def join(self, connection: Connection, channel_id: int, head: int, last_seq: int | None) -> None:
        """Add the socket; replay what it missed after `last_seq`."""
        feed = self._feeds.get(channel_id)
        if feed is None:
            feed = self._feeds[channel_id] = ChannelFeed(channel_id, head=head)
            await self._subscribe(feed)
            async with feed.lock:
                await self._catch_up(feed, connection.user_id)  # what came before we subscribed
        async with feed.lock:
            start = feed.head if last_seq is None else min(last_seq, feed.head)
            await self._replay(connection, channel_id, start, feed.head)
            feed.members[connection] = start

    async def leave(self, connection: Connection, channel_id: int) -> bool:
        feed = self._feeds.get(channel_id)
        if feed is None or feed.members.pop(connection, None) is None:
            return False
        if not feed.members:
            del self._feeds[channel_id]
            for subscription in feed.subscriptions:
                await subscription.unsubscribe()
        return True

    async def _subscribe(self, feed: ChannelFeed) -> None:
        nc = self._bus.nc
        cid = feed.channel_id

        async def on_event(msg: Msg) -> None:
            await self._on_event(feed, msg)

        async def on_signal(msg: Msg) -> None:
            self._on_signal(feed, msg)

        feed.subscriptions = [
            await nc.subscribe(subjects.CHAT_CHANNEL_EVENTS.format(channel_id=cid), cb=on_event),
            await nc.subscribe(subjects.CHAT_TYPING.subject(channel_id=cid), cb=on_signal),
            await nc.subscribe(subjects.CHAT_PRESENCE.subject(channel_id=cid), cb=on_signal),
        ]
        await nc.flush()

    async def _on_event(self, feed: ChannelFeed, msg: Msg) -> None:
        try:
            event = _channel_event.validate_json(msg.data)
        except ValidationError:
            log.error("undecodable_event", subject=msg.subject)
            return
        async with feed.lock:
            if event.seq <= feed.head:
                return  # delivered already, through a gap fill
            if event.seq > feed.head + 1 and feed.members:
                metrics.GAP_FILLS.inc()
                await self._catch_up(feed, next(iter(feed.members)).user_id, event.seq - 1)
            self._deliver(feed, event)

    async def _catch_up(self, feed: ChannelFeed, actor_id: int, until_seq: int | None = None) -> None:
        """Deliver stored events after the feed's head, up to `until_seq` (default: all)."""
        while until_seq is None or feed.head < until_seq:
            batch = await self._events_since(actor_id, feed.channel_id, feed.head)
            fresh = [event for event in batch.events if until_seq is None or event.seq <= until_seq]
            if not fresh:
                return
            for event in fresh:
                self._deliver(feed, event)

    async def _replay(self, connection: Connection, channel_id: int, after_seq: int, until_seq: int) -> None:
        while after_seq < until_seq:
            batch = await self._events_since(connection.user_id, channel_id, after_seq)
            if not batch.events:
                return
            for event in batch.events:
                if event.seq > until_seq:
                    return
                frame = frames.event_frame(event)
                if frame is not None:
                    connection.push(frame)
                after_seq = event.seq

    async def _events_since(self, actor_id: int, channel_id: int, after_seq: int) -> chat.EventBatch:
        command = chat.GetEventsSince(actor_id=actor_id, channel_id=channel_id, after_seq=after_seq, limit=PAGE)
        return await self._bus.request(subjects.CHAT_EVENTS_SINCE, command)

    def _deliver(self, feed: ChannelFeed, event: chat.ChannelEvent) -> None:
        feed.head = event.seq
        if isinstance(event, chat.MemberRemoved):
            self._remove_user(feed, event.user_id)
            return
        frame = frames.event_frame(event)
        if frame is None:
            return
        for connection in feed.members:
            connection.push(frame)
        metrics.FRAMES_OUT.labels(event.type).inc(len(feed.members))
        metrics.FANOUT_LATENCY.observe(max(0.0, time.time() - event.occurred_at.timestamp()))

    def _remove_user(self, feed: ChannelFeed, user_id: int) -> None:
        left = frames.encode(chat_frames.LeftChannel(channel_id=feed.channel_id))
        for connection in [c for c in feed.members if c.user_id == user_id]:
            del feed.members[connection]
            connection.push(left)

    def _on_signal(self, feed: ChannelFeed, msg: Msg) -> None:
        signal: signals.ChannelTyping | signals.PresenceChanged
        if msg.subject.startswith("chat.typing."):
            signal = signals.ChannelTyping.model_validate_json(msg.data)
            frame_type = chat_frames.UserTyping if signal.typing else chat_frames.UserStopTyping
            frame = frames.encode(
                frame_type(channel_id=signal.channel_id, user_id=signal.user_id, username=signal.username)
            )
        else:
            signal = signals.PresenceChanged.model_validate_json(msg.data)
            frame = frames.encode(
                chat_frames.UserPresence(
                    channel_id=signal.channel_id,
                    user_id=signal.user_id,
                    username=signal.username,
                    status=signal.status,
                )
            )
        for connection in feed.members:
            if connection.user_id != signal.user_id:
                connection.push(frame, droppable=True)
