"""`/ws/chat` when things go wrong: drops and resume, several edges, slow and dead
clients, shutdown. Real sockets, real edge processes, real services."""

import asyncio
import base64
import json
import os
import signal

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from parley_client import ChatClient, FrameSocket
from parley_client.frame_socket import socket_url
from parley_contracts import chat, subjects
from parley_stack.processes import service, wait_all
from parley_testkit.teams import make_team
from parley_testkit.waiting import until


@pytest.fixture
async def team(edge):
    made = await make_team(edge)
    yield made
    await made.close()


async def post(team, person, content: str) -> dict:
    response = await person.client.post("/api/messages", json={"channelId": team.channel_id, "content": content})
    assert response.status_code == 201, response.text
    return response.json()


async def open_joined(base_url, person, channel_id, **extra) -> FrameSocket:
    socket = await FrameSocket.open(base_url, cookie=person.cookie)
    await socket.next("connected")
    await socket.send({"type": "join_channel", "channelId": channel_id, **extra})
    await socket.next("joined_channel", channelId=channel_id)
    return socket


def contents(socket: FrameSocket) -> list[str]:
    return [frame["message"]["content"] for frame in socket.of_type("new_message")]


async def test_rejoin_with_last_seq_replays_every_missed_message_once_in_order(team):
    first = await open_joined(team.base_url, team.member, team.channel_id)
    await post(team, team.owner, "m1")
    last_seq = (await first.next("new_message"))["seq"]
    await first.close()
    for n in range(2, 7):
        await post(team, team.owner, f"m{n}")

    # While the socket replays, more messages are posted: none may be lost or doubled.
    posting = asyncio.gather(*(post(team, team.owner, f"live{n}") for n in range(20)))
    again = await open_joined(team.base_url, team.member, team.channel_id, lastSeq=last_seq)
    await posting
    await again.wait_for(lambda _: len(again.of_type("new_message")) >= 25, timeout=10)
    seqs = [frame["seq"] for frame in again.of_type("new_message")]
    assert seqs == list(range(2, 27))
    assert contents(again)[:5] == ["m2", "m3", "m4", "m5", "m6"]
    assert sorted(contents(again)[5:]) == sorted(f"live{n}" for n in range(20))
    await again.close()


async def test_resilient_client_resends_unacknowledged_sends_once_after_a_drop(team):
    client = ChatClient(team.base_url, team.member.cookie)
    await client.start()
    await client.join(team.channel_id)
    await client.send_message(team.channel_id, "before")
    await client.drop()
    during = asyncio.create_task(client.send_message(team.channel_id, "during the drop"))
    await post(team, team.owner, "while away")
    message = await asyncio.wait_for(during, 15)
    assert message["content"] == "during the drop"
    assert client.connects >= 2
    history = (await team.owner.client.get(f"/api/channels/{team.channel_id}/messages")).json()
    assert [m["content"] for m in history] == ["before", "while away", "during the drop"]
    seen = []
    while not client.events.empty():
        frame = client.events.get_nowait()
        if frame["type"] == "new_message":
            seen.append(frame["message"]["content"])
    assert seen == ["before", "while away", "during the drop"]
    await client.stop()


async def next_message(client: ChatClient) -> dict:
    while (frame := await client.events.get())["type"] != "new_message":
        pass  # presence and the like
    return frame


async def test_a_session_knows_when_its_joins_are_confirmed(team):
    client = ChatClient(team.base_url, team.member.cookie)
    await client.start()
    await post(team, team.owner, "before the join")
    await client.join(team.channel_id)
    await client.until_followed()
    assert client.last_seq[team.channel_id] == 1  # the head the edge read for the join: owed from there
    await post(team, team.owner, "after the join")
    heard = await asyncio.wait_for(next_message(client), 10)
    assert (heard["seq"], heard["message"]["content"]) == (2, "after the join")
    await client.stop()


async def test_two_edges_see_each_others_messages_typing_and_presence(team, nats_url, tmp_path):
    other_edge = service("edge", nats_url, tmp_path, log_name="edge2").start()
    try:
        here = await open_joined(team.base_url, team.owner, team.channel_id)
        there = await open_joined(other_edge.base_url, team.member, team.channel_id)
        assert {u["userId"] for u in there.of_type("joined_channel")[0]["online"]} == {team.owner.id, team.member.id}
        await here.next("user_presence", userId=team.member.id, status="online")
        await there.send({"type": "send_message", "channelId": team.channel_id, "content": "from edge 2"})
        assert (await here.next("new_message"))["message"]["content"] == "from edge 2"
        await here.send({"type": "typing", "channelId": team.channel_id})
        await there.next("user_typing", userId=team.owner.id)
        # A second socket of the same user keeps them online when the first leaves.
        second = await open_joined(team.base_url, team.member, team.channel_id)
        await there.close()
        await here.send({"type": "send_message", "channelId": team.channel_id, "content": "still there?"})
        await second.next("new_message", seq=2)
        assert not here.of_type("user_presence")[1:]
        await second.close()
        await here.next("user_presence", userId=team.member.id, status="offline")
        await here.close()
    finally:
        other_edge.stop()


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


async def test_a_client_that_never_reads_is_closed_1013_and_memory_stays_bounded(
    nats_url, tmp_path, auth_process, chat_process
):
    edge = service("edge", nats_url, tmp_path, log_name="edge-small", send_buffer_kib="64").spawn()
    wait_all(auth_process, chat_process, edge)
    team = await make_team(edge.base_url)
    try:
        stalled = await connect(
            socket_url(edge.base_url, "/ws/chat"), additional_headers={"Cookie": team.member.cookie}, max_queue=1
        )
        await stalled.send(json.dumps({"type": "join_channel", "channelId": team.channel_id}))
        before = rss_kib(edge.proc.pid)
        payload = {"channelId": team.channel_id, "content": "x" * 3900}
        # A connection per request: a reused keep-alive connection can meet the server's idle close.
        flood = httpx.AsyncClient(
            base_url=edge.base_url, cookies=team.owner.client.cookies, limits=httpx.Limits(max_keepalive_connections=0)
        )
        # Until the edge gives up on the stalled socket; how much that takes depends on the
        # kernel's socket buffers (several MiB, tuned by memory), so the bound is time.
        deadline = asyncio.get_running_loop().time() + 180
        while True:
            answers = await asyncio.gather(*(flood.post("/api/messages", json=payload) for _ in range(50)))
            assert {a.status_code for a in answers} == {201}
            metrics = (await team.owner.client.get("/metrics")).text
            if "parley_edge_slow_socket_closes_total 1.0" in metrics:
                break
            assert asyncio.get_running_loop().time() < deadline, "the stalled socket was never closed"
        growth_kib = rss_kib(edge.proc.pid) - before
        await flood.aclose()
        codes = []
        try:
            async for _ in stalled:
                pass
        except ConnectionClosed as closed:
            codes.append(closed.rcvd.code if closed.rcvd else None)
        assert stalled.close_code == 1013 or codes == [1013]
        assert growth_kib < 8 * 1024, f"edge RSS grew {growth_kib} KiB for one stalled socket"
    finally:
        await team.close()
        edge.stop()


async def test_a_client_that_never_answers_pings_is_terminated(nats_url, tmp_path, auth_process, chat_process):
    edge = service(
        "edge", nats_url, tmp_path, log_name="edge-ping", ping_interval_s="0.3", ping_timeout_s="0.3"
    ).spawn()
    wait_all(auth_process, chat_process, edge)
    team = await make_team(edge.base_url)
    host, port = edge.base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET /ws/chat HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nCookie: {team.member.cookie}\r\n\r\n".encode()
    )
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")
    opcodes = []

    async def read_frames_until_eof() -> None:
        while header := await reader.read(2):
            if len(header) < 2:
                return
            length = header[1] & 0x7F
            if length == 126:
                length = int.from_bytes(await reader.readexactly(2), "big")
            elif length == 127:
                length = int.from_bytes(await reader.readexactly(8), "big")
            await reader.readexactly(length)
            opcodes.append(header[0] & 0x0F)

    await asyncio.wait_for(read_frames_until_eof(), 10)  # we never pong, so the edge must hang up
    assert 0x9 in opcodes  # it did ping us
    writer.close()
    await team.close()
    edge.stop()


async def test_sigterm_closes_sockets_with_1001(nats_url, tmp_path, auth_process, chat_process):
    edge = service("edge", nats_url, tmp_path, log_name="edge-term").spawn()
    wait_all(auth_process, chat_process, edge)
    team = await make_team(edge.base_url)
    socket = await open_joined(edge.base_url, team.member, team.channel_id)
    edge.proc.send_signal(signal.SIGTERM)
    assert await socket.wait_closed() == 1001
    # uvicorn re-raises the signal once its graceful shutdown is done, as a service should.
    assert edge.proc.wait(15) in (0, -signal.SIGTERM)
    await team.close()


async def test_out_of_order_publishes_from_two_chat_copies_reach_sockets_in_order(team, nats_url, tmp_path, bus):
    second_chat = service("chat", nats_url, tmp_path, log_name="chat2").start()  # shares the SQLite file
    try:
        socket = await open_joined(team.base_url, team.member, team.channel_id)

        async def post_over_nats(n: int) -> None:
            command = chat.PostMessage(actor_id=team.owner.id, channel_id=team.channel_id, content=f"n{n}")
            await bus.request(subjects.CHAT_POST_MESSAGE, command, timeout_s=30)

        await asyncio.gather(*(post_over_nats(n) for n in range(300)))
        await socket.wait_for(lambda _: len(socket.of_type("new_message")) >= 300, timeout=20)
        assert [frame["seq"] for frame in socket.of_type("new_message")] == list(range(1, 301))
        await socket.close()
    finally:
        second_chat.stop()


async def test_presence_heals_when_an_edge_dies(nats_url, tmp_path, auth_process, chat_process):
    short_ttl = {"presence_ttl_s": "1.5"}
    doomed = service("edge", nats_url, tmp_path, log_name="edge-doomed", **short_ttl).spawn()
    survivor = service("edge", nats_url, tmp_path, log_name="edge-survivor", **short_ttl).spawn()
    wait_all(auth_process, chat_process, doomed, survivor)
    team = await make_team(survivor.base_url)
    try:
        await open_joined(doomed.base_url, team.member, team.channel_id)
        first = await open_joined(survivor.base_url, team.owner, team.channel_id)
        assert team.member.id in {u["userId"] for u in first.of_type("joined_channel")[0]["online"]}
        doomed.proc.kill()  # no goodbye: its presence entries must expire on their own

        async def member_gone() -> bool:
            probe = await open_joined(survivor.base_url, team.owner, team.channel_id)
            online = {u["userId"] for u in probe.of_type("joined_channel")[0]["online"]}
            await probe.close()
            return team.member.id not in online

        await until(member_gone, timeout_s=15, interval_s=0.5)
        await first.close()
    finally:
        await team.close()
        survivor.stop()
