"""The ordered feed: every ordering case over a fake event source, no NATS."""

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime

from parley_edge.fanout.feed import PAGE, Feed, outdated


@dataclass(frozen=True)
class Ev:
    stream: str
    seq: int
    leaving: int | None = None
    author: int | None = None
    type: str = "test_event"
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class FakeKind:
    """An in-memory store of streams; `read` can be held to let live events race it."""

    def __init__(self):
        self.stored: dict[str, list[Ev]] = {}
        self.reads: list[tuple[str, int]] = []
        self.hold: asyncio.Event | None = None

    def append(self, stream: str, count: int = 1) -> list[Ev]:
        events = self.stored.setdefault(stream, [])
        added = [Ev(stream, len(events) + n) for n in range(1, count + 1)]
        events.extend(added)
        return added

    def stream_of(self, event: Ev) -> str:
        return event.stream

    async def read(self, stream: str, after_seq: int, limit: int) -> list[Ev]:
        self.reads.append((stream, after_seq))
        if self.hold is not None:
            await self.hold.wait()
        return [e for e in self.stored.get(stream, []) if e.seq > after_seq][:limit]

    def frame_of(self, event: Ev) -> bytes:
        return f"{event.stream}:{event.seq}".encode()

    def departure(self, event: Ev) -> tuple[int, bytes] | None:
        return (event.leaving, b"left") if event.leaving is not None else None

    def others_frame(self, event: Ev) -> tuple[bytes, int] | None:
        return (b"others", event.author) if event.author is not None else None


class FakeSocket:
    def __init__(self, user_id: int = 1, lines: bool = False):
        self.user_id = user_id
        self.lines = lines
        self.frames: list[bytes] = []
        self.dropped_if_behind: list[bytes] = []

    def push(self, frame: bytes, droppable: bool = False) -> None:
        (self.dropped_if_behind if droppable else self.frames).append(frame)

    def seqs(self, stream: str = "c") -> list[int]:
        return [int(f.split(b":")[1]) for f in self.frames if f.startswith(stream.encode() + b":")]


def feed_with(kind: FakeKind, *sockets: FakeSocket, head: int = 0) -> Feed:
    feed = Feed(kind)
    feed.follow("c", head)
    for socket in sockets:
        feed.members[socket] = head
    return feed


async def test_live_events_in_order_reach_every_socket_once_without_reads():
    kind, ann, bob = FakeKind(), FakeSocket(1), FakeSocket(2)
    feed = feed_with(kind, ann, bob)
    for event in kind.append("c", 3):
        await feed.receive(event)
    assert ann.seqs() == bob.seqs() == [1, 2, 3]
    assert kind.reads == []


async def test_a_repeat_is_skipped():
    kind, ann = FakeKind(), FakeSocket()
    feed = feed_with(kind, ann)
    first, second = kind.append("c", 2)
    for event in (first, second, first, second):
        await feed.receive(event)
    assert ann.seqs() == [1, 2]


async def test_a_gap_is_filled_from_the_store_before_the_event_that_shows_it():
    kind, ann = FakeKind(), FakeSocket()
    feed = feed_with(kind, ann)
    events = kind.append("c", 5)
    await feed.receive(events[0])
    await feed.receive(events[4])  # 2, 3 and 4 were lost on the way
    assert ann.seqs() == [1, 2, 3, 4, 5]
    assert kind.reads == [("c", 1)]


async def test_out_of_order_events_are_delivered_in_order_once():
    kind, ann = FakeKind(), FakeSocket()
    feed = feed_with(kind, ann)
    events = kind.append("c", 4)
    for event in (events[2], events[0], events[3], events[1]):  # two publishers raced
        await feed.receive(event)
    assert ann.seqs() == [1, 2, 3, 4]


async def test_a_gap_is_filled_with_no_socket_reading_for_it():
    kind = FakeKind()
    feed = feed_with(kind)
    events = kind.append("c", 3)
    await feed.receive(events[2])
    assert feed.head("c") == 3
    assert kind.reads == [("c", 0)]


async def test_a_gap_longer_than_a_page_is_filled_page_by_page():
    kind, ann = FakeKind(), FakeSocket()
    feed = feed_with(kind, ann)
    events = kind.append("c", PAGE + 3)
    await feed.receive(events[-1])
    assert ann.seqs() == list(range(1, PAGE + 4))
    assert kind.reads == [("c", 0), ("c", PAGE)]


async def test_a_replay_ends_on_a_page_boundary_and_at_its_last_seq():
    kind, ann = FakeKind(), FakeSocket()
    kind.append("c", 2 * PAGE + 5)
    feed = feed_with(kind, head=2 * PAGE)
    start = await feed.join(ann, "c", 0)
    assert start == 0
    assert ann.seqs() == list(range(1, 2 * PAGE + 1))  # not past the feed's head: live brings the rest
    assert kind.reads == [("c", 0), ("c", PAGE)]


async def test_a_replay_racing_live_events_loses_and_doubles_nothing():
    kind, ann, bob = FakeKind(), FakeSocket(1), FakeSocket(2)
    kind.append("c", 3)
    feed = feed_with(kind, bob, head=3)
    kind.hold = asyncio.Event()
    joining = asyncio.create_task(feed.join(ann, "c", 0))
    await asyncio.sleep(0)  # the replay waits on its read, holding the feed
    live = [asyncio.create_task(feed.receive(event)) for event in kind.append("c", 2)]
    await asyncio.sleep(0)
    kind.hold.set()
    await asyncio.gather(joining, *live)
    assert ann.seqs() == [1, 2, 3, 4, 5]
    assert bob.seqs() == [4, 5]


async def test_joining_at_the_head_replays_nothing_and_past_it_is_capped():
    kind, ann, bob = FakeKind(), FakeSocket(1), FakeSocket(2)
    kind.append("c", 4)
    feed = feed_with(kind, head=4)
    assert await feed.join(ann, "c", 4) == 4
    assert await feed.join(bob, "c", 99) == 4
    assert ann.frames == bob.frames == []
    assert kind.reads == []


async def test_catch_up_delivers_what_was_stored_before_the_subscription():
    kind, ann = FakeKind(), FakeSocket()
    feed = feed_with(kind, ann, head=1)
    kind.append("c", 3)
    await feed.catch_up("c")
    assert ann.seqs() == [2, 3]
    await feed.receive(kind.stored["c"][2])
    assert ann.seqs() == [2, 3]


async def test_following_again_keeps_the_head():
    kind = FakeKind()
    feed = feed_with(kind, head=7)
    feed.follow("c", 2)
    assert feed.head("c") == 7


async def test_streams_of_one_feed_keep_their_own_heads():
    kind, ann = FakeKind(), FakeSocket()
    feed = Feed(kind)
    feed.members[ann] = 0
    a, b = kind.append("a", 3), kind.append("b", 2)
    await feed.receive(a[1])  # the first event seen of a stream not followed yet starts it
    await feed.receive(b[0])
    await feed.receive(a[2])
    await feed.receive(b[1])
    await feed.receive(a[0])
    assert ann.seqs("a") == [2, 3]
    assert ann.seqs("b") == [1, 2]
    assert kind.reads == []


async def test_a_departure_takes_only_that_users_sockets_out():
    kind, ann, ann_again, bob = FakeKind(), FakeSocket(1), FakeSocket(1), FakeSocket(2)
    feed = feed_with(kind, ann, ann_again, bob)
    kind.stored["c"] = [Ev("c", 1), Ev("c", 2, leaving=1), Ev("c", 3)]
    for event in kind.stored["c"]:
        await feed.receive(event)
    assert ann.frames == ann_again.frames == [b"c:1", b"left"]
    assert bob.seqs() == [1, 3]
    assert set(feed.members) == {bob}


async def test_a_signal_skips_its_sender_and_may_be_dropped():
    kind, ann, bob = FakeKind(), FakeSocket(1), FakeSocket(2)
    feed = feed_with(kind, ann, bob)
    feed.signal(b"typing", sender_id=1)
    assert ann.dropped_if_behind == []
    assert bob.dropped_if_behind == [b"typing"]


def test_a_position_from_another_epoch_or_past_the_head_is_outdated():
    assert outdated("aa", 3, "bb", 10)  # the store was wiped, or restored from another life
    assert outdated("aa", 12, "aa", 10)  # restored from a backup older than what the client saw
    assert outdated("aa", 3, "", 0)  # the stream is gone
    assert not outdated("aa", 3, "aa", 10)
    assert not outdated("aa", None, "aa", 10)
    assert not outdated(None, 12, "aa", 10)  # no epoch given (the seed's clients): as before
    assert not outdated("", 3, "aa", 10)  # joined while the stream was empty: none known


async def test_a_frame_for_others_reaches_every_socket_but_the_authors_live_only():
    kind = FakeKind()
    author, reader = FakeSocket(user_id=1), FakeSocket(user_id=2)
    feed = feed_with(kind, author, reader)
    await feed.receive(Ev("c", 1, author=1))
    assert (author.frames, reader.frames) == ([b"c:1"], [b"c:1others"])  # one write each
    kind.stored["c"] = [Ev("c", 1, author=1), Ev("c", 2, author=1)]
    late = FakeSocket(user_id=3)
    await feed.replay(late, "c", 0, 2)
    assert late.frames == [b"c:1", b"c:2"]  # a replay carries the stream's events only
