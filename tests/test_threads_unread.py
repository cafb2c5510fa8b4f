"""Threads, unread counts and the seed's extra chat routes end to end: real sockets,
edge, auth, chat and dm processes on real NATS."""

import pytest

from parley_client import FrameSocket
from parley_testkit.teams import make_team


@pytest.fixture
async def team(edge):
    made = await make_team(edge)
    yield made
    await made.close()


async def chat_socket(team, person, channel_id: int, lines: bool = False) -> FrameSocket:
    socket = await FrameSocket.open(team.base_url, "/ws/chat", cookie=person.cookie, lines=lines)
    await socket.next("connected")
    await socket.send({"type": "join_channel", "channelId": channel_id})
    await socket.next("joined_channel", channelId=channel_id)
    return socket


async def test_replies_over_the_socket_and_http_form_a_thread(team):
    owner, member, channel = team.owner.client, team.member.client, team.channel_id
    root = (await owner.post("/api/messages", json={"channelId": channel, "content": "question?"})).json()
    socket = await chat_socket(team, team.member, channel)
    await socket.send({"type": "send_message", "channelId": channel, "content": "answer 1", "replyTo": root["id"]})
    by_socket = (await socket.next("new_message"))["message"]
    assert by_socket["replyTo"] == root["id"]
    by_http = await member.post(
        "/api/messages", json={"channelId": channel, "content": "answer 2", "replyTo": root["id"]}
    )
    assert by_http.status_code == 201, by_http.text

    thread = await owner.get(f"/api/messages/{root['id']}/thread")
    assert thread.status_code == 200, thread.text
    assert [m["content"] for m in thread.json()] == ["answer 1", "answer 2"]
    assert [
        m["content"] for m in (await owner.get(f"/api/messages/{root['id']}/thread?after={by_socket['seq']}")).json()
    ] == ["answer 2"]
    history = (await owner.get(f"/api/channels/{channel}/messages")).json()
    assert history[0]["replyCount"] == 2 and history[0]["lastReplyAt"] == by_http.json()["createdAt"]
    assert [m["replyCount"] for m in history[1:]] == [0, 0]
    # The seed's path for history answers the same.
    assert (await owner.get(f"/api/messages/{channel}")).json() == history

    elsewhere = (await owner.post(f"/api/workspaces/{team.workspace_id}/channels", json={"name": "other"})).json()
    wrong = await member.post(
        "/api/messages", json={"channelId": elsewhere["id"], "content": "x", "replyTo": root["id"]}
    )
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (404, "not_found")
    await socket.send(
        {"type": "send_message", "channelId": channel, "content": "x", "replyTo": 987654, "clientMsgId": "r9"}
    )
    refusal = await socket.next("error")
    assert (refusal["code"], refusal["clientMsgId"], refusal["channelId"]) == ("not_found", "r9", channel)
    outsider = await team.outsider.client.get(f"/api/messages/{root['id']}/thread")
    assert (outsider.status_code, outsider.json()["error"]["code"]) == (403, "forbidden")
    unknown = await owner.get("/api/messages/987654/thread")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "not_found")
    await socket.close()


async def test_the_seeds_channel_creation_takes_the_workspace_in_the_body(team):
    created = await team.owner.client.post("/api/channels", json={"workspaceId": team.workspace_id, "name": "random"})
    assert created.status_code == 201, created.text
    assert (created.json()["workspaceId"], created.json()["name"]) == (team.workspace_id, "random")
    refused = await team.member.client.post("/api/channels", json={"workspaceId": team.workspace_id, "name": "mine"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    bad = await team.owner.client.post("/api/channels", json={"name": "no workspace"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_request"
    channels = (await team.member.client.get(f"/api/workspaces/{team.workspace_id}/channels")).json()
    assert [c["name"] for c in channels] == ["general", "random"]


async def test_a_socket_reading_lines_gets_a_message_and_its_unread_count_in_one_message(team):
    channel = team.channel_id
    seed = await chat_socket(team, team.member, channel)
    lines = await chat_socket(team, team.member, channel, lines=True)
    assert (seed.lines, lines.lines) == (False, True)
    before = {seed: seed.messages, lines: lines.messages}
    posted = await team.owner.client.post("/api/messages", json={"channelId": channel, "content": "hi"})
    assert posted.status_code == 201, posted.text
    for socket in (seed, lines):
        await socket.next("unread_updated", channelId=channel)
        assert [f["type"] for f in socket.received[-2:]] == ["new_message", "unread_updated"]
    assert (seed.messages - before[seed], lines.messages - before[lines]) == (2, 1)
    await seed.close()
    await lines.close()


async def test_unread_counts_follow_posts_and_reads_and_reach_the_readers_sockets(team):
    channel = team.channel_id
    reader, author = await chat_socket(team, team.member, channel), await chat_socket(team, team.owner, channel)
    for n, text in enumerate(("one", "two @max", "three")):
        await author.send({"type": "send_message", "channelId": channel, "content": text, "clientMsgId": f"u{n}"})
    await reader.wait_for(lambda _: len(reader.of_type("unread_updated")) == 3)
    assert [f["delta"] for f in reader.of_type("unread_updated")] == [1, 1, 1]
    await author.wait_for(lambda _: len(author.of_type("new_message")) == 3)
    messages = [f["message"] for f in author.of_type("new_message")]
    assert author.of_type("unread_updated") == []  # one's own messages are never unread

    found = (await team.member.client.get(f"/api/channels/{channel}/unread")).json()
    assert found == {"count": 3, "mentions": 1, "lastReadSeq": 0}
    await reader.send({"type": "mark_read", "channelId": channel, "messageId": messages[1]["id"]})
    await reader.wait_for(lambda _: len(reader.of_type("unread_updated")) == 4)
    assert reader.of_type("unread_updated")[-1] == {"type": "unread_updated", "channelId": channel, "delta": -2}
    # An older message read again over HTTP moves nothing back.
    read = await team.member.client.post(f"/api/messages/{messages[0]['id']}/read", json={"channelId": channel})
    assert read.status_code == 200
    found = (await team.member.client.get(f"/api/channels/{channel}/unread")).json()
    assert found == {"count": 1, "mentions": 0, "lastReadSeq": messages[1]["seq"]}

    pal = await FrameSocket.open(team.base_url, "/messagepal", cookie=team.owner.cookie)
    await pal.send({"type": "send_message", "payload": {"recipientId": team.member.id, "content": "psst"}})
    await pal.next("message_received")
    everything = (await team.member.client.get("/api/users/me/unread")).json()
    assert everything["channels"] == [
        {"channelId": channel, "workspaceId": team.workspace_id, "count": 1, "mentions": 0,
         "lastReadSeq": messages[1]["seq"]},
    ]  # fmt: skip
    assert everything["conversations"] == [
        {"conversationId": f"conv_{team.owner.id}_{team.member.id}", "otherUserId": team.owner.id, "count": 1,
         "lastReadSeq": 0},
    ]  # fmt: skip
    refused = await team.outsider.client.get(f"/api/channels/{channel}/unread")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    assert (await team.outsider.client.get("/api/users/me/unread")).json() == {"channels": [], "conversations": []}
    for socket in (reader, author, pal):
        await socket.close()
