"""The load tool's lean socket (`parley_client.Listener`) against a real edge: frames of
every length class come back whole and in order, and a refusal is seen as a close."""

import pytest

from parley_client import Listener
from parley_testkit.teams import make_team


@pytest.fixture
async def team(edge):
    made = await make_team(edge)
    yield made
    await made.close()


async def test_frames_of_every_length_arrive_whole_and_in_order(team):
    socket = await Listener.open(team.base_url, cookie=team.member.cookie, ignore=("unread_updated",))
    assert (await socket.next("connected"))["userId"] == team.member.id
    await socket.send({"type": "join_channel", "channelId": team.channel_id})
    await socket.next("joined_channel", channelId=team.channel_id)
    contents = ["short", "m" * 200, "l" * 3900]  # 7-bit, 16-bit and near-limit lengths
    for content in contents:
        answer = await team.owner.client.post("/api/messages", json={"channelId": team.channel_id, "content": content})
        assert answer.status_code == 201
    await socket.next("new_message", seq=3, timeout=10)
    arrived = socket.frames("new_message")
    assert [frame["message"]["content"] for frame, _ in arrived] == contents
    assert [at for _, at in arrived] == sorted(at for _, at in arrived)
    assert len(socket.received) == 3 + 2  # and connected, joined_channel: each unread_updated was left out
    socket.close()


async def test_a_refused_socket_reports_the_close_code(edge):
    socket = await Listener.open(edge)
    with pytest.raises(ConnectionError):
        await socket.next("connected", timeout=10)
    assert socket.close_code == 4001
