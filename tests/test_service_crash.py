"""A service killed with -9 in the middle of a socket's sends: once its restart is
ready, every send is acknowledged within a second, and stored once."""

import asyncio
import signal
import time

import pytest

from parley_client import FrameSocket
from parley_stack.processes import ServiceProcess, service, wait_all
from parley_testkit.teams import make_team

SENDS = 5


@pytest.fixture
async def crashing(nats_url, tmp_path, auth_process):
    """Chat and dm that kill themselves after persisting their first message, behind an
    edge that lets a socket send quickly and waits for answers long enough to outlast a
    slow restart on a busy machine."""
    doomed = {name: service(name, nats_url, tmp_path, failpoint="after_persist").spawn() for name in ("chat", "dm")}
    edge = service("edge", nats_url, tmp_path, sends_per_5s="100", request_timeout_s="20").spawn()
    wait_all(auth_process, *doomed.values(), edge)
    team = await make_team(edge.base_url)
    yield team, doomed
    await team.close()
    edge.stop()


async def restart_after_crash(doomed: ServiceProcess, nats_url, tmp_path) -> tuple[float, ServiceProcess]:
    """Wait for the failpoint's kill and start the service again: the wall-clock time it
    is ready, and the process."""
    assert await asyncio.to_thread(doomed.proc.wait, 30) == -signal.SIGKILL
    restarted = service(doomed.name, nats_url, tmp_path, log_name=f"{doomed.name}-restarted").spawn()
    await asyncio.to_thread(restarted.wait_ready)
    return time.time(), restarted


def first_arrivals(timed: list[tuple[str, float]]) -> dict[str, float]:
    """When each clientMsgId was first acknowledged (a resent send may be acknowledged twice)."""
    arrivals: dict[str, float] = {}
    for client_msg_id, at in timed:
        arrivals.setdefault(client_msg_id, at)
    return arrivals


def assert_acked_soon_after(acks: dict[str, float], ready_at: float, ids: list[str]) -> None:
    assert set(acks) == set(ids)
    latest = max(acks.values()) - ready_at
    assert latest <= 1.0, f"the last send was acknowledged {latest:.2f}s after the restarted service was ready"


async def test_chat_killed_mid_send_acknowledges_every_send_within_a_second_of_its_restart(
    crashing, nats_url, tmp_path
):
    team, doomed = crashing
    socket = await FrameSocket.open(team.base_url, cookie=team.member.cookie)
    await socket.send({"type": "join_channel", "channelId": team.channel_id})
    await socket.next("joined_channel")
    ids = [f"chat-{n}" for n in range(SENDS)]
    for client_msg_id in ids:  # the first is persisted by a process that dies before it answers
        await socket.send({"type": "send_message", "channelId": team.channel_id, "content": client_msg_id,
                           "clientMsgId": client_msg_id})  # fmt: skip
    ready_at, restarted = await restart_after_crash(doomed["chat"], nats_url, tmp_path)
    try:

        def acks() -> dict[str, float]:
            return first_arrivals([(f["message"]["clientMsgId"], at) for f, at in socket.timed("new_message")])

        await socket.wait_for(lambda _: len(acks()) == SENDS, timeout=20)
        assert_acked_soon_after(acks(), ready_at, ids)
        assert not socket.of_type("error")
        history = (await team.owner.client.get(f"/api/channels/{team.channel_id}/messages")).json()
        assert sorted(m["clientMsgId"] for m in history) == ids
    finally:
        restarted.stop()
        await socket.close()


async def test_dm_killed_mid_send_acknowledges_every_send_within_a_second_of_its_restart(crashing, nats_url, tmp_path):
    team, doomed = crashing
    socket = await FrameSocket.open(team.base_url, "/messagepal", cookie=team.member.cookie)
    await socket.next("connected")
    ids = [f"dm-{n}" for n in range(SENDS)]
    for client_msg_id in ids:
        payload = {"recipientId": team.owner.id, "content": client_msg_id, "clientMsgId": client_msg_id}
        await socket.send({"type": "send_message", "payload": payload})
    ready_at, restarted = await restart_after_crash(doomed["dm"], nats_url, tmp_path)
    try:

        def acks() -> dict[str, float]:
            return first_arrivals([(f["payload"]["clientMsgId"], at) for f, at in socket.timed("message_received")])

        await socket.wait_for(lambda _: len(acks()) == SENDS, timeout=20)
        assert_acked_soon_after(acks(), ready_at, ids)
        assert not socket.of_type("error")
        conversation = socket.of_type("message_received")[0]["payload"]["conversationId"]
        history = (await team.owner.client.get(f"/api/messagepal/conversations/{conversation}/messages")).json()
        assert sorted(m["clientMsgId"] for m in history) == ids
    finally:
        restarted.stop()
        await socket.close()
