"""Edits, deletes, reactions, pins and delivery receipts end to end: real sockets and
HTTP to a real edge, with auth and chat processes on real NATS, chat's streams on
SQLite and (for the resume) on Cassandra."""

import pytest

from parley_chat.streams_cassandra import create_schema
from parley_client import FrameSocket
from parley_stack.processes import service
from parley_testkit.fixtures import cassandra_settings
from parley_testkit.teams import make_team

CHANGE_FRAMES = ("message_edited", "message_deleted", "reaction_added", "reaction_removed", "message_pinned")


@pytest.fixture
def chat_process(request, nats_url, tmp_path):
    """Chat on SQLite, or with its streams on Cassandra for a test that asks so."""
    store = getattr(request, "param", "sqlite")
    settings = (
        {"stream_store": "cassandra", **cassandra_settings(request, create_schema)} if store == "cassandra" else {}
    )
    chat = service("chat", nats_url, tmp_path, **settings).spawn()
    yield chat
    chat.stop()


@pytest.fixture
async def team(edge):
    made = await make_team(edge)
    yield made
    await made.close()


async def joined(team, person, **extra) -> FrameSocket:
    socket = await FrameSocket.open(team.base_url, cookie=person.cookie)
    await socket.next("connected")
    await socket.send({"type": "join_channel", "channelId": team.channel_id, **extra})
    await socket.next("joined_channel")
    return socket


async def post(team, person, content: str) -> dict:
    posted = await person.client.post("/api/messages", json={"channelId": team.channel_id, "content": content})
    assert posted.status_code == 201, posted.text
    return posted.json()


def fold(messages: dict[int, dict], frame: dict, reader_id: int) -> None:
    """What a client does with a change frame: the view that must end equal to history."""
    message = messages[frame["messageId"]]
    match frame["type"]:
        case "message_edited":
            message.update(content=frame["content"], editedAt=frame["editedAt"])
        case "message_deleted":
            message.update(content="", deleted=True)
            message.pop("reactions", None)
        case "reaction_added":
            found = [r for r in message.setdefault("reactions", []) if r["emoji"] == frame["emoji"]]
            if not found:
                message["reactions"].append({"emoji": frame["emoji"], "count": 0, "userIds": []})
            reaction = found[0] if found else message["reactions"][-1]
            reaction["userIds"].append(frame["userId"])
            reaction.update(count=len(reaction["userIds"]), reacted=reader_id in reaction["userIds"])


@pytest.mark.parametrize("chat_process", ["sqlite", "cassandra"], indirect=True)
async def test_a_client_resuming_gets_the_changes_it_missed_and_ends_equal_to_history(team):
    owner = await joined(team, team.owner)
    messages = {m["id"]: m for m in [await post(team, team.member, f"m{n}") for n in (1, 2, 3)]}
    first, second, third = messages
    await owner.next("new_message", seq=3)
    owner_seen = owner.of_type("new_message")[-1]["seq"]
    await owner.close()

    member = await joined(team, team.member)
    for frame in (
        {"type": "edit_message", "messageId": first, "content": "m1, fixed"},
        {"type": "delete_message", "messageId": second, "channelId": team.channel_id},
        {"type": "add_reaction", "messageId": third, "emoji": "👍"},
        {"type": "pin_message", "channelId": team.channel_id, "messageId": first},
    ):
        await member.send(frame)
    pinned = await member.next("message_pinned")  # the author's own socket hears each change too
    assert (pinned["messageId"], pinned["pinnedBy"], pinned["seq"]) == (first, {"userId": team.member.id}, 7)
    assert member.of_type("error") == []

    owner = await joined(team, team.owner, lastSeq=owner_seen)
    await owner.next("message_pinned")
    missed = [f for f in owner.received if f["type"] in CHANGE_FRAMES or f["type"] == "new_message"]
    assert [(f["type"], f["seq"]) for f in missed] == [
        ("message_edited", 4), ("message_deleted", 5), ("reaction_added", 6), ("message_pinned", 7),
    ]  # fmt: skip
    view = {id_: {k: v for k, v in m.items() if k != "clientMsgId"} for id_, m in messages.items()}
    for frame in missed:
        if frame["type"] != "message_pinned":
            fold(view, frame, team.owner.id)

    history = (await team.owner.client.get(f"/api/channels/{team.channel_id}/messages")).json()
    assert [{k: v for k, v in m.items() if k != "clientMsgId"} for m in history] == list(view.values())
    assert history[1]["deleted"] and history[1]["content"] == ""
    assert history[2]["reactions"] == [{"emoji": "👍", "count": 1, "userIds": [team.member.id], "reacted": False}]
    pinned_list = (await team.owner.client.get(f"/api/channels/{team.channel_id}/pinned")).json()
    assert [m["id"] for m in pinned_list] == [first]

    await owner.send({"type": "mark_delivered", "channelId": team.channel_id, "messageId": third})
    delivered = await member.next("message_delivered")
    assert (delivered["messageId"], delivered["userId"]) == (third, team.owner.id)
    await owner.close()
    await member.close()


async def test_refusals_are_error_frames_and_the_socket_stays(team):
    mine = await post(team, team.owner, "the owner's")
    member = await joined(team, team.member)
    other = await team.owner.client.post(f"/api/workspaces/{team.workspace_id}/channels", json={"name": "other"})
    for frame, code in (
        ({"type": "edit_message", "messageId": mine["id"], "content": "hijacked"}, "forbidden"),
        ({"type": "delete_message", "messageId": mine["id"]}, "forbidden"),
        ({"type": "add_reaction", "messageId": 9_999_999, "emoji": "👍"}, "not_found"),
        ({"type": "pin_message", "channelId": other.json()["id"], "messageId": mine["id"]}, "not_found"),
        ({"type": "add_reaction", "messageId": mine["id"], "emoji": "lol"}, "bad_request"),
    ):
        before = len(member.of_type("error"))
        await member.send(frame)
        await member.wait_for(lambda _f, n=before: len(member.of_type("error")) > n)
        refusal = member.of_type("error")[before]
        assert refusal["code"] == code, (frame, refusal)
    outsider = await FrameSocket.open(team.base_url, cookie=team.outsider.cookie)
    await outsider.send({"type": "add_reaction", "messageId": mine["id"], "emoji": "👍"})
    assert (await outsider.next("error"))["code"] == "forbidden"
    await member.send({"type": "add_reaction", "messageId": mine["id"], "emoji": "🎉"})
    assert (await member.next("reaction_added"))["emoji"] == "🎉"  # still served
    history = (await team.owner.client.get(f"/api/channels/{team.channel_id}/messages")).json()
    assert [(m["content"], [r["emoji"] for r in m.get("reactions", [])]) for m in history] == [("the owner's", ["🎉"])]
    await outsider.close()
    await member.close()


async def test_http_edit_delete_reactions_and_the_seed_pin_routes(team):
    owner, member, outsider = team.owner.client, team.member.client, team.outsider.client
    listener = await joined(team, team.owner)
    message = await post(team, team.member, "typo")

    assert (await owner.patch(f"/api/messages/{message['id']}", json={"content": "mine"})).status_code == 403
    edited = await member.patch(f"/api/messages/{message['id']}", json={"content": "fixed"})
    assert edited.status_code == 200 and edited.json()["content"] == "fixed" and "editedAt" in edited.json()
    assert (await listener.next("message_edited"))["content"] == "fixed"
    blank = await member.patch(f"/api/messages/{message['id']}", json={"content": "  "})
    assert blank.status_code == 400 and blank.json()["error"]["code"] == "bad_request"

    assert (await member.put(f"/api/messages/{message['id']}/reactions/👍")).status_code == 200
    assert (await owner.put(f"/api/messages/{message['id']}/reactions/👍")).status_code == 200
    assert (await owner.put(f"/api/messages/{message['id']}/reactions/nope")).status_code == 400
    assert (await outsider.put(f"/api/messages/{message['id']}/reactions/👍")).status_code == 403
    [seen] = (await owner.get(f"/api/channels/{team.channel_id}/messages")).json()
    assert seen["reactions"] == [{"emoji": "👍", "count": 2, "userIds": [team.member.id, team.owner.id],
                                  "reacted": True}]  # fmt: skip
    assert (await owner.delete(f"/api/messages/{message['id']}/reactions/👍")).status_code == 200
    await listener.next("reaction_removed", userId=team.owner.id)

    pin = f"/api/channels/{team.channel_id}/pin/{message['id']}"
    assert (await member.post(pin)).status_code == 200
    assert (await outsider.post(pin)).status_code == 403
    assert [m["id"] for m in (await member.get(f"/api/channels/{team.channel_id}/pinned")).json()] == [message["id"]]
    assert (await outsider.get(f"/api/channels/{team.channel_id}/pinned")).status_code == 403
    assert (await member.delete(pin)).status_code == 200
    await listener.next("message_unpinned")
    assert (await member.get(f"/api/channels/{team.channel_id}/pinned")).json() == []

    assert (await outsider.delete(f"/api/messages/{message['id']}")).status_code == 403
    assert (await owner.delete(f"/api/messages/{message['id']}")).status_code == 200  # a workspace owner may
    gone = await owner.delete(f"/api/messages/{message['id']}")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"
    assert (await listener.next("message_deleted"))["messageId"] == message["id"]
    [tombstone] = (await member.get(f"/api/channels/{team.channel_id}/messages")).json()
    assert (tombstone["deleted"], tombstone["content"], tombstone.get("reactions")) == (True, "", None)
    await listener.close()
