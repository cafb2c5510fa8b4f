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
        self.base_url = ""
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


PACKAGES = {"auth": "parley_auth", "chat": "parley_chat", "dm": "parley_dm", "edge": "parley_edge"}


def service(name: str, nats_url: str, folder: Path, log_name: str | None = None, **settings: str) -> ServiceProcess:
    """`name` is auth, chat, dm or edge; `settings` become its `PARLEY_<NAME>_*` env vars."""
    prefix = f"PARLEY_{name.upper()}_"
    port = free_port()
    port_var = "PORT" if name == "edge" else "HEALTH_PORT"
    env = {
        f"{prefix}NATS_URL": nats_url,
        f"{prefix}{port_var}": str(port),
        f"{prefix}LOG_LEVEL": "debug",
        f"{prefix}SQLITE_PATH": str(folder / f"{name}.sqlite3"),
        **{f"{prefix}{key.upper()}": value for key, value in settings.items()},
    }
    process = ServiceProcess(PACKAGES[name], env, folder / f"{log_name or name}.log", f"http://127.0.0.1:{port}/readyz")
    process.base_url = f"http://127.0.0.1:{port}"
    return process


def wait_all(*processes: ServiceProcess) -> None:
    """Wait until every process is ready; on the first failure stop them all and re-raise."""
    try:
        for process in processes:
            process.wait_ready()
    except ServerFailed:
        for process in processes:
            process.stop()
        raise
