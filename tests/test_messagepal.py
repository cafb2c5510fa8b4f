"""`/messagepal` and the DM HTTP API end to end: real sockets, edges and services."""

import asyncio

import pytest

from parley_client import DirectClient, FrameSocket
from parley_contracts.dm import conversation_id
from parley_stack.processes import service
from parley_testkit.teams import make_team


@pytest.fixture
async def team(edge):
    made = await make_team(edge)
    yield made
    await made.close()


async def pal(base_url: str, person) -> FrameSocket:
    socket = await FrameSocket.open(base_url, "/messagepal", cookie=person.cookie)
    connected = await socket.next("connected")
    assert connected["payload"]["userId"] == person.id and connected["timestamp"] > 0
    return socket


def dm_frame(frame_type: str, **payload) -> dict:
    return {"type": frame_type, "payload": payload}


async def test_unauthenticated_messagepal_is_closed_with_4001(edge):
    socket = await FrameSocket.open(edge, "/messagepal")
    assert await socket.wait_closed() == 4001


async def test_a_dm_reaches_every_socket_of_both_users_across_two_edges(team, nats_url, tmp_path):
    second = service("edge", nats_url, tmp_path, log_name="edge2").start()
    try:
        sender_here, sender_there = await pal(team.base_url, team.owner), await pal(second.base_url, team.owner)
        recipient_here, recipient_there = await pal(team.base_url, team.member), await pal(second.base_url, team.member)
        await sender_here.send(dm_frame("send_message", recipientId=team.member.id, content="psst", clientMsgId="d1"))
        for socket in (sender_here, sender_there, recipient_here, recipient_there):
            received = await socket.next("message_received")
            assert received["payload"]["content"] == "psst" and received["payload"]["clientMsgId"] == "d1"
        await sender_here.send(dm_frame("typing", recipientId=team.member.id))
        typing = await recipient_there.next("user_typing")
        assert typing["payload"] == {"userId": team.owner.id, "username": "olivia", "recipientId": team.member.id}
        for socket in (sender_here, sender_there, recipient_here, recipient_there):
            await socket.close()
    finally:
        second.stop()


async def test_read_receipts_reach_the_sender_and_the_inbox_counts_unread(team):
    sender, recipient = await pal(team.base_url, team.owner), await pal(team.base_url, team.member)
    for n in range(3):
        await sender.send(dm_frame("send_message", recipientId=team.member.id, content=f"m{n}"))
    await recipient.wait_for(lambda _: len(recipient.of_type("message_received")) == 3)
    inbox = (await team.member.client.get("/api/messagepal/conversations")).json()
    assert [(e["otherUserId"], e["unread"]) for e in inbox] == [(team.owner.id, 3)]
    second = recipient.of_type("message_received")[1]["payload"]
    await recipient.send(dm_frame("mark_read", messageId=second["id"]))
    receipt = await sender.next("message_read")
    assert (receipt["payload"]["messageId"], receipt["payload"]["readBy"]) == (second["id"], team.member.id)
    await recipient.next("message_read")
    inbox = (await team.member.client.get("/api/messagepal/conversations")).json()
    assert inbox[0]["unread"] == 1
    assert (await team.owner.client.get("/api/messagepal/conversations")).json()[0]["unread"] == 0
    await sender.close()
    await recipient.close()


async def test_a_third_user_is_refused_history_subscribe_and_mark_read(team):
    sender = await pal(team.base_url, team.owner)
    await sender.send(dm_frame("send_message", recipientId=team.member.id, content="private"))
    message = (await sender.next("message_received"))["payload"]
    conv = conversation_id(team.owner.id, team.member.id)
    intruder = await pal(team.base_url, team.outsider)
    for frame in (dm_frame("fetch_history", conversationId=conv), dm_frame("subscribe", conversationId=conv),
                  dm_frame("mark_read", messageId=message["id"])):  # fmt: skip
        before = len(intruder.received)
        await intruder.send(frame)
        answer = (await intruder.frames_after(before))[0]
        assert (answer["type"], answer["payload"]["code"]) == ("error", "forbidden"), frame
    refused = await team.outsider.client.get(f"/api/messagepal/conversations/{conv}/messages")
    assert refused.status_code == 403
    allowed = await team.member.client.get(f"/api/messagepal/conversations/{conv}/messages")
    assert [m["content"] for m in allowed.json()] == ["private"]
    await sender.close()
    await intruder.close()


async def test_history_over_the_socket_and_a_resume_after_a_drop(team):
    sender, recipient = await pal(team.base_url, team.owner), await pal(team.base_url, team.member)
    conv = conversation_id(team.owner.id, team.member.id)
    await sender.send(dm_frame("send_message", recipientId=team.member.id, content="one"))
    last_seq = (await recipient.next("message_received"))["payload"]["seq"]
    await recipient.close()
    for n in ("two", "three", "four"):
        await sender.send(dm_frame("send_message", recipientId=team.member.id, content=n))
    await sender.wait_for(lambda _: len(sender.of_type("message_received")) == 4)

    back = await pal(team.base_url, team.member)
    await back.send(dm_frame("subscribe", conversationId=conv, lastSeq=last_seq))
    subscribed = (await back.next("subscribed"))["payload"]
    assert (subscribed["conversationId"], subscribed["lastSeq"], len(subscribed["epoch"])) == (conv, 4, 8)
    await back.wait_for(lambda _: len(back.of_type("message_received")) == 3)
    assert [f["payload"]["content"] for f in back.of_type("message_received")] == ["two", "three", "four"]
    await back.send(dm_frame("fetch_history", conversationId=conv, before=4))
    history = await back.next("history_response")
    assert [m["content"] for m in history["payload"]["messages"]] == ["one", "two", "three"]
    await back.send(dm_frame("unsubscribe", conversationId=conv))
    await back.next("unsubscribed")
    await sender.close()
    await back.close()


async def test_the_seed_hooks_flat_frames_work_end_to_end(team):
    """use-messagepal-ws.ts puts every field at the top level, beside `type`."""
    sender, recipient = await pal(team.base_url, team.owner), await pal(team.base_url, team.member)
    conv = conversation_id(team.owner.id, team.member.id)
    await sender.send({"type": "send_message", "recipientId": team.member.id, "content": "hi"})
    for socket in (sender, recipient):
        received = (await socket.next("message_received"))["payload"]
        assert (received["content"], received["senderId"], received["conversationId"]) == ("hi", team.owner.id, conv)
    await sender.send({"type": "typing", "recipientId": team.member.id})
    typing = await recipient.next("user_typing")
    assert typing["payload"] == {"userId": team.owner.id, "username": "olivia", "recipientId": team.member.id}
    message_id = received["id"]
    await recipient.send({"type": "mark_read", "messageId": message_id})
    receipt = (await sender.next("message_read"))["payload"]
    assert (receipt["messageId"], receipt["readBy"], receipt["conversationId"]) == (message_id, team.member.id, conv)
    await recipient.send({"type": "fetch_history", "conversationId": conv})
    history = (await recipient.next("history_response"))["payload"]
    assert (history["conversationId"], [m["id"] for m in history["messages"]]) == (conv, [message_id])
    await recipient.send({"type": "subscribe", "conversationId": conv})
    subscribed = (await recipient.next("subscribed"))["payload"]
    assert (subscribed["conversationId"], subscribed["lastSeq"]) == (conv, receipt["seq"])
    await recipient.send({"type": "unsubscribe", "conversationId": conv})
    assert (await recipient.next("unsubscribed"))["payload"] == {"conversationId": conv}
    for socket in (sender, recipient):
        assert not socket.of_type("error")
        await socket.close()


async def test_a_blocked_sender_is_refused_clearly(team):
    assert (await team.member.client.post("/api/messagepal/blocks", json={"userId": team.owner.id})).status_code == 201
    sender = await pal(team.base_url, team.owner)
    await sender.send(dm_frame("send_message", recipientId=team.member.id, content="hello?", clientMsgId="b1"))
    error = await sender.next("error")
    assert error["payload"]["code"] == "blocked" and error["payload"]["clientMsgId"] == "b1"
    await team.member.client.delete(f"/api/messagepal/blocks/{team.owner.id}")
    await sender.send(dm_frame("send_message", recipientId=team.member.id, content="hello again"))
    assert (await sender.next("message_received"))["payload"]["content"] == "hello again"
    await sender.close()


async def test_bad_envelopes_get_error_frames(team):
    socket = await pal(team.base_url, team.owner)
    for raw, code in [
        ("nope", "invalid_json"),
        ('{"type": "shout", "payload": {}}', "unknown_type"),
        ('{"type": "send_message", "payload": {"recipientId": "x", "content": "y"}}', "bad_request"),
        ('{"type": "fetch_history", "payload": {"conversationId": "conv_1"}}', "bad_request"),
        ('{"type": "fetch_history", "conversationId": "conv_1"}', "bad_request"),
        ('{"type": "typing", "payload": 14}', "bad_request"),
        ('{"type": "send_message", "payload": {"recipientId": 999999, "content": "y"}}', "not_found"),
    ]:
        before = len(socket.received)
        await socket.send(raw)
        answer = (await socket.frames_after(before))[0]
        assert (answer["type"], answer["payload"]["code"]) == ("error", code), raw
    assert socket.close_code is None
    await socket.close()


async def test_resilient_dm_client_resends_unacknowledged_sends_once_after_a_drop(team):
    client = DirectClient(team.base_url, team.owner.cookie)
    await client.start()
    first = await client.send_message(team.member.id, "before")
    await client.drop()
    during = await asyncio.wait_for(client.send_message(team.member.id, "during the drop"), 15)
    assert (during["seq"], client.connects) == (first["seq"] + 1, 2)
    url = f"/api/messagepal/conversations/{first['conversationId']}/messages"
    history = (await team.member.client.get(url)).json()
    assert [m["content"] for m in history] == ["before", "during the drop"]
    await client.stop()
