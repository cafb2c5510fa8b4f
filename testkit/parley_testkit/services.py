"""Parley's own services as real processes for cross-service tests.

Each runs as `python -m <package>` with env settings, logs to a file the test can
read, and is waited for through its `/readyz`.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .nats_server import free_port
from .process import ServerFailed, tail


class ServiceProcess:
    def __init__(self, module: str, env: dict[str, str], log_file: Path, ready_url: str):
        self.module = module
        self.env = env
        self.log_file = log_file
        self.ready_url = ready_url
        self.proc: subprocess.Popen | None = None

    def start(self, timeout_s: float = 30.0) -> "ServiceProcess":
        return self.spawn().wait_ready(timeout_s)

    def spawn(self) -> "ServiceProcess":
        """Start the process without waiting, so several services can boot at once."""
        with self.log_file.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", self.module], env={**os.environ, **self.env}, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        return self

    def wait_ready(self, timeout_s: float = 30.0) -> "ServiceProcess":
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerFailed(f"{self.module} exited with {self.proc.returncode}:\n{tail(self.log_file)}")
            try:
                with urllib.request.urlopen(self.ready_url, timeout=1) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise ServerFailed(f"{self.module} not ready in {timeout_s}s:\n{tail(self.log_file)}")

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 15.0) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def logs(self) -> str:
        return self.log_file.read_text(errors="replace")


def auth_service(nats_url: str, folder: Path, **settings: str) -> ServiceProcess:
    port = free_port()
    env = {
        "PARLEY_AUTH_NATS_URL": nats_url,
        "PARLEY_AUTH_SQLITE_PATH": str(folder / "auth.sqlite3"),
        "PARLEY_AUTH_HEALTH_PORT": str(port),
        "PARLEY_AUTH_LOG_LEVEL": "debug",
        **{f"PARLEY_AUTH_{k.upper()}": v for k, v in settings.items()},
    }
    return ServiceProcess("parley_auth", env, folder / "auth.log", f"http://127.0.0.1:{port}/readyz")


def edge_service(nats_url: str, folder: Path, **settings: str) -> tuple[ServiceProcess, str]:
    port = free_port()
    env = {
        "PARLEY_EDGE_NATS_URL": nats_url,
        "PARLEY_EDGE_PORT": str(port),
        "PARLEY_EDGE_LOG_LEVEL": "debug",
        **{f"PARLEY_EDGE_{k.upper()}": v for k, v in settings.items()},
    }
    base = f"http://127.0.0.1:{port}"
    return ServiceProcess("parley_edge", env, folder / "edge.log", f"{base}/readyz"), base
