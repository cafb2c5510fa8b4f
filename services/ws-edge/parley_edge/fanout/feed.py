"""One ordered feed: the streams a subscription brings to this edge (one channel, or
every DM conversation of one user), handed to the feed's sockets in `seq` order, each
event once.

Per stream the feed keeps its head, the last `seq` it delivered. A live event at or
below the head is a repeat and is skipped; one that skips ahead is delivered after the
stored events it skipped, read page by page from the service that owns the stream with
the edge's own identity (`FeedKind.read`), so no socket's access decides whether the
gap can be filled. A socket that resumes from a position is replayed what it missed
under the feed's lock, so no live event slips in between. Each event becomes one frame,
encoded once in the feed's socket dialect and written as the same bytes to every socket.

While the edge is behind (its loop's `Flusher` holds frames for a later turn anyway), a
feed holds its events too and writes them to each socket in one go when that turn comes:
the work of a fan-out then grows with the sockets, not with sockets times events. Whatever
else reaches the feed's sockets (a replay, a departure, a signal, a change of members)
first lets the held events go, so every socket still sees them in order.

A position in a stream is (epoch, seq): a client resuming from another epoch than the
stream's (`outdated`) is told to reload its history instead of being replayed events
that are not the ones it missed.

Pure logic: NATS is on the other side of `FeedKind.read` and of whoever calls `receive`.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Hashable
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from .. import metrics
from ..sockets.connection import Connection
from ..sockets.wire import as_lines, flusher_of

PAGE = 500


class Event(Protocol):
    @property
    def seq(self) -> int: ...

    @property
    def type(self) -> str: ...

    @property
    def occurred_at(self) -> datetime: ...


E = TypeVar("E", bound=Event)


class FeedKind(Protocol[E]):
    """What differs between the streams a socket can follow."""

    def stream_of(self, event: E) -> Hashable: ...

    async def read(self, stream: Hashable, after_seq: int, limit: int) -> list[E]:
        """Stored events after `after_seq`, oldest first, at most `limit`: the edge's own read."""

    def frame_of(self, event: E) -> bytes | None:
        """The event as a frame of the feed's socket dialect; None for events clients do not see."""

    def departure(self, event: E) -> tuple[int, bytes] | None:
        """The user this event takes out of the stream, whose sockets then leave the feed,
        and the frame they are told so with."""

    def others_frame(self, event: E) -> tuple[bytes, int] | None:
        """A frame for every socket but one user's, live only (a channel's `unread_updated`
        for everyone but a message's author), and that user."""


def outdated(epoch: str | None, last_seq: int | None, stream_epoch: str, head: int) -> bool:
    """Is a client's resume position from another life of the stream than the present one
    (its store wiped or restored from a backup, the stream reset)? Only a position that
    names its epoch is checked: a client that sends none (the seed's: PersonalLearningPro's
    chat clients, which Parley stays compatible with) resumes as before."""
    if not epoch:
        return False
    return epoch != stream_epoch or (last_seq or 0) > head


async def stored(kind: FeedKind[E], stream: Hashable, after_seq: int, until_seq: int | None = None) -> AsyncIterator[E]:
    """The stored events after `after_seq` up to `until_seq` (None: all there are), page by page."""
    while until_seq is None or after_seq < until_seq:
        page = await kind.read(stream, after_seq, PAGE)
        for event in page:
            if until_seq is not None and event.seq > until_seq:
                return
            yield event
            after_seq = event.seq
        if len(page) < PAGE:
            return


Held = tuple[bytes, tuple[bytes, int] | None]
"""An event held for the end of the turn: its frame, and its frame for all but one user."""


class Feed(Generic[E]):
    def __init__(self, kind: FeedKind[E], loop_of: Callable[[], asyncio.AbstractEventLoop] = asyncio.get_running_loop):
        self.kind = kind
        self.members: dict[Connection, int] = {}
        """Each socket with the seq it started from in a one-stream feed: events up to there
        reached it before, or never will (it asked to start there); later ones reach it
        live. In a user's feed, whose sockets take every event, it is 0."""
        self.subscriptions: list = []
        self.joining = 0
        """Sockets on their way in (their replay under way): the feed stays subscribed for them."""
        self._heads: dict[Hashable, int] = {}
        self._lock = asyncio.Lock()
        self._loop_of = loop_of
        self._held: list[Held] = []

    def head(self, stream: Hashable) -> int | None:
        return self._heads.get(stream)

    def follow(self, stream: Hashable, head: int) -> None:
        """Deliver `stream`'s events after `head`, unless the feed follows it already."""
        self._heads.setdefault(stream, head)

    async def catch_up(self, stream: Hashable) -> None:
        """Deliver what was stored after the head: events appended before the feed's
        subscription existed reach it no other way."""
        async with self._lock:
            await self._fill(stream)

    async def receive(self, event: E) -> None:
        """A live event: skipped when it is a repeat, delivered after the gap it shows."""
        stream = self.kind.stream_of(event)
        async with self._lock:
            head = self._heads.get(stream)
            if head is not None:
                if event.seq <= head:
                    return  # delivered already, through a gap fill
                if event.seq > head + 1:
                    metrics.GAP_FILLS.inc()
                    await self._fill(stream, event.seq - 1)
            self._deliver(stream, event)

    async def join(self, connection: Connection, stream: Hashable, after_seq: int) -> int:
        """Add a socket that has seen `stream` up to `after_seq` and replay what it missed
        up to the feed's head; returns the seq it starts from."""
        async with self._lock:
            self.release()
            head = self._heads.get(stream, 0)
            start = min(after_seq, head)
            await self._replay(connection, stream, start, head)
            self.members[connection] = start
            return start

    def attach(self, connection: Connection) -> None:
        """Add a socket that takes every event from now on (a user's feed)."""
        self.release()
        self.members[connection] = 0

    def detach(self, connection: Connection) -> bool:
        """Take a socket out, once what the feed holds reached it; whether it was in."""
        self.release()
        return self.members.pop(connection, None) is not None

    async def replay(self, connection: Connection, stream: Hashable, after_seq: int, until_seq: int) -> None:
        """Send one socket of the feed what it missed of `stream`."""
        async with self._lock:
            self.release()
            await self._replay(connection, stream, after_seq, until_seq)

    async def _replay(self, connection: Connection, stream: Hashable, after_seq: int, until_seq: int) -> None:
        async for event in stored(self.kind, stream, after_seq, until_seq):
            frame = self.kind.frame_of(event)
            if frame is not None:
                connection.push(frame)

    async def _fill(self, stream: Hashable, until_seq: int | None = None) -> None:
        async for event in stored(self.kind, stream, self._heads[stream], until_seq):
            self._deliver(stream, event)

    def _deliver(self, stream: Hashable, event: E) -> None:
        self._heads[stream] = event.seq
        departure = self.kind.departure(event)
        if departure is not None:
            self.release()
            self._remove_user(*departure)
            return
        frame = self.kind.frame_of(event)
        if frame is None:
            return
        self._held.append((frame, self.kind.others_frame(event)))
        metrics.FRAMES_OUT.labels(event.type).inc(len(self.members))
        metrics.FANOUT_LATENCY.observe(max(0.0, time.time() - event.occurred_at.timestamp()))
        loop = self._loop_of()
        flusher = flusher_of(loop)
        if not flusher.behind(loop):
            self.release()
        elif len(self._held) == 1:
            flusher.hold(self, loop)

    def release(self) -> None:
        """Write the held events to every socket, one write per socket. The bytes are the
        same for every socket of a kind: whose user wrote none of the events (all frames)
        or which author (without the frames meant for all but them), and whether the
        socket reads several frames per message (`Connection.lines`)."""
        held, self._held = self._held, []
        if not held:
            return
        authors = {others[1] for _, others in held if others}
        cuts: dict[tuple[int | None, bool], bytes] = {}
        for connection in self.members:
            user_id = connection.user_id
            kind = (user_id if user_id in authors else None, connection.lines)
            cut = cuts.get(kind)
            if cut is None:
                cut = cuts[kind] = _cut(held, *kind)
            connection.push(cut)

    def _remove_user(self, user_id: int, left: bytes) -> None:
        for connection in [c for c in self.members if c.user_id == user_id]:
            del self.members[connection]
            connection.push(left)

    def tell(self, user_id: int, frame: bytes) -> None:
        """A frame for one user's sockets, after what the feed holds."""
        self.release()
        for connection in self.members:
            if connection.user_id == user_id:
                connection.push(frame)

    def signal(self, frame: bytes, sender_id: int) -> None:
        """A typing or presence frame: to every socket but the sender's, and only while it keeps up."""
        self.release()
        for connection in self.members:
            if connection.user_id != sender_id:
                connection.push(frame, droppable=True)


def _cut(held: list[Held], author: int | None, lines: bool) -> bytes:
    """The held events' frames for one kind of socket (`Feed.release`)."""
    frames = []
    for frame, others in held:
        frames.append(frame)
        if others is not None and others[1] != author:
            frames.append(others[0])
    return as_lines(frames) if lines else b"".join(frames)
