"""Starts, watches and stops the embedded stack.

Start order follows need: NATS (one server, or the nodes of a cluster), then auth, chat
and dm together, then the edge (whose readiness needs auth). `instances` copies of each
service but the assistant run side by side, sharing their SQLite files and NATS queue
groups, the edges on consecutive ports. A process that dies unexpectedly is reported and restarted, and
so is one whose `/readyz` stays false (or unanswered) for `PARLEY_UNREADY_RESTART_S`.
Stopping goes the other way: the edge first, so clients are told to reconnect (1001).
"""

import asyncio
import socket
import subprocess
import sys
import time
from pathlib import Path

from .nats import ClusterNode, nats_argv, wait_for_jetstream
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
    def __init__(self, settings: StackSettings, env: dict[str, str] | None = None):
        """`env`: further `PARLEY_*` settings for the services (stores, say)."""
        self.settings = settings
        self.env = env or {}
        self.data_dir = settings.data_dir.resolve()
        self.logs = self.data_dir / "logs"
        ports = [settings.nats_port + n for n in range(settings.nats_nodes)]
        self.nats_url = ",".join(f"nats://127.0.0.1:{port}" for port in ports)
        self.nats: list[subprocess.Popen | None] = [None] * settings.nats_nodes
        self.services: dict[str, ServiceProcess] = {}
        self.unready_since: dict[str, float] = {}
        self.polled_at = 0.0

    @property
    def replicas(self) -> int:
        """Copies of each JetStream stream: one per node, at most three."""
        return min(self.settings.nats_nodes, 3)

    def names(self, service_name: str) -> list[str]:
        """The process names of a service's copies: `chat`, `chat-2`, …"""
        copies = 1 if service_name in LATE else self.settings.instances
        return [service_name if n == 1 else f"{service_name}-{n}" for n in range(1, copies + 1)]

    def _make(self, name: str) -> ServiceProcess:
        service_name, _, copy = name.partition("-")
        settings = {"log_level": self.settings.log_level, "nats_replicas": str(self.replicas)}
        port = None
        if service_name == "edge":
            port, settings["host"] = self.settings.port + int(copy or 1) - 1, self.settings.host
            settings["workers"] = str(self.settings.edge_workers)
        process = service(service_name, self.nats_url, self.data_dir, log_name=name, port=port, **settings)
        process.log_file = self.logs / f"{name}.log"
        process.env.update(self.env)
        return process

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        for node in range(self.settings.nats_nodes):
            self.start_nats(node)
        asyncio.run(wait_for_jetstream(self.nats_url, self.replicas))
        for group in ([name for s in SERVICES for name in self.names(s)], [*LATE, *self.names("edge")]):
            for name in group:
                self.services[name] = self._make(name).spawn()
            self._write_pids()  # before the wait: whoever sees a service answer finds its pid listed
            wait_all(*(self.services[name] for name in group))

    def nats_name(self, node: int) -> str:
        return "nats" if node == 0 else f"nats-{node + 1}"

    def start_nats(self, node: int) -> None:
        s, name = self.settings, self.nats_name(node)
        port, store = s.nats_port + node, self.data_dir / name
        cluster = None
        if s.nats_nodes > 1:
            routes = tuple(s.nats_route_port + n for n in range(s.nats_nodes))
            cluster = ClusterNode(name, routes[node], routes)
        with (self.logs / f"{name}.log").open("ab") as log:
            self.nats[node] = process = subprocess.Popen(
                nats_argv(port, store, node=cluster), stdout=log, stderr=subprocess.STDOUT, preexec_fn=detached_child
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited:\n{tail(self.logs / f'{name}.log')}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"{name} did not listen on {port}")

    def _write_pids(self) -> None:
        nats = {self.nats_name(n): p.pid for n, p in enumerate(self.nats) if p is not None}
        pids = {**nats, **{name: p.popen().pid for name, p in self.services.items()}}
        (self.data_dir / "stack.pids").write_text("".join(f"{name} {pid}\n" for name, pid in pids.items()))

    def describe(self) -> str:
        s = self.settings
        edges = ", ".join(f"http://{s.host}:{s.port + n}" for n in range(s.instances))
        rows = [
            ("edge", f"{edges}  (ws://{s.host}:{s.port}/ws/chat, /messagepal)"),
            ("nats", self.nats_url),
            *[(name, f"{s.instances} x SQLite {self.data_dir / (name + '.sqlite3')}") for name in SERVICES],
            ("assistant", "answers @AI mentions (offline provider unless PARLEY_ASSISTANT_OPENAI_BASE_URL is set)"),
            ("logs", str(self.logs)),
        ]
        return "\n".join(f"  {name:6} {where}" for name, where in rows)

    def supervise(self) -> None:
        """One round: NATS and every service that exited or stayed unready too long start again."""
        for node, server in enumerate(self.nats):
            if server is not None and server.poll() is not None:
                say(f"{self.nats_name(node)} exited with {server.returncode}; restarting it")
                self.start_nats(node)
        poll_readiness = self.settings.unready_restart_s and time.monotonic() - self.polled_at >= READY_POLL_S
        if poll_readiness:
            self.polled_at = time.monotonic()
        for name, process in list(self.services.items()):
            if process.popen().poll() is not None:
                say(f"{name} crashed with exit code {process.popen().returncode}; last log lines:")
            elif poll_readiness and not name.startswith("edge") and self._unready_too_long(name, process):
                # Not the edge: it is unready while auth is, and a restart would drop every socket.
                say(f"{name} not ready for {self.settings.unready_restart_s:g}s; restarting it; last log lines:")
                process.stop(timeout_s=5)
            else:
                continue
            say(tail(process.log_file, 5))
            time.sleep(self.settings.restart_backoff_s)
            self.unready_since.pop(name, None)
            try:
                self.restart(name)
                say(f"{name} restarted")
            except Exception as exc:  # report and keep supervising: it is tried again next round
                say(f"{name} did not come back: {exc}")
        self._write_pids()

    def restart(self, name: str) -> None:
        """Starts a service's process again (after it died or was stopped) and waits until it is ready."""
        self.services[name] = self._make(name).start()
        self._write_pids()

    def _unready_too_long(self, name: str, process: ServiceProcess) -> bool:
        if process.ready():
            self.unready_since.pop(name, None)
            return False
        since = self.unready_since.setdefault(name, time.monotonic())
        return time.monotonic() - since >= self.settings.unready_restart_s

    def stop(self) -> None:
        for service_name in ("edge", *LATE, *SERVICES):
            for name in self.names(service_name):
                if name in self.services:
                    self.services[name].stop()
        for process in self.nats:
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(15)
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
