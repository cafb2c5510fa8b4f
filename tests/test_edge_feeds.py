"""The edge's feeds end to end: gap fills and resume positions, with real NATS, real
chat and dm processes and real sockets."""

from datetime import UTC, datetime

import pytest

from parley_chat.directory_sqlite import SqliteDirectory
from parley_chat.streams_sqlite import SqliteStreams
from parley_client import FrameSocket
from parley_contracts import chat
from parley_stack.processes import ServiceFailed, service, wait_all
from parley_testkit.teams import make_team


@pytest.fixture
async def stack(nats_url, tmp_path, auth_process, dm_process):
    """chat republishes what a dead copy left unpublished only after a minute, so an
    event stored but never published stays missing until the edge fills the gap."""
    chat_process = service("chat", nats_url, tmp_path, republish_grace_s="60").spawn()
    edge_process = service("edge", nats_url, tmp_path).spawn()
    try:
        wait_all(auth_process, chat_process, dm_process, edge_process)
    except ServiceFailed as exc:
        pytest.fail(str(exc), pytrace=False)
    team = await make_team(edge_process.base_url)
    yield team
    await team.close()
    edge_process.stop()
    chat_process.stop()


async def joined(team, person) -> FrameSocket:
    socket = await FrameSocket.open(team.base_url, cookie=person.cookie)
    await socket.next("connected")
    await socket.send({"type": "join_channel", "channelId": team.channel_id})
    await socket.next("joined_channel", channelId=team.channel_id)
    return socket


async def remove_without_publishing(chat_sqlite, workspace_id: int, channel_id: int, user_id: int) -> None:
    """What a chat copy does that stores a member's removal and dies before publishing it."""
    directory = await SqliteDirectory.open(chat_sqlite)
    streams = await SqliteStreams.open(chat_sqlite)
    try:
        await directory.remove_member(workspace_id, user_id)
        at = datetime.now(UTC)
        await streams.append(
            channel_id, lambda seq: chat.MemberRemoved(channel_id=channel_id, seq=seq, occurred_at=at, user_id=user_id)
        )
    finally:
        await streams.close()
        await directory.close()


async def test_a_gap_is_filled_by_the_edge_even_when_its_first_socket_lost_access(stack, tmp_path):
    team = stack
    removed = await joined(team, team.member)  # the feed's first socket
    owner = await joined(team, team.owner)
    await remove_without_publishing(tmp_path / "chat.sqlite3", team.workspace_id, team.channel_id, team.member.id)

    # The next post skips the missed removal: the edge fills the gap from chat before
    # delivering it, whoever its first socket is.
    await owner.send({"type": "send_message", "channelId": team.channel_id, "content": "after", "clientMsgId": "a1"})
    assert (await owner.next("new_message", timeout=10))["message"]["content"] == "after"
    await removed.next("left_channel", channelId=team.channel_id, timeout=10)
    assert not removed.of_type("new_message")
    await owner.close()
    await removed.close()
