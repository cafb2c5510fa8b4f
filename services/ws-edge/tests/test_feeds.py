"""Feeds open and close with their sockets: over a fake bus, no NATS."""

import asyncio

from parley_contracts import chat
from parley_edge.fanout.channels import CHANNELS
from parley_edge.fanout.conversations import CONVERSATIONS
from parley_edge.fanout.feeds import Feeds


class FakeSubscription:
    def __init__(self, subject: str):
        self.subject = subject
        self.active = True

    async def unsubscribe(self) -> None:
        self.active = False


class FakeBus:
    """Answers every read with nothing stored; a read can be held."""

    def __init__(self):
        self.subscriptions: list[FakeSubscription] = []
        self.hold: asyncio.Event | None = None

    async def listen(self, topic, handler, **params) -> FakeSubscription:
        subscription = FakeSubscription(topic.subject(**params))
        self.subscriptions.append(subscription)
        return subscription

    async def request(self, command, payload):
        if self.hold is not None:
            await self.hold.wait()
        return command.reply(events=[], last_seq=0)

    def active(self) -> set[str]:
        return {s.subject for s in self.subscriptions if s.active}


class FakeSocket:
    def __init__(self, user_id: int):
        self.user_id = user_id

    def push(self, frame: bytes, droppable: bool = False) -> None:
        pass


async def test_a_channel_feed_is_subscribed_while_a_socket_is_in_it():
    bus = FakeBus()
    feeds = Feeds(bus, CHANNELS)
    ann, bob = FakeSocket(1), FakeSocket(2)
    assert await feeds.join(ann, 7, 7, 3, 3) == 3
    assert await feeds.join(bob, 7, 7, 5, 1) == 1  # the feed follows from the head it started at
    assert bus.active() == {"chat.evt.7.>", "chat.typing.7", "chat.presence.7"}
    assert feeds.keys_of(ann) == [7] and feeds.joined_at(bob, 7) == 1
    assert await feeds.leave(ann, 7) and bus.active()
    assert await feeds.leave(bob, 7)
    assert bus.active() == set() and feeds.get(7) is None
    assert not await feeds.leave(bob, 7)


async def test_the_last_socket_leaving_while_another_joins_keeps_the_feed():
    bus = FakeBus()
    feeds = Feeds(bus, CHANNELS)
    ann, bob = FakeSocket(1), FakeSocket(2)
    await feeds.join(ann, 7, 7, 3, 3)
    bus.hold = asyncio.Event()
    joining = asyncio.create_task(feeds.join(bob, 7, 7, 3, 0))  # its replay waits on a read
    await asyncio.sleep(0)
    await feeds.leave(ann, 7)
    bus.hold.set()
    await joining
    assert feeds.joined_at(bob, 7) == 0
    assert bus.active() == {"chat.evt.7.>", "chat.typing.7", "chat.presence.7"}


async def test_a_users_sockets_share_one_conversation_feed():
    bus = FakeBus()
    feeds = Feeds(bus, CONVERSATIONS)
    phone, laptop = FakeSocket(4), FakeSocket(4)
    await feeds.attach(phone, 4)
    await feeds.attach(laptop, 4)
    assert bus.active() == {"dm.evt.user.4.>", "dm.typing.user.4"}
    assert len(bus.subscriptions) == 2
    await feeds.leave(phone, 4)
    await feeds.leave(laptop, 4)
    assert bus.active() == set()


async def test_the_edge_reads_as_itself():
    requests = []

    class RecordingBus(FakeBus):
        async def request(self, command, payload):
            requests.append((command.subject, payload))
            return await super().request(command, payload)

    feeds = Feeds(RecordingBus(), CHANNELS)
    await feeds.join(FakeSocket(1), 7, 7, 0, 0)
    assert requests == [("chat.feed.events_since", chat.ReadChannelEvents(channel_id=7, after_seq=0, limit=500))]
