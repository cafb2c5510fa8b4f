"""`parley-infra up` then `down` leaves no process behind (NATS, a NATS cluster and
FerretDB on spare ports)."""

import asyncio
import os
import subprocess
import sys

from parley_stack.nats import wait_for_jetstream
from parley_stack.processes import free_ports
from parley_testkit.nats_server import free_port
from parley_testkit.process import running_pid


def infra(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "parley_testkit", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_up_then_down_leaves_no_process(tmp_path):
    env = {
        **os.environ,
        "PARLEY_INFRA_DIR": str(tmp_path),
        "PARLEY_INFRA_NATS_PORT": str(free_port()),
        "PARLEY_INFRA_MONGO_PORT": str(free_port()),
    }
    for var in ("PARLEY_INFRA_NATS_URL", "PARLEY_INFRA_MONGO_URL"):
        env.pop(var, None)
    up = infra("up", "nats", "ferretdb", env=env)
    assert up.returncode == 0, up.stderr
    assert "nats" in up.stdout and "started" in up.stdout
    pids = [running_pid(tmp_path / name / "server.pid") for name in ("nats", "ferretdb")]
    assert all(pids)
    assert infra("status", env=env).returncode == 1  # cassandra is not running in this folder
    down = infra("down", env=env)
    assert down.returncode == 0, down.stderr
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"


def test_unknown_server_name_is_refused(tmp_path):
    result = infra("up", "redis", env={**os.environ, "PARLEY_INFRA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "unknown server(s): redis" in result.stderr


def test_a_nats_cluster_comes_up_ready_for_replicated_streams_and_goes_down(tmp_path):
    first, routes = free_ports(3), free_ports(3)
    env = {**os.environ, "PARLEY_INFRA_DIR": str(tmp_path), "PARLEY_INFRA_NATS_NODES": "3",
           "PARLEY_INFRA_NATS_PORT": str(first), "PARLEY_INFRA_NATS_ROUTE_PORT": str(routes)}  # fmt: skip
    env.pop("PARLEY_INFRA_NATS_URL", None)
    up = infra("up", "nats", env=env)
    assert up.returncode == 0, up.stderr
    names = ("nats", "nats-2", "nats-3")
    assert all(f"{name} " in up.stdout for name in names), up.stdout
    pids = [running_pid(tmp_path / name / "server.pid") for name in names]
    assert all(pids)
    urls = ",".join(f"nats://127.0.0.1:{first + n}" for n in range(3))
    asyncio.run(wait_for_jetstream(urls, replicas=3, timeout_s=5))  # ready means a 3-replica stream fits now
    assert infra("down", "nats", env=env).returncode == 0
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"
