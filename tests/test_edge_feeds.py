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

WAIT_S = 20.0
"""Generous: the machine running the tests may be busy."""


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
    await socket.next("connected", timeout=WAIT_S)
    await socket.send({"type": "join_channel", "channelId": team.channel_id})
    await socket.next("joined_channel", channelId=team.channel_id, timeout=WAIT_S)
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
    assert (await owner.next("new_message", timeout=WAIT_S))["message"]["content"] == "after"
    await removed.next("left_channel", channelId=team.channel_id, timeout=WAIT_S)
    assert not removed.of_type("new_message")
    await owner.close()
    await removed.close()


async def post(team, content: str) -> None:
    response = await team.owner.client.post("/api/messages", json={"channelId": team.channel_id, "content": content})
    assert response.status_code == 201, response.text


async def join(team, person, **position) -> FrameSocket:
    socket = await FrameSocket.open(team.base_url, cookie=person.cookie)
    await socket.next("connected", timeout=WAIT_S)
    await socket.send({"type": "join_channel", "channelId": team.channel_id, **position})
    return socket


async def test_a_resume_names_its_epoch_and_another_epoch_is_told_to_reload(stack):
    team = stack
    await post(team, "one")
    first = await join(team, team.member)
    joined = await first.next("joined_channel", timeout=WAIT_S)
    epoch = joined["epoch"]
    assert (joined["lastSeq"], len(epoch)) == (1, 8)
    await first.close()
    for content in ("two", "three"):
        await post(team, content)

    same = await join(team, team.member, lastSeq=1, epoch=epoch)
    await same.wait_for(lambda _: len(same.of_type("new_message")) == 2, timeout=WAIT_S)
    assert [f["message"]["content"] for f in same.of_type("new_message")] == ["two", "three"]

    other = await join(team, team.member, lastSeq=1, epoch="0badc0de")
    assert (await other.next("joined_channel", timeout=WAIT_S))["epoch"] == epoch
    reload = await other.next("reload", timeout=WAIT_S)
    assert (reload["channelId"], reload["lastSeq"], reload["epoch"]) == (team.channel_id, 3, epoch)
    await post(team, "four")  # live events follow from the head it was given
    assert (await other.next("new_message", timeout=WAIT_S))["message"]["content"] == "four"
    assert [f["message"]["content"] for f in other.of_type("new_message")] == ["four"]

    ahead = await join(team, team.member, lastSeq=99, epoch=epoch)  # a store restored from an older backup
    assert (await ahead.next("reload", timeout=WAIT_S))["lastSeq"] == 4

    seed = await join(team, team.member, lastSeq=1)  # no epoch: resumes as before
    await seed.wait_for(lambda _: len(seed.of_type("new_message")) == 3, timeout=WAIT_S)
    assert not seed.of_type("reload")
    for socket in (same, other, ahead, seed):
        await socket.close()


async def test_a_conversation_resume_from_another_epoch_is_told_to_reload(stack):
    team = stack
    sender = await FrameSocket.open(team.base_url, "/messagepal", cookie=team.owner.cookie)
    recipient = await FrameSocket.open(team.base_url, "/messagepal", cookie=team.member.cookie)
    for socket in (sender, recipient):
        await socket.next("connected", timeout=WAIT_S)  # the user's feed is subscribed
    await sender.send({"type": "send_message", "payload": {"recipientId": team.member.id, "content": "hi"}})
    conversation = (await recipient.next("message_received", timeout=WAIT_S))["payload"]["conversationId"]

    await recipient.send({"type": "subscribe", "payload": {"conversationId": conversation, "lastSeq": 0}})
    subscribed = (await recipient.next("subscribed", timeout=WAIT_S))["payload"]
    assert len(subscribed["epoch"]) == 8
    stale = {"conversationId": conversation, "lastSeq": 0, "epoch": "0badc0de"}
    await recipient.send({"type": "subscribe", "payload": stale})
    reload = (await recipient.next("reload", timeout=WAIT_S))["payload"]
    assert reload == {"conversationId": conversation, "lastSeq": 1, "epoch": subscribed["epoch"]}
    await sender.close()
    await recipient.close()
