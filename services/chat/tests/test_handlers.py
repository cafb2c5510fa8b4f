"""Chat's rules, handler by handler, on the in-memory adapters (which pass the same
conformance suites as SQLite, MongoDB and Cassandra): milliseconds each, no server.
The end-to-end tests in `tests/` run the same rules through NATS and the real stores.

Each command goes through its handler and then the real outbox relay, as in the
service, with a list standing for the bus (`parley_testkit.handlers`)."""

import pytest

from parley_chat import handlers, message_changes, unread
from parley_chat.directory_memory import MemoryDirectory
from parley_chat.handlers import Ports
from parley_chat.streams_memory import MemoryStreams
from parley_contracts import chat
from parley_contracts.chat import ChannelType, WorkspaceRole
from parley_contracts.errors import ErrorCode
from parley_storage.id_blocks import IdBlocks
from parley_testkit.handlers import Handlers

OWNER, ADMIN, MEMBER, STRANGER, ASSISTANT = 1, 2, 3, 4, 5
USERS = {OWNER, ADMIN, MEMBER, STRANGER, ASSISTANT}


@pytest.fixture
def service() -> Handlers:
    directory = MemoryDirectory()
    streams = MemoryStreams()

    async def known_users(ids: list[int]) -> set[int]:
        return set(ids) & USERS

    async def assistant_id() -> int:
        return ASSISTANT

    ports = Ports(directory, streams, IdBlocks(directory.reserve_ids), known_users, assistant_id)
    return Handlers(ports, streams, stream_of=lambda event: event.channel_id)


@pytest.fixture
async def workspace(service: Handlers) -> chat.Workspace:
    """A workspace with an owner, an admin and a member."""
    ws = await service(handlers.create_workspace, actor_id=OWNER, name="Acme")
    await service(handlers.add_member, actor_id=OWNER, workspace_id=ws.id, user_id=ADMIN, role=WorkspaceRole.ADMIN)
    await service(handlers.add_member, actor_id=ADMIN, workspace_id=ws.id, user_id=MEMBER)
    return ws


@pytest.fixture
async def general(service: Handlers, workspace: chat.Workspace) -> chat.Channel:
    return await service(handlers.create_channel, actor_id=OWNER, workspace_id=workspace.id, name="general")


async def post(
    service: Handlers, channel: chat.Channel, actor: int, content: str = "hi", **fields
) -> chat.ChannelMessage:
    reply = await service(handlers.post_message, actor_id=actor, channel_id=channel.id, content=content, **fields)
    return reply.message


# Workspaces and members -------------------------------------------------------


async def test_the_creator_owns_the_workspace_and_only_members_see_it(service, workspace):
    detail = await service(handlers.get_workspace, actor_id=MEMBER, workspace_id=workspace.id)
    assert {(m.user_id, m.role) for m in detail.members} == {
        (OWNER, WorkspaceRole.OWNER), (ADMIN, WorkspaceRole.ADMIN), (MEMBER, WorkspaceRole.MEMBER),
    }  # fmt: skip
    await service.refused(ErrorCode.FORBIDDEN, handlers.get_workspace, actor_id=STRANGER, workspace_id=workspace.id)
    await service.refused(ErrorCode.NOT_FOUND, handlers.get_workspace, actor_id=OWNER, workspace_id=999)
    listed = await service(handlers.list_workspaces, actor_id=STRANGER)
    assert listed.workspaces == []


async def test_only_managers_add_members_and_only_users_who_exist(service, workspace):
    ws = workspace.id
    await service.refused(ErrorCode.FORBIDDEN, handlers.add_member, actor_id=MEMBER, workspace_id=ws, user_id=STRANGER)
    await service.refused(ErrorCode.NOT_FOUND, handlers.add_member, actor_id=OWNER, workspace_id=ws, user_id=77)
    again = await service(handlers.add_member, actor_id=OWNER, workspace_id=ws, user_id=ADMIN)
    assert again.role is WorkspaceRole.ADMIN  # adding again keeps the role


async def test_the_owner_is_never_removed(service, workspace):
    ws = workspace.id
    await service.refused(ErrorCode.FORBIDDEN, handlers.remove_member, actor_id=ADMIN, workspace_id=ws, user_id=OWNER)
    await service.refused(ErrorCode.FORBIDDEN, handlers.remove_member, actor_id=OWNER, workspace_id=ws, user_id=OWNER)


async def test_only_the_owner_removes_an_admin(service, workspace):
    ws = workspace.id
    await service(handlers.add_member, actor_id=OWNER, workspace_id=ws, user_id=STRANGER, role=WorkspaceRole.ADMIN)
    await service.refused(
        ErrorCode.FORBIDDEN, handlers.remove_member, actor_id=ADMIN, workspace_id=ws, user_id=STRANGER
    )
    await service(handlers.remove_member, actor_id=OWNER, workspace_id=ws, user_id=STRANGER)
    assert await service.ports.directory.role_of(ws, STRANGER) is None


async def test_members_remove_nobody_and_a_non_member_cannot_be_removed(service, workspace):
    ws = workspace.id
    await service.refused(ErrorCode.FORBIDDEN, handlers.remove_member, actor_id=MEMBER, workspace_id=ws, user_id=ADMIN)
    await service.refused(
        ErrorCode.NOT_FOUND, handlers.remove_member, actor_id=OWNER, workspace_id=ws, user_id=STRANGER
    )


async def test_a_removal_is_an_event_in_every_channel_of_the_workspace(service, workspace, general):
    news = await service(handlers.create_channel, actor_id=OWNER, workspace_id=workspace.id, name="news",
                         type=ChannelType.ANNOUNCEMENT)  # fmt: skip
    await post(service, general, MEMBER)
    await service(handlers.remove_member, actor_id=ADMIN, workspace_id=workspace.id, user_id=MEMBER)
    removals = [e for e in service.published if isinstance(e, chat.MemberRemoved)]
    assert {(e.channel_id, e.seq, e.user_id) for e in removals} == {(general.id, 2, MEMBER), (news.id, 1, MEMBER)}
    await service.refused(ErrorCode.FORBIDDEN, handlers.post_message, actor_id=MEMBER, channel_id=general.id,
                          content="still here?")  # fmt: skip


# Channels ----------------------------------------------------------------------


async def test_only_managers_create_channels_and_names_are_unique_in_any_case(service, workspace, general):
    ws = workspace.id
    await service.refused(ErrorCode.FORBIDDEN, handlers.create_channel, actor_id=MEMBER, workspace_id=ws, name="x")
    await service.refused(ErrorCode.CONFLICT, handlers.create_channel, actor_id=ADMIN, workspace_id=ws, name="GENERAL")
    listed = await service(handlers.list_channels, actor_id=MEMBER, workspace_id=ws)
    assert [c.name for c in listed.channels] == ["general"]
    await service.refused(ErrorCode.FORBIDDEN, handlers.list_channels, actor_id=STRANGER, workspace_id=ws)


async def test_a_direct_channel_is_one_per_pair_of_real_other_users(service):
    first = await service(handlers.open_direct_channel, actor_id=OWNER, other_user_id=STRANGER)
    again = await service(handlers.open_direct_channel, actor_id=STRANGER, other_user_id=OWNER)
    assert first.id == again.id and sorted(first.member_ids) == [OWNER, STRANGER]
    await service.refused(ErrorCode.BAD_REQUEST, handlers.open_direct_channel, actor_id=OWNER, other_user_id=OWNER)
    await service.refused(ErrorCode.NOT_FOUND, handlers.open_direct_channel, actor_id=OWNER, other_user_id=77)
    await service.refused(ErrorCode.FORBIDDEN, handlers.authorize_join, actor_id=MEMBER, channel_id=first.id)
    await post(service, first, STRANGER)
    assert (await service(handlers.authorize_join, actor_id=OWNER, channel_id=first.id)).last_seq == 1
    assert [c.id for c in (await service(handlers.list_direct_channels, actor_id=OWNER)).channels] == [first.id]


async def test_joining_needs_membership_and_tells_the_head(service, general):
    await post(service, general, MEMBER)
    joined = await service(handlers.authorize_join, actor_id=MEMBER, channel_id=general.id)
    assert (joined.channel.id, joined.last_seq) == (general.id, 1)
    await service.refused(ErrorCode.FORBIDDEN, handlers.authorize_join, actor_id=STRANGER, channel_id=general.id)
    await service.refused(ErrorCode.NOT_FOUND, handlers.authorize_join, actor_id=MEMBER, channel_id=999)


# Messages ----------------------------------------------------------------------


async def test_only_managers_post_in_an_announcement_channel(service, workspace):
    news = await service(handlers.create_channel, actor_id=OWNER, workspace_id=workspace.id, name="news",
                         type=ChannelType.ANNOUNCEMENT)  # fmt: skip
    await service.refused(ErrorCode.FORBIDDEN, handlers.post_message, actor_id=MEMBER, channel_id=news.id, content="x")
    assert (await post(service, news, ADMIN, "by the admin")).seq == 1
    assert (await post(service, news, OWNER, "by the owner")).seq == 2


async def test_a_post_is_stored_published_and_in_history(service, general):
    message = await post(service, general, MEMBER, "hello", mentions=[OWNER])
    assert (message.seq, message.author_id, message.mentions) == (1, MEMBER, [OWNER])
    assert [(e.type, e.seq) for e in service.published] == [("message_posted", 1)]
    history = await service(handlers.history, actor_id=OWNER, channel_id=general.id)
    assert history.messages == [message]
    await service.refused(ErrorCode.FORBIDDEN, handlers.post_message, actor_id=STRANGER, channel_id=general.id,
                          content="let me in")  # fmt: skip
    await service.refused(ErrorCode.FORBIDDEN, handlers.history, actor_id=STRANGER, channel_id=general.id)


async def test_a_retried_send_is_stored_once_per_author(service, general):
    first = await service(
        handlers.post_message, actor_id=MEMBER, channel_id=general.id, content="a", client_msg_id="c1"
    )
    retry = await service(
        handlers.post_message, actor_id=MEMBER, channel_id=general.id, content="a", client_msg_id="c1"
    )
    other = await service(handlers.post_message, actor_id=ADMIN, channel_id=general.id, content="a", client_msg_id="c1")
    assert not first.duplicate and retry.duplicate and retry.message == first.message
    assert not other.duplicate and other.message.id != first.message.id
    assert [e.seq for e in service.published] == [1, 1, 2]  # the retry delivers the original again


async def test_a_reply_must_be_to_a_message_of_the_same_channel(service, workspace, general):
    random = await service(handlers.create_channel, actor_id=OWNER, workspace_id=workspace.id, name="random")
    elsewhere = await post(service, random, MEMBER)
    await service.refused(ErrorCode.NOT_FOUND, handlers.post_message, actor_id=MEMBER, channel_id=general.id,
                          content="re", reply_to=elsewhere.id)  # fmt: skip
    here = await post(service, general, MEMBER)
    assert (await post(service, general, OWNER, "re", reply_to=here.id)).reply_to == here.id


async def test_the_assistant_acts_where_the_workspace_enables_it(service, workspace, general):
    assert (await post(service, general, ASSISTANT, "beep")).author_id == ASSISTANT
    await service.refused(ErrorCode.FORBIDDEN, handlers.set_assistant_enabled, actor_id=MEMBER,
                          workspace_id=workspace.id, enabled=False)  # fmt: skip
    await service(handlers.set_assistant_enabled, actor_id=ADMIN, workspace_id=workspace.id, enabled=False)
    await service.refused(ErrorCode.FORBIDDEN, handlers.post_message, actor_id=ASSISTANT, channel_id=general.id,
                          content="beep")  # fmt: skip
    await service.refused(ErrorCode.FORBIDDEN, handlers.history, actor_id=ASSISTANT, channel_id=general.id)


async def test_only_the_author_edits_found_by_the_message_id_alone(service, general):
    message = await post(service, general, MEMBER, "draft")
    await service.refused(ErrorCode.FORBIDDEN, message_changes.edit_message, actor_id=OWNER, message_id=message.id,
                          content="mine now")  # fmt: skip
    edited = await service(message_changes.edit_message, actor_id=MEMBER, message_id=message.id, content="final")
    assert edited.content == "final" and edited.edited_at is not None
    assert (await service.ports.streams.message(general.id, message.id)).content == "final"
    event = service.published[-1]
    assert isinstance(event, chat.MessageEdited) and (event.channel_id, event.content) == (general.id, "final")
    await service.refused(ErrorCode.NOT_FOUND, message_changes.edit_message, actor_id=MEMBER, message_id=999,
                          content="x")  # fmt: skip


async def test_a_message_named_with_another_channel_or_by_a_stranger_is_refused(service, workspace, general):
    other = await service(handlers.create_channel, actor_id=OWNER, workspace_id=workspace.id, name="other")
    message = await post(service, general, MEMBER)
    for handler, fields in ((message_changes.edit_message, {"content": "x"}), (message_changes.delete_message, {}),
                            (message_changes.add_reaction, {"emoji": "👍"}),
                            (message_changes.pin_message, {}), (message_changes.mark_delivered, {})):  # fmt: skip
        await service.refused(ErrorCode.NOT_FOUND, handler, actor_id=MEMBER, channel_id=other.id,
                              message_id=message.id, **fields)  # fmt: skip
        await service.refused(ErrorCode.FORBIDDEN, handler, actor_id=STRANGER, channel_id=general.id,
                              message_id=message.id, **fields)  # fmt: skip
    await service.refused(ErrorCode.FORBIDDEN, message_changes.add_reaction, actor_id=STRANGER,
                          message_id=message.id, emoji="👍")  # fmt: skip


async def test_the_author_or_a_manager_deletes_and_a_deleted_message_stays_deleted(service, general):
    mine, theirs = await post(service, general, MEMBER, "mine"), await post(service, general, ADMIN, "theirs")
    await service(message_changes.add_reaction, actor_id=OWNER, message_id=mine.id, emoji="👍")
    await service(message_changes.pin_message, actor_id=OWNER, channel_id=general.id, message_id=mine.id)
    await service.refused(ErrorCode.FORBIDDEN, message_changes.delete_message, actor_id=MEMBER, message_id=theirs.id)
    await service(message_changes.delete_message, actor_id=MEMBER, channel_id=general.id, message_id=mine.id)
    await service(message_changes.delete_message, actor_id=OWNER, message_id=theirs.id)
    history = (await service(handlers.history, actor_id=MEMBER, channel_id=general.id)).messages
    assert [(m.deleted, m.content, m.reactions) for m in history] == [(True, "", None), (True, "", None)]
    assert (await service(message_changes.pinned, actor_id=MEMBER, channel_id=general.id)).messages == []
    for handler, fields in ((message_changes.edit_message, {"content": "back"}), (message_changes.delete_message, {}),
                            (message_changes.add_reaction, {"emoji": "👍"}), (message_changes.pin_message, {}),
                            (unread.mark_read, {})):  # fmt: skip
        await service.refused(ErrorCode.NOT_FOUND, handler, actor_id=MEMBER, channel_id=general.id,
                              message_id=mine.id, **fields)  # fmt: skip


async def test_reactions_are_one_per_user_and_emoji_and_history_counts_them(service, general):
    message = await post(service, general, OWNER)
    for actor, emoji in ((MEMBER, "👍"), (ADMIN, "🎉"), (ADMIN, "👍"), (MEMBER, "👍")):
        await service(message_changes.add_reaction, actor_id=actor, message_id=message.id, emoji=emoji)
    assert [type(e).__name__ for e in service.published[-3:]] == ["ReactionAdded"] * 3  # the repeat added nothing
    [seen] = (await service(handlers.history, actor_id=MEMBER, channel_id=general.id)).messages
    assert [(r.emoji, r.count, r.user_ids, r.reacted) for r in seen.reactions] == [
        ("👍", 2, [MEMBER, ADMIN], True), ("🎉", 1, [ADMIN], False),
    ]  # fmt: skip
    await service(message_changes.remove_reaction, actor_id=MEMBER, channel_id=general.id, message_id=message.id,
                  emoji="👍")  # fmt: skip
    removed = service.published[-1]
    assert isinstance(removed, chat.ReactionRemoved) and (removed.user_id, removed.emoji) == (MEMBER, "👍")
    await service(message_changes.remove_reaction, actor_id=MEMBER, message_id=message.id, emoji="👍")
    assert service.published[-1] is removed  # removing what is not there adds nothing
    [seen] = (await service(handlers.history, actor_id=MEMBER, channel_id=general.id)).messages
    # Emoji are ordered by their oldest reaction still there: the admin's 👍 came after 🎉.
    assert [(r.emoji, r.count, r.reacted) for r in seen.reactions] == [("🎉", 1, False), ("👍", 1, False)]


async def test_pins_list_in_pin_order_and_a_repeat_changes_nothing(service, general):
    first, second = await post(service, general, OWNER, "first"), await post(service, general, OWNER, "second")
    for message in (second, first, second):
        await service(message_changes.pin_message, actor_id=MEMBER, channel_id=general.id, message_id=message.id)
    assert [type(e).__name__ for e in service.published[-2:]] == ["MessagePinned"] * 2
    pinned = (await service(message_changes.pinned, actor_id=MEMBER, channel_id=general.id)).messages
    assert [m.content for m in pinned] == ["second", "first"]
    await service(message_changes.unpin_message, actor_id=ADMIN, channel_id=general.id, message_id=second.id)
    unpinned = service.published[-1]
    assert isinstance(unpinned, chat.MessageUnpinned) and unpinned.user_id == ADMIN
    pinned = (await service(message_changes.pinned, actor_id=MEMBER, channel_id=general.id)).messages
    assert [m.content for m in pinned] == ["first"]
    await service.refused(ErrorCode.FORBIDDEN, message_changes.pinned, actor_id=STRANGER, channel_id=general.id)


async def test_a_delivery_receipt_is_one_event_per_member_and_none_for_the_author(service, general):
    message = await post(service, general, OWNER)
    for actor in (MEMBER, MEMBER, OWNER):
        await service(message_changes.mark_delivered, actor_id=actor, channel_id=general.id, message_id=message.id)
    [delivered] = [e for e in service.published if isinstance(e, chat.MessageDelivered)]
    assert (delivered.user_id, delivered.author_id, delivered.message_id) == (MEMBER, OWNER, message.id)


async def test_a_read_receipt_is_an_event_of_the_channel(service, general):
    message = await post(service, general, ADMIN)
    await service(unread.mark_read, actor_id=MEMBER, channel_id=general.id, message_id=message.id)
    read = service.published[-1]
    assert isinstance(read, chat.MessageRead) and (read.seq, read.user_id, read.message_id) == (2, MEMBER, message.id)


async def test_events_since_resumes_after_a_seq_for_members_only(service, general):
    for n in range(5):
        await post(service, general, MEMBER, f"m{n}")
    batch = await service(handlers.events_since, actor_id=OWNER, channel_id=general.id, after_seq=3)
    assert ([e.seq for e in batch.events], batch.last_seq) == ([4, 5], 5)
    await service.refused(ErrorCode.FORBIDDEN, handlers.events_since, actor_id=STRANGER, channel_id=general.id,
                          after_seq=0)  # fmt: skip


async def test_the_edges_read_acts_for_nobody_so_a_removal_it_missed_cannot_stop_it(service, workspace, general):
    """A member removed while events were missed: the edge still reads the gap, removal
    included, with the epoch its sockets joined at."""
    await post(service, general, MEMBER)
    joined = await service(handlers.authorize_join, actor_id=MEMBER, channel_id=general.id)
    await service(handlers.remove_member, actor_id=OWNER, workspace_id=workspace.id, user_id=MEMBER)
    await post(service, general, OWNER, "after")
    await service.refused(ErrorCode.FORBIDDEN, handlers.events_since, actor_id=MEMBER, channel_id=general.id,
                          after_seq=1)  # fmt: skip
    batch = await service(handlers.feed_events_since, channel_id=general.id, after_seq=1)
    assert [type(e) for e in batch.events] == [chat.MemberRemoved, chat.MessagePosted]
    assert (batch.last_seq, batch.epoch) == (3, joined.epoch) and len(joined.epoch) == 8


# Threads -----------------------------------------------------------------------


async def test_replies_form_a_thread_of_their_parent(service, general):
    from parley_chat import threads

    root = await post(service, general, MEMBER, "question")
    answers = [await post(service, general, ADMIN, f"answer {i}", reply_to=root.id) for i in range(2)]
    found = await service(threads.thread, actor_id=OWNER, message_id=root.id)
    assert [m.id for m in found.replies] == [a.id for a in answers]
    assert (found.parent.id, found.parent.reply_count, found.parent.last_reply_at) == (
        root.id, 2, answers[-1].created_at,
    )  # fmt: skip
    history = await service(handlers.history, actor_id=MEMBER, channel_id=general.id)
    assert [m.reply_count for m in history.messages] == [2, 0, 0]
    await service.refused(ErrorCode.FORBIDDEN, threads.thread, actor_id=STRANGER, message_id=root.id)
    await service.refused(ErrorCode.NOT_FOUND, threads.thread, actor_id=OWNER, message_id=987654)


async def test_a_reply_needs_a_live_parent_in_the_same_channel(service, workspace, general):
    other = await service(handlers.create_channel, actor_id=OWNER, workspace_id=workspace.id, name="other")
    elsewhere = await post(service, other, MEMBER, "elsewhere")
    gone = await post(service, general, MEMBER, "soon gone")
    await service(message_changes.delete_message, actor_id=MEMBER, channel_id=general.id, message_id=gone.id)
    for parent in (elsewhere.id, gone.id, 987654):
        refusal = await service.refused(
            ErrorCode.NOT_FOUND, handlers.post_message, actor_id=MEMBER, channel_id=general.id, content="re",
            reply_to=parent,
        )  # fmt: skip
        assert "replied to" in refusal.message


# Unread counts -----------------------------------------------------------------


async def test_unread_counts_leave_out_ones_own_and_deleted_messages_and_count_mentions(service, general):
    mine = await post(service, general, MEMBER, "mine")
    others = [await post(service, general, ADMIN, text, mentions=ids) for text, ids in (
        ("hello @max.", []), ("hi @maxine", []), ("by id", [MEMBER]), ("to be deleted @max", []), ("plain", []),
    )]  # fmt: skip
    await service(message_changes.delete_message, actor_id=ADMIN, channel_id=general.id, message_id=others[3].id)
    found = await service(unread.channel_unread, actor_id=MEMBER, username="max", channel_id=general.id)
    assert (found.count, found.mentions, found.last_read_seq) == (4, 2, 0)

    marked = await service(unread.mark_read, actor_id=MEMBER, channel_id=general.id, message_id=others[1].id)
    assert (marked.last_read_seq, marked.count, marked.delta) == (others[1].seq, 2, -2)
    # Reading an older message again leaves the position where it was.
    again = await service(unread.mark_read, actor_id=MEMBER, channel_id=general.id, message_id=mine.id)
    assert (again.last_read_seq, again.count, again.delta) == (others[1].seq, 2, 0)
    found = await service(unread.channel_unread, actor_id=MEMBER, username="max", channel_id=general.id)
    assert (found.count, found.mentions, found.last_read_seq) == (2, 1, others[1].seq)
    await service.refused(ErrorCode.FORBIDDEN, unread.channel_unread, actor_id=STRANGER, username="eve",
                          channel_id=general.id)  # fmt: skip


async def test_all_unread_lists_every_channel_of_the_user(service, workspace, general):
    other = await service(handlers.create_channel, actor_id=OWNER, workspace_id=workspace.id, name="other")
    direct = await service(handlers.open_direct_channel, actor_id=OWNER, other_user_id=MEMBER)
    for channel in (general, other, other, direct):
        await post(service, channel, OWNER)
    listed = (await service(unread.all_unread, actor_id=MEMBER, username="max")).channels
    assert {(c.channel_id, c.workspace_id, c.count) for c in listed} == {
        (general.id, workspace.id, 1), (other.id, workspace.id, 2), (direct.id, None, 1),
    }  # fmt: skip
    assert (await service(unread.all_unread, actor_id=STRANGER, username="eve")).channels == []
