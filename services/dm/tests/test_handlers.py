"""The DM service's rules, handler by handler, on the in-memory store (which passes the
DM store conformance suite with SQLite and Cassandra): milliseconds each, no server.
The end-to-end tests in `tests/` run the same rules through NATS and the real stores.

Each command goes through its handler and then the real outbox relay, as in the
service, with a list standing for the bus (`parley_testkit.handlers`)."""

import pytest

from parley_contracts import dm
from parley_contracts.errors import ErrorCode
from parley_dm import handlers
from parley_dm.handlers import Ports
from parley_dm.store_memory import MemoryDmStore
from parley_storage.id_blocks import IdBlocks
from parley_testkit.handlers import Handlers

ADA, BOB, CAROL = 1, 2, 3
USERS = {ADA, BOB, CAROL}
ADA_BOB = dm.conversation_id(ADA, BOB)


@pytest.fixture
def service() -> Handlers:
    store = MemoryDmStore()

    async def known_users(ids: list[int]) -> set[int]:
        return set(ids) & USERS

    ports = Ports(store, IdBlocks(store.reserve_ids), known_users)
    return Handlers(ports, store, stream_of=lambda event: event.conversation_id)


async def send(service: Handlers, sender: int, recipient: int, content: str = "hi", **fields) -> dm.DirectMessage:
    reply = await service(handlers.send, actor_id=sender, recipient_id=recipient, content=content, **fields)
    return reply.message


async def test_a_message_goes_to_the_pair_s_conversation_and_is_published(service):
    message = await send(service, BOB, ADA, "hello")
    assert (message.conversation_id, message.seq, message.sender_id) == (ADA_BOB, 1, BOB)
    assert [(e.type, e.conversation_id, e.seq) for e in service.published] == [("direct_message_sent", ADA_BOB, 1)]
    history = await service(handlers.history, actor_id=ADA, conversation_id=ADA_BOB)
    assert history.messages == [message]


async def test_a_message_needs_another_user_who_exists(service):
    await service.refused(ErrorCode.BAD_REQUEST, handlers.send, actor_id=ADA, recipient_id=ADA, content="me")
    await service.refused(ErrorCode.NOT_FOUND, handlers.send, actor_id=ADA, recipient_id=77, content="anyone?")


async def test_a_blocked_sender_is_refused_and_unblocking_lets_them_through(service):
    await service(handlers.block, actor_id=BOB, user_id=ADA)
    await service.refused(ErrorCode.BLOCKED, handlers.send, actor_id=ADA, recipient_id=BOB, content="hi")
    assert (await send(service, BOB, ADA, "you may not answer")).seq == 1  # blocking is one way
    await service(handlers.unblock, actor_id=BOB, user_id=ADA)
    assert (await send(service, ADA, BOB)).seq == 2


async def test_nobody_blocks_themselves(service):
    await service.refused(ErrorCode.BAD_REQUEST, handlers.block, actor_id=ADA, user_id=ADA)


async def test_a_retried_send_is_stored_once(service):
    first = await service(handlers.send, actor_id=ADA, recipient_id=BOB, content="a", client_msg_id="c1")
    retry = await service(handlers.send, actor_id=ADA, recipient_id=BOB, content="a", client_msg_id="c1")
    answer = await service(handlers.send, actor_id=BOB, recipient_id=ADA, content="a", client_msg_id="c1")
    assert not first.duplicate and retry.duplicate and retry.message == first.message
    assert not answer.duplicate and answer.message.seq == 2  # the same id from the other author is another message
    assert [e.seq for e in service.published] == [1, 1, 2]  # the retry delivers the original again


async def test_only_the_two_participants_read_a_conversation(service):
    await send(service, ADA, BOB)
    for handler, fields in (
        (handlers.history, {}),
        (handlers.authorize, {}),
        (handlers.events_since, {"after_seq": 0}),
    ):
        await service.refused(ErrorCode.FORBIDDEN, handler, actor_id=CAROL, conversation_id=ADA_BOB, **fields)
    assert (await service(handlers.authorize, actor_id=BOB, conversation_id=ADA_BOB)).last_seq == 1


async def test_only_the_recipient_marks_a_message_read(service):
    message = await send(service, ADA, BOB)
    await service.refused(ErrorCode.BAD_REQUEST, handlers.mark_read, actor_id=ADA, message_id=message.id)
    await service.refused(ErrorCode.FORBIDDEN, handlers.mark_read, actor_id=CAROL, message_id=message.id)
    await service.refused(ErrorCode.NOT_FOUND, handlers.mark_read, actor_id=BOB, message_id=999)
    await service(handlers.mark_read, actor_id=BOB, message_id=message.id)
    read = service.published[-1]
    assert isinstance(read, dm.DirectMessageRead) and (read.seq, read.read_by) == (2, BOB)
    assert (await service.ports.store.message(message.id)).read_at is not None


async def test_the_inbox_counts_what_is_unread_until_it_is_read(service):
    await send(service, ADA, BOB, "one")
    last = await send(service, ADA, BOB, "two")
    await send(service, CAROL, BOB, "from carol")
    inbox = (await service(handlers.inbox, actor_id=BOB)).conversations
    assert [(e.other_user_id, e.unread) for e in inbox] == [(CAROL, 1), (ADA, 2)]  # the most recent first
    assert [e.unread for e in (await service(handlers.inbox, actor_id=ADA)).conversations] == [0]
    await service(handlers.mark_read, actor_id=BOB, message_id=last.id)
    unread = {e.other_user_id: e.unread for e in (await service(handlers.inbox, actor_id=BOB)).conversations}
    assert unread == {CAROL: 1, ADA: 0}


async def test_events_since_resumes_after_a_seq(service):
    for n in range(4):
        await send(service, ADA, BOB, f"m{n}")
    batch = await service(handlers.events_since, actor_id=BOB, conversation_id=ADA_BOB, after_seq=2)
    assert ([e.seq for e in batch.events], batch.last_seq) == ([3, 4], 4)


async def test_the_edges_read_names_no_user_and_carries_the_epoch(service):
    for n in range(3):
        await send(service, ADA, BOB, f"m{n}")
    authorized = await service(handlers.authorize, actor_id=ADA, conversation_id=ADA_BOB)
    batch = await service(handlers.feed_events_since, conversation_id=ADA_BOB, after_seq=1, limit=1)
    assert ([e.seq for e in batch.events], batch.last_seq) == ([2], 3)  # one page; the head says more are there
    assert batch.epoch == authorized.epoch and len(batch.epoch) == 8


async def test_the_sender_edits_and_deletes_their_own_messages(service):
    message = await send(service, ADA, BOB, "helo")
    edited = await service(handlers.edit_message, actor_id=ADA, message_id=message.id, content="hello")
    assert (edited.content, edited.edited_at is not None) == ("hello", True)
    await service(handlers.delete_message, actor_id=ADA, message_id=message.id)
    assert [type(e) for e in service.published[-2:]] == [dm.DirectMessageEdited, dm.DirectMessageDeleted]
    [tombstone] = (await service(handlers.history, actor_id=BOB, conversation_id=ADA_BOB)).messages
    assert (tombstone.deleted, tombstone.content) == (True, "")


async def test_only_the_sender_edits_or_deletes_and_only_what_is_there(service):
    message = await send(service, ADA, BOB, "mine")
    await service.refused(ErrorCode.FORBIDDEN, handlers.edit_message, actor_id=BOB, message_id=message.id, content="x")
    await service.refused(ErrorCode.FORBIDDEN, handlers.delete_message, actor_id=BOB, message_id=message.id)
    await service.refused(ErrorCode.FORBIDDEN, handlers.delete_message, actor_id=CAROL, message_id=message.id)
    await service.refused(ErrorCode.NOT_FOUND, handlers.edit_message, actor_id=ADA, message_id=999, content="x")
    await service(handlers.delete_message, actor_id=ADA, message_id=message.id)
    await service.refused(ErrorCode.NOT_FOUND, handlers.delete_message, actor_id=ADA, message_id=message.id)
    await service.refused(ErrorCode.NOT_FOUND, handlers.edit_message, actor_id=ADA, message_id=message.id, content="y")
