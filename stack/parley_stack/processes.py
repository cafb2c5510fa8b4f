"""Parley's services as processes: each runs as `python -m <package>` with its
`PARLEY_<NAME>_*` env settings, logs to a file, and is waited for through `/readyz`.
The embedded stack and the cross-service tests both start services this way."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from parley_runtime.children import die_with_parent


def detached_child() -> None:
    """Runs in a child before exec: its own process group, so a Ctrl-C reaches only the
    launcher, which stops children in order; and SIGTERM when the launcher dies, so no
    child outlives it."""
    os.setsid()
    die_with_parent()


class ServiceFailed(RuntimeError):
    """A service exited or never became ready; the message carries its last log lines."""


_handed_out: set[int] = set()


def free_port() -> int:
    """A free loopback port never handed out before by this process (the kernel may offer
    a just-released port again, and two services must not be told the same one)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def free_ports(count: int) -> int:
    """The first of `count` consecutive free loopback ports (a cluster's nodes)."""
    while True:
        first = free_port()
        try:
            for port in range(first + 1, first + count):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue


def go_build_needed(module: Path, binary: Path) -> bool:
    """Whether the binary of a small Go program (`main.go` with its `go.mod` and `go.sum`)
    is missing or older than its sources: FerretDB's wrapper and the bench's reader."""
    sources = [module / "main.go", module / "go.mod", module / "go.sum"]
    return not binary.exists() or binary.stat().st_mtime < max(p.stat().st_mtime for p in sources)


def tail(log_file: Path, lines: int = 25) -> str:
    try:
        return "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


class ServiceProcess:
    def __init__(self, module: str, env: dict[str, str], log_file: Path, ready_url: str, name: str = ""):
        self.module = module
        self.name = name
        self.env = env
        self.log_file = log_file
        self.ready_url = ready_url
        self.base_url = ""
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 30.0) -> "ServiceProcess":
        return self.spawn().wait_ready(timeout_s)

    def spawn(self) -> "ServiceProcess":
        """Start the process without waiting, so several services can boot at once."""
        with self.log_file.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", self.module], env={**os.environ, **self.env}, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=detached_child,
            )  # fmt: skip
        return self

    def popen(self) -> "subprocess.Popen[bytes]":
        """The process `spawn` started."""
        if self.proc is None:
            raise ServiceFailed(f"{self.module} was never spawned")
        return self.proc

    def ready(self) -> bool:
        """Whether its `/readyz` answers 200 now (a 503, no answer or a stranger's answer: no)."""
        try:
            with urllib.request.urlopen(self.ready_url, timeout=1) as answer:
                # Whoever else holds the port must not pass for this service.
                return answer.status == 200 and json.loads(answer.read()).get("service") == self.name
        except (OSError, ValueError):
            return False

    def wait_ready(self, timeout_s: float = 30.0) -> "ServiceProcess":
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.popen().poll() is not None:
                raise ServiceFailed(f"{self.module} exited with {self.popen().returncode}:\n{tail(self.log_file)}")
            if self.ready():
                return self
            time.sleep(0.05)
        self.stop()
        raise ServiceFailed(f"{self.module} not ready in {timeout_s}s:\n{tail(self.log_file)}")

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


PACKAGES = {
    "assistant": "parley_assistant",
    "auth": "parley_auth",
    "chat": "parley_chat",
    "dm": "parley_dm",
    "edge": "parley_edge",
}


def service(
    name: str, nats_url: str, folder: Path, log_name: str | None = None, port: int | None = None, **settings: str
) -> ServiceProcess:
    """`name` is auth, chat, dm or edge; `settings` become its `PARLEY_<NAME>_*` env vars.
    Its SQLite file and log go in `folder`; `port` is the edge's, or a service's health port."""
    prefix = f"PARLEY_{name.upper()}_"
    if name == "edge":
        settings.setdefault("workers", "1")  # one process to start, watch and kill
    port = port or free_port()
    port_var = "PORT" if name == "edge" else "HEALTH_PORT"
    env = {
        f"{prefix}NATS_URL": nats_url,
        f"{prefix}{port_var}": str(port),
        f"{prefix}LOG_LEVEL": "debug",
        f"{prefix}SQLITE_PATH": str(folder / f"{name}.sqlite3"),
        **{f"{prefix}{key.upper()}": value for key, value in settings.items()},
    }
    ready_url = f"http://127.0.0.1:{port}/readyz"
    process = ServiceProcess(PACKAGES[name], env, folder / f"{log_name or name}.log", ready_url, name)
    process.base_url = f"http://127.0.0.1:{port}"
    return process


def wait_all(*processes: ServiceProcess) -> None:
    """Wait until every process is ready; on the first failure stop them all and re-raise."""
    try:
        for process in processes:
            process.wait_ready()
    except ServiceFailed:
        for process in processes:
            process.stop()
        raise
