"""This edge's feeds of one kind, each subscribed on NATS only while a socket of the
edge is in it: a channel's feed while a socket has joined the channel, a user's feed
while the user has a `/messagepal` socket here."""

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic

from nats.aio.msg import Msg
from pydantic import BaseModel

from parley_contracts.subjects import Command, Topic, TopicGroup
from parley_runtime.bus import Bus

from ..sockets.connection import Connection
from .feed import E, Feed

SignalFrame = Callable[[Any], tuple[bytes, int]]
"""A signal as the frame it becomes and the user who sent it."""


@dataclass(frozen=True)
class FeedSpec(Generic[E]):
    """What one kind of feed follows, and how."""

    param: str
    """The `{name}` part of its subjects that its key fills."""
    events: TopicGroup
    signals: list[tuple[Topic, SignalFrame]]
    read: Command
    """The edge's own read of a stream's stored events."""
    read_request: Callable[[Any, int, int], BaseModel]
    """The read's request for (stream, after_seq, limit)."""
    stream_of: Callable[[E], Hashable]
    frame_of: Callable[[E], bytes | None]
    """The event as a frame of the feed's socket dialect; None for events clients do not see."""
    departure: Callable[[E], tuple[int, bytes] | None]
    """The user an event takes out of the stream, and the frame their sockets are told so with."""
    others_frame: Callable[[E], tuple[bytes, int] | None]
    """A live frame for every socket but one user's, and that user (`FeedKind.others_frame`)."""


class BusKind(Generic[E]):
    """A `FeedSpec` whose reads go over the bus: the `FeedKind` a feed is given."""

    def __init__(self, spec: FeedSpec[E], bus: Bus):
        self._spec = spec
        self._bus = bus
        self.stream_of = spec.stream_of
        self.frame_of = spec.frame_of
        self.departure = spec.departure
        self.others_frame = spec.others_frame

    async def read(self, stream: Hashable, after_seq: int, limit: int) -> list[E]:
        return (await self._bus.request(self._spec.read, self._spec.read_request(stream, after_seq, limit))).events


class Feeds(Generic[E]):
    def __init__(self, bus: Bus, spec: FeedSpec[E]):
        self._bus = bus
        self._spec = spec
        self._kind = BusKind(spec, bus)
        self._feeds: dict[Hashable, Feed[E]] = {}

    def get(self, key: Hashable) -> Feed[E] | None:
        return self._feeds.get(key)

    def joined_at(self, connection: Connection, key: Hashable) -> int | None:
        """The seq the socket joined the feed at; None when it is not in it."""
        feed = self._feeds.get(key)
        return feed.members.get(connection) if feed else None

    def keys_of(self, connection: Connection) -> list[Hashable]:
        return [key for key, feed in self._feeds.items() if connection in feed.members]

    async def join(self, connection: Connection, key: Hashable, stream: Hashable, head: int, after_seq: int) -> int:
        """Add a socket to a one-stream feed (a channel) and replay what it missed after
        `after_seq`; a new feed follows `stream` from `head`.
        Returns the seq the socket starts from."""
        feed, new = self._feed(key)
        if new:
            feed.follow(stream, head)  # before subscribing: a live event must find the head
        feed.joining += 1
        try:
            if new:
                await self._subscribe(feed, key)
                await feed.catch_up(stream)
            return await feed.join(connection, stream, after_seq)
        finally:
            feed.joining -= 1
            await self._close_if_idle(key, feed)

    async def attach(self, connection: Connection, key: Hashable) -> None:
        """Add a socket that takes every event of the feed (a user's `/messagepal` socket)."""
        feed, new = self._feed(key)
        feed.joining += 1
        try:
            if new:
                await self._subscribe(feed, key)
            feed.attach(connection)
        finally:
            feed.joining -= 1
            await self._close_if_idle(key, feed)

    async def leave(self, connection: Connection, key: Hashable) -> bool:
        feed = self._feeds.get(key)
        if feed is None or not feed.detach(connection):
            return False
        await self._close_if_idle(key, feed)
        return True

    def _feed(self, key: Hashable) -> tuple[Feed[E], bool]:
        """The feed of `key`, and whether it was made just now (to be subscribed)."""
        feed = self._feeds.get(key)
        if feed is not None:
            return feed, False
        feed = self._feeds[key] = Feed(self._kind)
        return feed, True

    async def _close_if_idle(self, key: Hashable, feed: Feed[E]) -> None:
        """Unsubscribe a feed nobody is in or on the way into."""
        if feed.members or feed.joining or self._feeds.get(key) is not feed:
            return
        del self._feeds[key]
        for subscription in feed.subscriptions:
            await subscription.unsubscribe()

    async def _subscribe(self, feed: Feed[E], key: Hashable) -> None:
        where = {self._spec.param: key}

        async def on_event(event: E, _msg: Msg) -> None:
            await feed.receive(event)

        feed.subscriptions.append(await self._bus.listen(self._spec.events, on_event, **where))
        for topic, frame_of in self._spec.signals:
            feed.subscriptions.append(await self._bus.listen(topic, _on_signal(feed, frame_of), **where))


def _on_signal(feed: Feed, frame_of: SignalFrame) -> Callable[[Any, Msg], Awaitable[None]]:
    async def on_signal(signal: Any, _msg: Msg) -> None:
        feed.signal(*frame_of(signal))

    return on_signal
