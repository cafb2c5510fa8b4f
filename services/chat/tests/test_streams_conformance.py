"""The stream contract, run against SQLite, Cassandra and memory."""

import asyncio
from datetime import UTC, datetime, timedelta

from parley_contracts import chat
from parley_runtime.clock import now


def posted(channel_id: int, message_id: int, content: str = "hi", client_msg_id: str | None = None):
    def build(seq: int) -> chat.MessagePosted:
        message = chat.ChannelMessage(id=message_id, channel_id=channel_id, author_id=1, content=content, seq=seq,
                                      created_at=now(), client_msg_id=client_msg_id)  # fmt: skip
        return chat.MessagePosted(channel_id=channel_id, seq=seq, occurred_at=now(), message=message)

    return build


def edited(channel_id: int, message_id: int, content: str):
    return lambda seq: chat.MessageEdited(
        channel_id=channel_id, seq=seq, occurred_at=now(), message_id=message_id, content=content, edited_at=now()
    )


async def test_appends_get_consecutive_seqs_per_channel(streams):
    seqs = [(await streams.append(10, posted(10, i))).event.seq for i in range(1, 4)]
    assert seqs == [1, 2, 3]
    assert (await streams.append(11, posted(11, 99))).event.seq == 1
    assert await streams.head(10) == 3 and await streams.head(11) == 1 and await streams.head(12) == 0


async def test_concurrent_appends_have_no_gap_and_no_duplicate(streams):
    results = await asyncio.gather(*(streams.append(20, posted(20, i)) for i in range(1, 41)))
    assert sorted(r.event.seq for r in results) == list(range(1, 41))
    assert [e.seq for e in await streams.events(20, 0, 100)] == list(range(1, 41))


async def test_an_idempotency_key_returns_the_original(streams):
    key = "1:c-1"
    first = await streams.append(30, posted(30, 1, "first", "c-1"), key)
    second = await streams.append(30, posted(30, 2, "second", "c-1"), key)
    assert not first.duplicate and second.duplicate
    assert second.event == first.event
    assert await streams.head(30) == 1


async def test_events_pages_forward(streams):
    for i in range(1, 8):
        await streams.append(40, posted(40, i))
    page = await streams.events(40, 2, 3)
    assert [e.seq for e in page] == [3, 4, 5]
    assert await streams.events(40, 7, 10) == []


async def test_settle_builds_history_and_newer_events_win(streams):
    for i in range(1, 6):
        await streams.settle((await streams.append(50, posted(50, 100 + i, f"m{i}"))).event)
    edit_late = (await streams.append(50, edited(50, 101, "second edit"))).event
    edit_early_built = edited(50, 101, "first edit")
    # The newer edit is settled first; the older one arriving late must not win.
    await streams.settle(edit_late)
    await streams.settle(edit_early_built(edit_late.seq - 1))
    assert (await streams.message(50, 101)).content == "second edit"
    await streams.settle(edit_late)  # settling twice changes nothing
    assert [m.content for m in await streams.history(50, None, None, 3)] == ["m3", "m4", "m5"]
    assert [m.content for m in await streams.history(50, 3, None, 10)] == ["second edit", "m2"]
    assert [m.seq for m in await streams.history(50, None, 3, 10)] == [4, 5]
    deleted = (await streams.append(50, lambda seq: chat.MessageDeleted(
        channel_id=50, seq=seq, occurred_at=now(), message_id=102))).event  # fmt: skip
    await streams.settle(deleted)
    gone = await streams.message(50, 102)
    assert gone.deleted and gone.content == ""
    assert await streams.message(50, 999) is None


async def test_outbox_hands_back_what_was_not_published(streams):
    a = (await streams.append(60, posted(60, 1))).event
    b = (await streams.append(60, posted(60, 2))).event
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert [e.seq for e in await streams.unsettled(later, 10)] == [1, 2]
    assert await streams.unsettled(datetime.now(UTC) - timedelta(minutes=1), 10) == []
    await streams.mark_published(a.channel_id, a.seq)
    assert [e.seq for e in await streams.unsettled(later, 10)] == [b.seq]


async def test_ping(streams):
    assert await streams.ping()


def reacted(channel_id: int, message_id: int, user_id: int, emoji: str, added: bool = True):
    kind = chat.ReactionAdded if added else chat.ReactionRemoved
    return lambda seq: kind(
        channel_id=channel_id, seq=seq, occurred_at=now(), message_id=message_id, user_id=user_id, emoji=emoji
    )


def pinned(channel_id: int, message_id: int, pin: bool = True):
    kind = chat.MessagePinned if pin else chat.MessageUnpinned
    return lambda seq: kind(channel_id=channel_id, seq=seq, occurred_at=now(), message_id=message_id, user_id=1)


async def appended(streams, channel_id: int, build) -> chat.ChannelEvent:
    return (await streams.append(channel_id, build)).event


async def test_a_message_is_found_by_its_id_alone(streams):
    await streams.settle(await appended(streams, 70, posted(70, 701, "here")))
    assert (await streams.message_by_id(701)).channel_id == 70
    assert await streams.message(71, 701) is None  # not in another channel
    assert await streams.message_by_id(702) is None


async def test_reactions_commute_whatever_order_they_settle_in(streams):
    await streams.settle(await appended(streams, 80, posted(80, 801)))
    events = [
        await appended(streams, 80, reacted(80, 801, 2, "👍")),
        await appended(streams, 80, reacted(80, 801, 3, "🎉")),
        await appended(streams, 80, reacted(80, 801, 3, "👍")),
        await appended(streams, 80, reacted(80, 801, 2, "👍", added=False)),
        await appended(streams, 80, edited(80, 801, "edited")),
    ]
    # Settled newest first, then all again: a late add never undoes the newer removal.
    for event in [*events[::-1], *events]:
        await streams.settle(event)
    message = await streams.message(80, 801)
    assert message.content == "edited"
    assert [(r.emoji, r.count, r.user_ids) for r in message.reactions] == [("🎉", 1, [3]), ("👍", 1, [3])]
    [page] = await streams.history(80, None, None, 10)
    assert page.reactions == message.reactions
    assert (await streams.message_by_id(801)).reactions == message.reactions


async def test_pins_list_in_pin_order_and_leave_with_their_message(streams):
    for n in (1, 2, 3):
        await streams.settle(await appended(streams, 90, posted(90, 900 + n, f"m{n}")))
    events = [
        await appended(streams, 90, pinned(90, 903)),
        await appended(streams, 90, pinned(90, 901)),
        await appended(streams, 90, pinned(90, 902)),
        await appended(streams, 90, pinned(90, 903, pin=False)),
    ]
    for event in events[::-1]:  # late pins never undo the unpin
        await streams.settle(event)
    assert [m.id for m in await streams.pinned(90)] == [901, 902]
    await streams.settle(await appended(streams, 90, pinned(90, 903)))  # pinned again: last in the list
    await streams.settle(await appended(streams, 90, reacted(90, 902, 2, "👍")))
    assert [(m.id, len(m.reactions or [])) for m in await streams.pinned(90)] == [(901, 0), (902, 1), (903, 0)]
    await streams.settle(await appended(streams, 90, lambda seq: chat.MessageDeleted(
        channel_id=90, seq=seq, occurred_at=now(), message_id=902)))  # fmt: skip
    assert [m.id for m in await streams.pinned(90)] == [901, 903]
    assert (await streams.message(90, 902)).reactions is None  # a tombstone shows no reactions
    assert await streams.pinned(91) == []


def replied(channel_id: int, message_id: int, parent_id: int, at: datetime):
    def build(seq: int) -> chat.MessagePosted:
        message = chat.ChannelMessage(id=message_id, channel_id=channel_id, author_id=2, content=f"re {message_id}",
                                      seq=seq, created_at=at, reply_to=parent_id)  # fmt: skip
        return chat.MessagePosted(channel_id=channel_id, seq=seq, occurred_at=at, message=message)

    return build


async def test_threads_count_their_replies_and_list_them_in_order(streams):
    for build in (posted(70, 1, "root"), posted(70, 2, "other")):
        await streams.settle((await streams.append(70, build)).event)
    first, last = now() - timedelta(seconds=5), now()
    replies = []
    for message_id, at in ((3, first), (4, first), (5, last)):
        replies.append((await streams.append(70, replied(70, message_id, 1, at))).event)
    for event in [replies[2], replies[0], replies[1], replies[2]]:  # out of order, and once again
        await streams.settle(event)
    root, other, *_ = await streams.history(70, None, None, 10)
    assert (root.reply_count, root.last_reply_at) == (3, last)
    assert (other.reply_count, other.last_reply_at) == (0, None)
    assert [m.id for m in await streams.thread(70, 1, None, 10)] == [3, 4, 5]
    assert [m.id for m in await streams.thread(70, 1, replies[0].seq, 1)] == [4]
    assert await streams.thread(70, 2, None, 10) == []
    assert (await streams.message_by_id(4)).channel_id == 70 and await streams.message_by_id(999) is None


def read_by(channel_id: int, message_id: int, user_id: int):
    return lambda seq: chat.MessageRead(
        channel_id=channel_id, seq=seq, occurred_at=now(), message_id=message_id, user_id=user_id
    )


async def test_a_read_position_only_moves_forward(streams):
    for message_id in (1, 2, 3):
        await streams.settle((await streams.append(80, posted(80, message_id))).event)
    assert await streams.read_position(80, 7) == 0
    furthest = (await streams.append(80, read_by(80, 3, 7))).event
    older = (await streams.append(80, read_by(80, 1, 7))).event
    for event in (furthest, older, furthest):
        await streams.settle(event)
    assert await streams.read_position(80, 7) == 3
    await streams.settle((await streams.append(80, read_by(80, 999, 8))).event)  # an unknown message moves nothing
    assert (await streams.read_position(80, 8), await streams.read_position(81, 7)) == (0, 0)
