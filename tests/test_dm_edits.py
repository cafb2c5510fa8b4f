"""Editing and deleting one's own DMs over `/messagepal` end to end: both sides get the
change, history shows the current state, and a socket resuming from an earlier `seq`
is replayed the edit and the delete it missed, in order."""

import asyncio

import pytest

from parley_client import DirectClient, FrameSocket
from parley_contracts.dm import conversation_id
from parley_testkit.teams import make_team


@pytest.fixture
async def team(edge):
    made = await make_team(edge)
    yield made
    await made.close()


async def pal(team, person) -> FrameSocket:
    socket = await FrameSocket.open(team.base_url, "/messagepal", cookie=person.cookie)
    await socket.next("connected")
    return socket


def frame(frame_type: str, **payload) -> dict:
    return {"type": frame_type, "payload": payload}


async def test_edits_and_deletes_reach_both_sides_and_a_resumed_socket(team):
    conv = conversation_id(team.owner.id, team.member.id)
    sender, recipient = await pal(team, team.owner), await pal(team, team.member)
    for n in range(2):
        await sender.send(frame("send_message", recipientId=team.member.id, content=f"m{n}", clientMsgId=f"c{n}"))
    await recipient.wait_for(lambda _: len(recipient.of_type("message_received")) == 2)
    first, second = [f["payload"] for f in recipient.of_type("message_received")]
    await recipient.send(frame("subscribe", conversationId=conv))
    position = (await recipient.next("subscribed"))["payload"]
    await recipient.close()  # the recipient goes away; what follows it misses

    await sender.send(frame("edit_message", messageId=first["id"], content="m0, edited"))
    await sender.send(frame("delete_message", messageId=second["id"]))
    edited = (await sender.next("message_edited"))["payload"]
    deleted = (await sender.next("message_deleted"))["payload"]
    assert (edited["messageId"], edited["content"], edited["conversationId"]) == (first["id"], "m0, edited", conv)
    assert (deleted["messageId"], deleted["seq"]) == (second["id"], edited["seq"] + 1)

    back = await pal(team, team.member)
    await back.send(frame("subscribe", conversationId=conv, lastSeq=position["lastSeq"], epoch=position["epoch"]))
    # A user's socket takes every event of theirs live too, so one may come both live and
    # replayed: clients keep each seq once.
    await back.next("message_edited")
    await back.next("message_deleted")
    replayed = {
        f["payload"]["seq"]: f["type"] for f in back.received if f["type"] in ("message_edited", "message_deleted")
    }
    assert replayed == {edited["seq"]: "message_edited", deleted["seq"]: "message_deleted"}
    await back.send(frame("fetch_history", conversationId=conv))
    history = (await back.next("history_response"))["payload"]["messages"]
    assert [(m["content"], m["deleted"], "editedAt" in m) for m in history] == [
        ("m0, edited", False, True), ("", True, False),
    ]  # fmt: skip
    over_http = (await team.member.client.get(f"/api/messagepal/conversations/{conv}/messages")).json()
    assert over_http == history
    [entry] = (await team.member.client.get("/api/messagepal/conversations")).json()
    assert entry["unread"] == 1 and entry["lastMessage"]["deleted"]  # the deleted one no longer counts

    # Refusals: not the sender, and a message that is gone; the socket stays.
    await back.send(frame("edit_message", messageId=first["id"], content="not mine"))
    assert (await back.next("error"))["payload"]["code"] == "forbidden"
    await sender.send(frame("delete_message", messageId=second["id"]))
    assert (await sender.next("error"))["payload"]["code"] == "not_found"
    await back.send(frame("edit_message", messageId=first["id"], content=" "))
    await back.wait_for(lambda _: len(back.of_type("error")) == 2)
    assert back.of_type("error")[1]["payload"]["code"] == "bad_request"
    for socket in (sender, back):
        await socket.close()


async def test_the_resuming_client_follows_edits_and_deletes_by_their_seq(team):
    client = DirectClient(team.base_url, team.member.cookie)
    await client.start()
    sender = await pal(team, team.owner)
    await sender.send(frame("send_message", recipientId=team.member.id, content="hi", clientMsgId="k1"))
    message = (await sender.next("message_received"))["payload"]
    await client.subscribe(message["conversationId"])
    await sender.send(frame("edit_message", messageId=message["id"], content="hi!"))
    await sender.send(frame("delete_message", messageId=message["id"]))
    deleted = (await sender.next("message_deleted"))["payload"]

    async def followed() -> list[str]:
        seen = []
        while not seen or seen[-1] != "message_deleted":
            seen.append((await client.events.get())["type"])
        return seen

    seen = await asyncio.wait_for(followed(), 10)
    assert [t for t in seen if t.startswith("message_")] == ["message_received", "message_edited", "message_deleted"]
    assert client.last_seq[message["conversationId"]] == deleted["seq"]
    await client.stop()
    await sender.close()
