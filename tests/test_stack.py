"""The embedded stack exactly as `make up` runs it: a whole scenario over real sockets,
a crash and its restart, a clean stop, and the data still there after a restart; a
service that stops answering its readiness is restarted too."""

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from parley_client import FrameSocket
from parley_stack.launcher import stack_pids
from parley_stack.processes import free_port
from parley_testkit.users import PASSWORD
from parley_testkit.waiting import until


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


class RunningStack:
    def __init__(self, data_dir, **settings: str):
        self.data_dir = data_dir
        self.port = free_port()
        env = {**os.environ, "PARLEY_DATA_DIR": str(data_dir), "PARLEY_PORT": str(self.port),
               "PARLEY_NATS_PORT": str(free_port()), **settings}  # fmt: skip
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "parley_stack"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.base_url = f"http://127.0.0.1:{self.port}"

    async def ready(self) -> None:
        async def answers() -> bool:
            assert self.proc.poll() is None, self.proc.stdout.read()
            try:
                async with httpx.AsyncClient() as client:
                    return (await client.get(f"{self.base_url}/readyz")).status_code == 200
            except httpx.TransportError:
                return False

        await until(answers, timeout_s=60, interval_s=0.2)

    def stop(self) -> tuple[int, str]:
        pids = stack_pids(self.data_dir).values()
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(60)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in pids if alive(pid)], "a process outlived the stack"
        return code, self.proc.stdout.read()

    def kill(self) -> None:
        """End a stack a failed test left running, and every service it started."""
        if self.proc.poll() is not None:
            return
        try:
            pids = list(stack_pids(self.data_dir).values())
        except FileNotFoundError:
            pids = []  # it failed before spawning anything
        self.proc.kill()
        self.proc.wait()
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def stacks():
    """Starts stacks for one test; those still running when it ends (it failed) are killed."""
    started: list[RunningStack] = []

    def start(data_dir, **settings: str) -> RunningStack:
        started.append(RunningStack(data_dir, **settings))
        return started[-1]

    yield start
    for stack in started:
        stack.kill()


async def login(base_url: str, username: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base_url, timeout=15)  # outlasts the edge's wait on a downed service
    response = await client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return client


def cookie_of(client: httpx.AsyncClient) -> str:
    return f"connect.sid={client.cookies['connect.sid']}"


@pytest.mark.timeout(240)
async def test_make_up_runs_everything_survives_a_crash_and_keeps_data(tmp_path, stacks):
    stack = stacks(tmp_path / "data")
    await stack.ready()
    base = stack.base_url
    async with httpx.AsyncClient(base_url=base) as anon:
        for name in ("ada", "bob"):
            body = {"username": name, "password": PASSWORD, "name": name.title()}
            assert (await anon.post("/api/auth/register", json=body)).status_code == 201
    ada, bob = await login(base, "ada"), await login(base, "bob")
    bob_id = (await bob.get("/api/users/me")).json()["id"]
    workspace = (await ada.post("/api/workspaces", json={"name": "Home"})).json()
    await ada.post(f"/api/workspaces/{workspace['id']}/members", json={"userId": bob_id})
    channel = (await ada.post(f"/api/workspaces/{workspace['id']}/channels", json={"name": "general"})).json()

    sock = await FrameSocket.open(base, cookie=cookie_of(bob))
    await sock.send({"type": "join_channel", "channelId": channel["id"]})
    await sock.next("joined_channel")
    posted = await ada.post("/api/messages", json={"channelId": channel["id"], "content": "hello bob"})
    assert posted.status_code == 201, posted.text
    assert (await sock.next("new_message"))["message"]["content"] == "hello bob"
    await ada.post("/api/messages", json={"channelId": channel["id"], "content": "@AI help"})
    answer = await sock.wait_for(lambda f: f.get("type") == "new_message" and f["message"].get("replyTo"), timeout=20)
    assert "summary" in answer["message"]["content"]
    pal = await FrameSocket.open(base, "/messagepal", cookie=cookie_of(ada))
    await pal.send({"type": "send_message", "payload": {"recipientId": bob_id, "content": "a secret"}})
    await pal.next("message_received")

    os.kill(stack_pids(stack.data_dir)["chat"], signal.SIGKILL)

    async def chat_back() -> bool:
        response = await ada.post("/api/messages", json={"channelId": channel["id"], "content": "after the crash"})
        return response.status_code == 201

    await until(chat_back, timeout_s=60, interval_s=0.5)
    await sock.close()
    await pal.close()
    code, output = stack.stop()
    assert code == 0
    assert "chat crashed" in output and "chat restarted" in output

    again = stacks(tmp_path / "data")
    await again.ready()
    ada = await login(again.base_url, "ada")
    history = (await ada.get(f"/api/channels/{channel['id']}/messages")).json()
    assert [m["content"] for m in history if "@AI" not in m["content"] and not m.get("replyTo")] == [
        "hello bob",
        "after the crash",
    ]
    bob = await login(again.base_url, "bob")
    inbox = (await bob.get("/api/messagepal/conversations")).json()
    assert inbox[0]["lastMessage"]["content"] == "a secret" and inbox[0]["unread"] == 1
    assert again.stop()[0] == 0


@pytest.mark.timeout(180)
async def test_a_service_unready_for_too_long_is_restarted(tmp_path, stacks):
    """Auth and the assistant are frozen: both are replaced. The edge, unready only because
    auth is, keeps running: restarting it would drop every socket and mend nothing."""
    stack = stacks(tmp_path / "data", PARLEY_UNREADY_RESTART_S="2")
    await stack.ready()
    before = stack_pids(stack.data_dir)
    frozen = [before["auth"], before["assistant"]]
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)  # alive, but its readiness no longer answers
    try:

        async def replaced() -> bool:
            now = stack_pids(stack.data_dir)
            return now["auth"] != before["auth"] and now["assistant"] != before["assistant"]

        await until(replaced, timeout_s=60, interval_s=0.2)
        assert not any(alive(pid) for pid in frozen)
        await stack.ready()
        assert stack_pids(stack.data_dir)["edge"] == before["edge"]
    finally:
        for pid in frozen:
            if alive(pid):
                os.kill(pid, signal.SIGCONT)
    code, output = stack.stop()
    assert code == 0
    for name in ("auth", "assistant"):
        assert f"{name} not ready for 2s; restarting it" in output and f"{name} restarted" in output
    assert "edge not ready" not in output
