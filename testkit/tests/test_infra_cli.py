"""`parley-infra up` then `down` leaves no process behind (NATS and FerretDB on spare ports)."""

import os
import subprocess
import sys

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
