"""The directory contract, run against SQLite, the MongoDB-wire server and memory."""

import asyncio

import pytest

from parley_chat.directory import NameTaken
from parley_contracts.chat import ChannelType, WorkspaceRole
from parley_runtime.clock import now


async def test_workspace_has_its_owner_as_first_member(directory):
    ws = await directory.create_workspace("Acme", "desc", 7, now())
    assert (ws.name, ws.owner_id, ws.assistant_enabled) == ("Acme", 7, True)
    assert await directory.workspace(ws.id) == ws
    assert await directory.role_of(ws.id, 7) is WorkspaceRole.OWNER
    assert [m.user_id for m in await directory.members(ws.id)] == [7]
    assert [w.id for w in await directory.workspaces_of(7)] == [ws.id]
    assert await directory.workspaces_of(8) == []
    assert await directory.workspace(ws.id + 10_000) is None


async def test_members_are_added_idempotently_and_removed(directory):
    ws = await directory.create_workspace("Acme", None, 1, now())
    assert (await directory.add_member(ws.id, 2, WorkspaceRole.ADMIN)).role is WorkspaceRole.ADMIN
    assert (await directory.add_member(ws.id, 2, WorkspaceRole.MEMBER)).role is WorkspaceRole.ADMIN
    assert [m.user_id for m in await directory.members(ws.id)] == [1, 2]
    assert await directory.remove_member(ws.id, 2) is True
    assert await directory.remove_member(ws.id, 2) is False
    assert await directory.role_of(ws.id, 2) is None


async def test_channel_names_are_unique_per_workspace(directory):
    a = await directory.create_workspace("A", None, 1, now())
    b = await directory.create_workspace("B", None, 1, now())
    general = await directory.create_channel(a.id, "General", ChannelType.TEXT, now())
    assert general.type is ChannelType.TEXT and general.workspace_id == a.id
    with pytest.raises(NameTaken):
        await directory.create_channel(a.id, "general", ChannelType.ANNOUNCEMENT, now())
    assert (await directory.create_channel(b.id, "general", ChannelType.TEXT, now())).workspace_id == b.id
    news = await directory.create_channel(a.id, "news", ChannelType.ANNOUNCEMENT, now())
    assert [c.id for c in await directory.channels_of(a.id)] == [general.id, news.id]
    assert await directory.channel(news.id) == news


async def test_direct_channel_is_one_per_pair(directory):
    first = await directory.open_direct(5, 3, now())
    again = await directory.open_direct(3, 5, now())
    assert first.id == again.id and first.type is ChannelType.DM and sorted(first.member_ids) == [3, 5]
    other = await directory.open_direct(3, 9, now())
    assert {c.id for c in await directory.directs_of(3)} == {first.id, other.id}
    assert [c.id for c in await directory.directs_of(5)] == [first.id]
    concurrent = await asyncio.gather(*(directory.open_direct(11, 12, now()) for _ in range(5)))
    assert len({c.id for c in concurrent}) == 1


async def test_reserved_id_blocks_never_overlap(directory):
    lasts = await asyncio.gather(*(directory.reserve_ids(10) for _ in range(10)))
    blocks = [set(range(last - 9, last + 1)) for last in lasts]
    assert len(set().union(*blocks)) == 100


async def test_assistant_flag(directory):
    ws = await directory.create_workspace("A", None, 1, now())
    assert (await directory.set_assistant_enabled(ws.id, False)).assistant_enabled is False
    assert (await directory.workspace(ws.id)).assistant_enabled is False


async def test_ping(directory):
    assert await directory.ping()
