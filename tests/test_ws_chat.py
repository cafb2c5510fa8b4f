"""`/ws/chat` end to end: real sockets to a real edge, with auth and chat behind it."""

from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus

from parley_client import FrameSocket
from parley_testkit.teams import make_team
from parley_testkit.users import signed_in
from parley_testkit.waiting import until


@pytest.fixture
async def team(edge):
    made = await make_team(edge)
    yield made
    await made.close()


async def joined(team, person, channel_id=None, **extra) -> FrameSocket:
    socket = await FrameSocket.open(team.base_url, cookie=person.cookie)
    await socket.next("connected")
    cid = channel_id or team.channel_id
    await socket.send({"type": "join_channel", "channelId": cid, **extra})
    await socket.next("joined_channel", channelId=cid)
    return socket


async def test_unauthenticated_socket_is_closed_with_4001(edge):
    socket = await FrameSocket.open(edge)
    assert await socket.wait_closed() == 4001


async def test_foreign_origin_is_refused_before_the_upgrade(team):
    port = team.base_url.rsplit(":", 1)[1]
    for foreign in ("https://evil.example", f"http://localhost:{int(port) + 1}"):
        with pytest.raises(InvalidStatus) as refused:
            await FrameSocket.open(team.base_url, cookie=team.owner.cookie, origin=foreign)
        assert refused.value.response.status_code == 403
    # The default allowlist is the edge's own address, whatever port it was given.
    for own in (team.base_url, f"http://localhost:{port}"):
        allowed = await FrameSocket.open(team.base_url, cookie=team.owner.cookie, origin=own)
        assert (await allowed.next("connected"))["userId"] == team.owner.id
        await allowed.close()


async def test_the_seed_conversation(team):
    """The exchange the seed (the chat of PersonalLearningPro) describes: join with
    presence, send, typing, read receipt, leave."""
    owner = await joined(team, team.owner)
    first = owner.of_type("joined_channel")[0]
    assert [u["userId"] for u in first["online"]] == [team.owner.id]
    member = await joined(team, team.member)
    online = member.of_type("joined_channel")[0]["online"]
    assert {u["userId"] for u in online} == {team.owner.id, team.member.id}
    presence = await owner.next("user_presence", userId=team.member.id)
    assert presence["status"] == "online"

    await member.send({"type": "send_message", "channelId": team.channel_id, "content": "hi all", "clientMsgId": "c1"})
    mine = await member.next("new_message")
    theirs = await owner.next("new_message")
    assert mine == theirs and mine["message"]["clientMsgId"] == "c1" and mine["seq"] == 1

    await member.send({"type": "typing", "channelId": team.channel_id})
    assert (await owner.next("user_typing"))["userId"] == team.member.id
    await member.send({"type": "stop_typing", "channelId": team.channel_id})
    assert (await owner.next("user_stop_typing"))["userId"] == team.member.id

    await owner.send({"type": "mark_read", "channelId": team.channel_id, "messageId": mine["message"]["id"]})
    read = await member.next("message_read")
    assert (read["userId"], read["messageId"]) == (team.owner.id, mine["message"]["id"])

    await member.send({"type": "leave_channel", "channelId": team.channel_id})
    await member.next("left_channel")
    assert (await owner.next("user_presence", userId=team.member.id, status="offline"))["status"] == "offline"
    assert len(owner.of_type("new_message")) == len(member.of_type("new_message")) == 1
    assert not member.of_type("user_typing")  # nobody is told of their own typing
    await owner.close()
    await member.close()


async def test_mentions_by_username_are_delivered_as_user_ids(team):
    """use-chat-ws.ts sends usernames in `mentions`; unknown names are dropped."""
    bob_client, bob = await signed_in(team.base_url, "bob")
    await bob_client.aclose()
    owner = await joined(team, team.owner)
    seed_frame = {"type": "send_message", "channelId": team.channel_id, "content": "hi @bob", "messageType": "text",
                  "mentions": ["bob", "nobody"]}  # fmt: skip
    await owner.send(seed_frame)
    assert (await owner.next("new_message"))["message"]["mentions"] == [bob["id"]]
    enveloped = {"content": "and @max", "clientMsgId": "e1", "mentions": ["BOB", team.member.id]}
    await owner.send({"type": "send_message", "payload": {"channelId": team.channel_id, **enveloped}})
    sent = await owner.wait_for(lambda f: f.get("type") == "new_message" and f["message"].get("clientMsgId") == "e1")
    assert sent["message"]["mentions"] == [bob["id"], team.member.id]
    assert not owner.of_type("error")
    await owner.close()


async def test_bad_frames_get_error_frames_and_the_socket_stays(team):
    socket = await joined(team, team.owner)
    cases = [
        ("{not json", "invalid_json"),
        ('{"type": "dance"}', "unknown_type"),
        ("[1, 2]", "unknown_type"),
        ('{"type": "send_message", "channelId": "general", "content": "x"}', "bad_request"),
        ('{"type": "send_message", "channelId": 1}', "bad_request"),
        ('{"type": "typing", "payload": [1]}', "bad_request"),
    ]
    for raw, code in cases:
        already = len(socket.received)
        await socket.send(raw)
        answer = (await socket.frames_after(already))[0]
        assert (answer["type"], answer["code"]) == ("error", code), raw
    await socket.send({"type": "send_message", "channelId": team.channel_id, "content": "still here"})
    assert (await socket.next("new_message"))["message"]["content"] == "still here"
    await socket.close()


async def test_sending_to_a_channel_not_joined_and_joining_a_foreign_one_are_refused(team):
    socket = await FrameSocket.open(team.base_url, cookie=team.outsider.cookie)
    await socket.next("connected")
    await socket.send({"type": "send_message", "channelId": team.channel_id, "content": "x", "clientMsgId": "o1"})
    refused = await socket.next("error")
    assert (refused["code"], refused["clientMsgId"]) == ("forbidden", "o1")
    await socket.send({"type": "join_channel", "channelId": team.channel_id})
    assert (await socket.next("error", channelId=team.channel_id, code="forbidden"))["message"]
    await socket.close()


def edge_log(folder: Path) -> str:
    return (folder / "edge.log").read_text()


async def one_line_logged(folder: Path, code: int) -> None:
    """The edge logged the bad frame in one line naming the close code, and no traceback."""

    async def logged() -> bool:
        return f"close_code={code}" in edge_log(folder)

    await until(logged, timeout_s=10)
    logs = edge_log(folder)
    assert "Traceback" not in logs
    assert len([line for line in logs.splitlines() if f"close_code={code}" in line]) == 1


async def test_oversized_frame_closes_with_1009(team, tmp_path):
    socket = await joined(team, team.owner)
    await socket.send({"type": "send_message", "channelId": team.channel_id, "content": "x" * 70_000})
    assert await socket.wait_closed() == 1009
    await one_line_logged(tmp_path, 1009)


async def test_invalid_utf8_closes_with_1007_and_one_log_line(team, tmp_path):
    socket = await joined(team, team.owner)
    await socket.connection.send(b'{"type": "typing", "x": "\xff\xfe"}', text=True)
    assert await socket.wait_closed() == 1007
    await one_line_logged(tmp_path, 1007)


async def test_send_rate_limit_answers_with_retry_after_and_keeps_the_socket(team):
    socket = await joined(team, team.owner)
    for n in range(6):
        await socket.send(
            {"type": "send_message", "channelId": team.channel_id, "content": f"m{n}", "clientMsgId": f"r{n}"}
        )
    limited = await socket.next("error", code="rate_limited")
    assert limited["clientMsgId"] == "r5" and limited["retryAfterMs"] > 0
    await socket.wait_for(lambda _: len(socket.of_type("new_message")) == 5)
    assert socket.close_code is None
    await socket.close()


async def test_logout_closes_that_sessions_sockets_with_1008(team):
    socket = await joined(team, team.member)
    await team.member.client.post("/api/auth/logout")
    assert await socket.wait_closed() == 1008


async def test_a_removed_member_is_unsubscribed_at_once(team):
    member = await joined(team, team.member)
    owner = await joined(team, team.owner)
    await team.owner.client.delete(f"/api/workspaces/{team.workspace_id}/members/{team.member.id}")
    await member.next("left_channel", channelId=team.channel_id)
    await owner.send({"type": "send_message", "channelId": team.channel_id, "content": "secret"})
    await owner.next("new_message")
    # Had the edge still fanned out to the member, "secret" would sit in its queue ahead
    # of the answer to this frame, which comes through the same queue.
    await member.send({"type": "typing", "channelId": team.channel_id})
    await member.next("error", code="forbidden")
    assert not member.of_type("new_message")
    await owner.close()
    await member.close()


async def test_sustained_rate_limit_abuse_closes_with_1008(team):
    socket = await joined(team, team.owner)
    for n in range(40):  # 5 allowed, then refusal after refusal
        await socket.send({"type": "send_message", "channelId": team.channel_id, "content": f"spam {n}"})
    assert await socket.wait_closed() == 1008
    errors = socket.of_type("error")
    assert errors and {e["code"] for e in errors} == {"rate_limited"}
    assert len(socket.of_type("new_message")) <= 5
