"""A service killed with -9 in the middle of a socket's sends: once its restart is
ready, every send is acknowledged within a second, and stored once."""

import asyncio
import signal
import time
from collections.abc import Callable

import pytest

from parley_client import FrameSocket
from parley_stack.processes import ServiceProcess, service, wait_all
from parley_testkit.teams import make_team

SENDS = 5


class Crashing:
    """Chat and dm that kill themselves after persisting their first message, behind an
    edge that lets a socket send quickly and waits for answers long enough to outlast a
    slow restart on a busy machine."""

    def __init__(self, nats_url: str, folder, auth_process: ServiceProcess):
        self.nats_url = nats_url
        self.folder = folder
        self.doomed = {
            name: service(name, nats_url, folder, failpoint="after_persist").spawn() for name in ("chat", "dm")
        }
        self.edge = service("edge", nats_url, folder, sends_per_5s="100", request_timeout_s="20").spawn()
        wait_all(auth_process, *self.doomed.values(), self.edge)
        self.restarted: list[ServiceProcess] = []

    async def restart(self, name: str) -> float:
        """Wait for the failpoint's kill and start the service again; the wall-clock time it is ready."""
        assert await asyncio.to_thread(self.doomed[name].proc.wait, 30) == -signal.SIGKILL
        self.restarted.append(service(name, self.nats_url, self.folder, log_name=f"{name}-restarted").spawn())
        await asyncio.to_thread(self.restarted[-1].wait_ready)
        return time.time()

    async def assert_acked_soon_after_restart(
        self, name: str, socket: FrameSocket, ack: str, client_msg_id_of: Callable[[dict], str], ids: list[str]
    ) -> None:
        ready_at = await self.restart(name)

        def first_acks() -> dict[str, float]:  # a resent send may be acknowledged twice
            arrivals: dict[str, float] = {}
            for frame, at in socket.timed(ack):
                arrivals.setdefault(client_msg_id_of(frame), at)
            return arrivals

        await socket.wait_for(lambda _: len(first_acks()) == len(ids), timeout=20)
        assert set(first_acks()) == set(ids)
        latest = max(first_acks().values()) - ready_at
        assert latest <= 1.0, f"the last send was acknowledged {latest:.2f}s after the restarted {name} was ready"
        assert not socket.of_type("error")

    def stop(self) -> None:
        for process in (*self.restarted, self.edge):
            process.stop()


@pytest.fixture
async def crashing(nats_url, tmp_path, auth_process):
    crash = Crashing(nats_url, tmp_path, auth_process)
    team = await make_team(crash.edge.base_url)
    yield crash, team
    await team.close()
    crash.stop()


async def test_chat_killed_mid_send_acknowledges_every_send_within_a_second_of_its_restart(crashing):
    crash, team = crashing
    socket = await FrameSocket.open(team.base_url, cookie=team.member.cookie)
    await socket.send({"type": "join_channel", "channelId": team.channel_id})
    await socket.next("joined_channel")
    ids = [f"chat-{n}" for n in range(SENDS)]
    for client_msg_id in ids:  # the first is persisted by a process that dies before it answers
        await socket.send({"type": "send_message", "channelId": team.channel_id, "content": client_msg_id,
                           "clientMsgId": client_msg_id})  # fmt: skip
    await crash.assert_acked_soon_after_restart(
        "chat", socket, "new_message", lambda f: f["message"]["clientMsgId"], ids
    )
    history = (await team.owner.client.get(f"/api/channels/{team.channel_id}/messages")).json()
    assert sorted(m["clientMsgId"] for m in history) == ids
    await socket.close()


async def test_dm_killed_mid_send_acknowledges_every_send_within_a_second_of_its_restart(crashing):
    crash, team = crashing
    socket = await FrameSocket.open(team.base_url, "/messagepal", cookie=team.member.cookie)
    await socket.next("connected")
    ids = [f"dm-{n}" for n in range(SENDS)]
    for client_msg_id in ids:
        payload = {"recipientId": team.owner.id, "content": client_msg_id, "clientMsgId": client_msg_id}
        await socket.send({"type": "send_message", "payload": payload})
    await crash.assert_acked_soon_after_restart(
        "dm", socket, "message_received", lambda f: f["payload"]["clientMsgId"], ids
    )
    conversation = socket.of_type("message_received")[0]["payload"]["conversationId"]
    history = (await team.owner.client.get(f"/api/messagepal/conversations/{conversation}/messages")).json()
    assert sorted(m["clientMsgId"] for m in history) == ids
    await socket.close()
