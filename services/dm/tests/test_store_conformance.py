"""The DM store contract, run against SQLite, Cassandra and memory."""

import asyncio
from datetime import UTC, datetime, timedelta

from parley_contracts import dm
from parley_runtime.clock import now

ADA, BOB, CAROL = 1, 2, 3


def sent(sender: int, recipient: int, message_id: int, content: str = "hi", client_msg_id: str | None = None):
    conv = dm.conversation_id(sender, recipient)

    def build(seq: int) -> dm.DirectMessageSent:
        message = dm.DirectMessage(id=message_id, conversation_id=conv, sender_id=sender, recipient_id=recipient,
                                   content=content, client_msg_id=client_msg_id, seq=seq, created_at=now())  # fmt: skip
        return dm.DirectMessageSent(conversation_id=conv, seq=seq, occurred_at=now(), message=message)

    return conv, build


def read(conv: str, message_id: int, reader: int):
    return lambda seq: dm.DirectMessageRead(
        conversation_id=conv, seq=seq, occurred_at=now(), message_id=message_id, read_by=reader, read_at=now()
    )


async def send(store, sender, recipient, message_id, content="hi"):
    conv, build = sent(sender, recipient, message_id, content)
    event = (await store.append(conv, build)).event
    await store.settle(event)
    return event


async def test_conversation_seqs_are_gap_free_even_when_concurrent(store):
    conv, _ = sent(ADA, BOB, 0)
    results = await asyncio.gather(*(store.append(conv, sent(ADA, BOB, 100 + i)[1]) for i in range(30)))
    assert sorted(r.event.seq for r in results) == list(range(1, 31))
    assert await store.head(conv) == 30
    assert [e.seq for e in await store.events(conv, 25, 10)] == [26, 27, 28, 29, 30]


async def test_an_idempotency_key_returns_the_original(store):
    conv, first_build = sent(ADA, BOB, 1, "first", "k1")
    _, second_build = sent(ADA, BOB, 2, "second", "k1")
    first = await store.append(conv, first_build, "1:k1")
    second = await store.append(conv, second_build, "1:k1")
    assert second.duplicate and second.event == first.event


async def test_history_and_messages_by_id(store):
    for i in range(1, 6):
        await send(store, ADA if i % 2 else BOB, BOB if i % 2 else ADA, 10 + i, f"m{i}")
    conv = dm.conversation_id(ADA, BOB)
    assert [m.content for m in await store.history(conv, None, None, 3)] == ["m3", "m4", "m5"]
    assert [m.content for m in await store.history(conv, 3, None, 10)] == ["m1", "m2"]
    assert [m.content for m in await store.history(conv, None, 4, 10)] == ["m5"]
    assert (await store.message(12)).content == "m2"
    assert await store.message(999) is None


async def test_inbox_counts_unread_and_reads_clear_them(store):
    for n in range(3):
        await send(store, ADA, BOB, 20 + n, f"to bob {n}")
    await send(store, CAROL, BOB, 30, "from carol")
    inbox = {e.conversation_id: e for e in await store.inbox(BOB)}
    ada_bob, bob_carol = dm.conversation_id(ADA, BOB), dm.conversation_id(BOB, CAROL)
    assert inbox[ada_bob].unread == 3 and inbox[bob_carol].unread == 1
    assert inbox[ada_bob].other_user_id == ADA and inbox[ada_bob].last_message.content == "to bob 2"
    assert (await store.inbox(BOB))[0].conversation_id == bob_carol  # most recent first
    assert (await store.inbox(ADA))[0].unread == 0  # your own messages are not unread

    event = (await store.append(ada_bob, read(ada_bob, 21, BOB))).event
    await store.settle(event)
    await store.settle(event)  # settling twice changes nothing
    inbox = {e.conversation_id: e for e in await store.inbox(BOB)}
    assert inbox[ada_bob].unread == 1
    assert (await store.message(21)).read_at is not None


async def test_blocks(store):
    assert not await store.is_blocked(BOB, ADA)
    await store.set_blocked(BOB, ADA, True)
    assert await store.is_blocked(BOB, ADA) and not await store.is_blocked(ADA, BOB)
    await store.set_blocked(BOB, ADA, False)
    assert not await store.is_blocked(BOB, ADA)


async def test_outbox_and_ids(store):
    conv, build = sent(ADA, BOB, 1)
    event = (await store.append(conv, build)).event
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert [e.seq for e in await store.unsettled(later, 10)] == [event.seq]
    await store.mark_published(conv, event.seq)
    assert await store.unsettled(later, 10) == []
    lasts = await asyncio.gather(*(store.reserve_ids(10) for _ in range(8)))
    assert len({n for last in lasts for n in range(last - 9, last + 1)}) == 80
    assert await store.ping()


async def test_edits_and_deletes_shape_history_inboxes_and_unread(store):
    first, *_ = [await send(store, ADA, BOB, 300 + i, f"m{i}") for i in range(3)]
    conv = first.conversation_id

    def edited(message_id: int, content: str):
        return lambda seq: dm.DirectMessageEdited(
            conversation_id=conv, seq=seq, occurred_at=now(), message_id=message_id, content=content, edited_at=now()
        )

    def deleted(message_id: int):
        return lambda seq: dm.DirectMessageDeleted(
            conversation_id=conv, seq=seq, occurred_at=now(), message_id=message_id
        )

    edit_early = (await store.append(conv, edited(300, "first edit"))).event
    edit_late = (await store.append(conv, edited(300, "second edit"))).event
    gone = (await store.append(conv, deleted(302))).event
    for event in (edit_late, edit_early, gone, edit_late, gone):  # late, older, and again: the newest stays
        await store.settle(event)
    history = await store.history(conv, None, None, 10)
    assert [(m.content, m.edited_at is not None, m.deleted) for m in history] == [
        ("second edit", True, False), ("m1", False, False), ("", False, True),
    ]  # fmt: skip
    assert (await store.message(302)).deleted
    late_edit_of_deleted = (await store.append(conv, edited(302, "back?"))).event
    await store.settle(late_edit_of_deleted)
    assert (await store.message(302)).content == ""
    [bob] = await store.inbox(BOB)
    assert bob.unread == 2  # the deleted message is not counted
    assert bob.last_message.id == 302 and bob.last_message.deleted and bob.last_message.content == ""
    [ada] = await store.inbox(ADA)
    assert ada.last_message.deleted
