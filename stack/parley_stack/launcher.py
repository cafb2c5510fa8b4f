"""Starts, watches and stops the embedded stack.

Start order follows need: NATS, then auth, chat and dm together, then the edge (whose
readiness needs auth). A process that dies unexpectedly is reported and restarted, and
so is one whose `/readyz` stays false (or unanswered) for `PARLEY_UNREADY_RESTART_S`.
Stopping goes the other way: the edge first, so clients are told to reconnect (1001).
"""

import socket
import subprocess
import sys
import time
from pathlib import Path

from .nats import nats_argv
from .processes import ServiceProcess, detached_child, service, tail, wait_all
from .settings import StackSettings

SERVICES = ("auth", "chat", "dm")
READY_POLL_S = 2.0
"""How often each service's readiness is asked (crashes are seen every round)."""
LATE = ("assistant",)
"""Started once the others answer: the assistant registers itself with auth."""


def say(line: str) -> None:
    print(f"parley: {line}", flush=True)


class Stack:
    def __init__(self, settings: StackSettings):
        self.settings = settings
        self.data_dir = settings.data_dir.resolve()
        self.logs = self.data_dir / "logs"
        self.nats_url = f"nats://127.0.0.1:{settings.nats_port}"
        self.nats: subprocess.Popen | None = None
        self.services: dict[str, ServiceProcess] = {}
        self.unready_since: dict[str, float] = {}
        self.polled_at = 0.0

    def _make(self, name: str) -> ServiceProcess:
        port = self.settings.port if name == "edge" else None
        extra = {"host": self.settings.host} if name == "edge" else {}
        process = service(name, self.nats_url, self.data_dir, port=port, log_level=self.settings.log_level, **extra)
        process.log_file = self.logs / f"{name}.log"
        return process

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self._start_nats()
        self.services = {name: self._make(name).spawn() for name in SERVICES}
        wait_all(*self.services.values())
        for name in (*LATE, "edge"):
            self.services[name] = self._make(name).spawn()
        wait_all(*(self.services[name] for name in (*LATE, "edge")))
        self._write_pids()

    def _start_nats(self) -> None:
        with (self.logs / "nats.log").open("ab") as log:
            self.nats = subprocess.Popen(
                nats_argv(self.settings.nats_port, self.data_dir / "nats"),
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=detached_child,
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.nats.poll() is not None:
                raise RuntimeError(f"nats-server exited:\n{tail(self.logs / 'nats.log')}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.settings.nats_port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"nats-server did not listen on {self.settings.nats_port}")

    def _write_pids(self) -> None:
        assert self.nats is not None  # started before the services
        pids = {"nats": self.nats.pid, **{name: p.popen().pid for name, p in self.services.items()}}
        (self.data_dir / "stack.pids").write_text("".join(f"{name} {pid}\n" for name, pid in pids.items()))

    def describe(self) -> str:
        s = self.settings
        rows = [
            ("edge", f"http://{s.host}:{s.port}  (ws://{s.host}:{s.port}/ws/chat, /messagepal)"),
            ("nats", self.nats_url),
            *[(name, f"SQLite {self.data_dir / (name + '.sqlite3')}") for name in SERVICES],
            ("assistant", "answers @AI mentions (offline provider unless PARLEY_ASSISTANT_OPENAI_BASE_URL is set)"),
            ("logs", str(self.logs)),
        ]
        return "\n".join(f"  {name:6} {where}" for name, where in rows)

    def supervise(self) -> None:
        """One round: NATS and every service that exited or stayed unready too long start again."""
        assert self.nats is not None  # supervised only once started
        if self.nats.poll() is not None:
            say(f"nats-server exited with {self.nats.returncode}; restarting it")
            self._start_nats()
        poll_readiness = self.settings.unready_restart_s and time.monotonic() - self.polled_at >= READY_POLL_S
        if poll_readiness:
            self.polled_at = time.monotonic()
        for name, process in list(self.services.items()):
            if process.popen().poll() is not None:
                say(f"{name} crashed with exit code {process.popen().returncode}; last log lines:")
            elif poll_readiness and name != "edge" and self._unready_too_long(name, process):
                # Not the edge: it is unready while auth is, and a restart would drop every socket.
                say(f"{name} not ready for {self.settings.unready_restart_s:g}s; restarting it; last log lines:")
                process.stop(timeout_s=5)
            else:
                continue
            say(tail(process.log_file, 5))
            time.sleep(self.settings.restart_backoff_s)
            self.unready_since.pop(name, None)
            try:
                self.services[name] = self._make(name).start()
                say(f"{name} restarted")
            except Exception as exc:  # report and keep supervising: it is tried again next round
                say(f"{name} did not come back: {exc}")
        self._write_pids()

    def _unready_too_long(self, name: str, process: ServiceProcess) -> bool:
        if process.ready():
            self.unready_since.pop(name, None)
            return False
        since = self.unready_since.setdefault(name, time.monotonic())
        return time.monotonic() - since >= self.settings.unready_restart_s

    def stop(self) -> None:
        for name in ("edge", *LATE, *SERVICES):
            if name in self.services:
                self.services[name].stop()
        if self.nats and self.nats.poll() is None:
            self.nats.terminate()
            self.nats.wait(15)
        (self.data_dir / "stack.pids").unlink(missing_ok=True)


def stack_pids(data_dir: Path) -> dict[str, int]:
    """The processes of a running stack, from its pid file."""
    lines = (data_dir / "stack.pids").read_text().split("\n")
    return {name: int(pid) for name, pid in (line.split() for line in lines if line)}


def run(settings: StackSettings, stop_requested) -> int:
    stack = Stack(settings)
    try:
        stack.start()
        say(f"running; Ctrl-C stops everything\n{stack.describe()}")
        while not stop_requested.wait(0.5):
            stack.supervise()
        say("stopping")
        return 0
    except Exception as exc:
        say(f"could not start: {exc}")
        return 1
    finally:
        stack.stop()
        sys.stdout.flush()
