"""An edge of several workers on one port (`PARLEY_EDGE_WORKERS`): connections spread over
them, a message reaches sockets of every worker, SIGTERM drains them all, and workers that
cannot start stop the edge rather than restart in a loop. Real processes and sockets."""

import signal
import socket

import httpx

from parley_client import FrameSocket
from parley_runtime.children import family
from parley_stack.processes import free_port, free_ports, service, tail, wait_all
from parley_testkit.teams import make_team
from parley_testkit.waiting import until

SOCKETS = 16
"""All on one of two workers by chance: 2 in 65,536."""


def open_sockets(text: str) -> float:
    line = next(line for line in text.splitlines() if line.startswith("parley_edge_open_sockets{"))
    return float(line.rsplit(" ", 1)[1])


async def test_workers_share_the_port_fan_out_to_each_other_and_drain_on_sigterm(
    nats_url, tmp_path, auth_process, chat_process, dm_process
):
    health = free_ports(2)
    edge = service("edge", nats_url, tmp_path, workers="2", health_port=str(health)).spawn()
    wait_all(auth_process, chat_process, dm_process, edge)
    team = await make_team(edge.base_url)
    sockets = []
    try:
        for n in range(SOCKETS):
            person = team.owner if n % 2 else team.member
            sockets.append(await FrameSocket.open(edge.base_url, cookie=person.cookie))
            await sockets[-1].next("connected")
            await sockets[-1].send({"type": "join_channel", "channelId": team.channel_id})
            await sockets[-1].next("joined_channel")
        async with httpx.AsyncClient() as client:
            counts = [open_sockets((await client.get(f"http://127.0.0.1:{health + n}/metrics")).text) for n in (0, 1)]
        assert sum(counts) == SOCKETS and all(counts), counts

        await sockets[0].send({"type": "send_message", "channelId": team.channel_id, "content": "to every worker"})
        for one in sockets:
            assert (await one.next("new_message"))["message"]["content"] == "to every worker"

        workers = family(edge.popen().pid)[1:]
        assert len(workers) == 2
        edge.popen().send_signal(signal.SIGTERM)
        assert edge.popen().wait(40) == 0
        for one in sockets:
            await one.wait_closed(timeout=5)
            assert one.close_code == 1001
        assert not any(_alive(pid) for pid in workers)
    finally:
        for one in sockets:
            await one.close()
        await team.close()
        edge.stop()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def test_workers_that_cannot_listen_stop_the_edge_with_the_reason(nats_url, tmp_path):
    port = free_port()
    with socket.socket() as taken:  # a listener without SO_REUSEPORT: the workers cannot share it
        taken.bind(("127.0.0.1", port))
        taken.listen()
        edge = service("edge", nats_url, tmp_path, port=port, workers="2").spawn()

        async def exited() -> bool:
            return edge.popen().poll() is not None

        try:
            await until(exited, timeout_s=90)
        finally:
            if edge.popen().poll() is None:
                edge.popen().kill()
        assert edge.popen().returncode != 0
        assert "address already in use" in tail(edge.log_file, 200).lower()
