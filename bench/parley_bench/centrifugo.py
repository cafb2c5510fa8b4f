"""Centrifugo for `make bench-compare`: built with Go from the module proxy (as FerretDB is),
run with its memory engine, anonymous clients and an HTTP API key, on a free port."""

import json
import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from parley_stack.processes import free_port

VERSION = "v6.9.1"
MODULE = f"github.com/centrifugal/centrifugo/v6@{VERSION}"
HOME = Path(".parley/bench/centrifugo")
API_KEY = "bench"
CHANNEL = "bench"


def binary() -> Path:
    """The built server, built first if need be (a few minutes the first time)."""
    built = HOME / VERSION / "centrifugo"
    if not built.exists():
        print(f"building Centrifugo {VERSION} with Go from the module proxy", flush=True)
        env = {**os.environ, "GOBIN": str(built.parent.resolve())}
        subprocess.run(["go", "install", MODULE], env=env, check=True)
    return built


def config(port: int, history: bool) -> dict:
    channel: dict[str, object] = {"allow_subscribe_for_anonymous": True, "allow_subscribe_for_client": True}
    if history:
        channel |= {"history_size": 100, "history_ttl": "300s", "force_recovery": True}
    return {
        "http_server": {"address": "127.0.0.1", "port": port},
        "client": {"allow_anonymous_connect_without_token": True, "allowed_origins": ["*"],
                   "ping_interval": "600s", "pong_timeout": "60s"},  # the load does not answer pings
        "http_api": {"key": API_KEY},
        "channel": {"without_namespace": channel},
        "health": {"enabled": True},
        "log": {"level": "error"},
    }  # fmt: skip


@contextmanager
def running(history: bool = False) -> Iterator[tuple[str, int]]:
    """Its base URL and process id while it runs."""
    port = free_port()
    folder = HOME / f"run-{port}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config(port, history)))
    with (folder / "centrifugo.log").open("ab") as log:
        process = subprocess.Popen(
            [str(binary().resolve()), "--config", "config.json"], cwd=folder, stdout=log, stderr=subprocess.STDOUT
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base_url, process)
        yield base_url, process.pid
    finally:
        process.terminate()
        process.wait(10)


def wait_healthy(base_url: str, process: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Centrifugo exited with {process.returncode}; see its log under {HOME}")
        try:
            with urllib.request.urlopen(f"{base_url}/health", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"Centrifugo did not answer /health within {timeout_s:g} s")
