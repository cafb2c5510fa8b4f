"""Throwaway NATS servers with JetStream for one test: a single server, or a cluster of
three on loopback, each node with its own ports and store folder, so JetStream streams
of different tests never meet."""

import asyncio
import signal
import socket
import subprocess
import time
from pathlib import Path

from parley_stack.nats import ClusterNode, nats_argv, wait_for_jetstream
from parley_stack.processes import free_port

from .process import ServerFailed


class EphemeralNats:
    def __init__(self, store_dir: Path, port: int | None = None, node: ClusterNode | None = None):
        self.port = port or free_port()
        self.store_dir = store_dir
        self.node = node
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 10.0) -> "EphemeralNats":
        self.proc = subprocess.Popen(
            nats_argv(self.port, self.store_dir, node=self.node), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                _, errors = self.proc.communicate()
                raise ServerFailed(f"nats-server exited: {errors.decode(errors='replace')}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.02)
        self.stop()
        raise ServerFailed(f"nats-server did not listen on {self.port} within {timeout_s}s")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """A fault: SIGKILL ends it at once, SIGSTOP freezes it until `signal.SIGCONT`."""
        assert self.proc is not None
        self.proc.send_signal(sig)
        if sig == signal.SIGKILL:
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a frozen node cannot hear SIGTERM
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()


class EphemeralNatsCluster:
    """`size` nodes routed to each other, JetStream clustered across them."""

    def __init__(self, store_dir: Path, size: int = 3):
        route_ports = tuple(free_port() for _ in range(size))
        self.nodes = [
            EphemeralNats(store_dir / f"n{i}", node=ClusterNode(f"n{i}", port, route_ports))
            for i, port in enumerate(route_ports)
        ]

    @property
    def url(self) -> str:
        """Every node, comma-separated, as services and clients take them."""
        return ",".join(node.url for node in self.nodes)

    def start(self, timeout_s: float = 30.0) -> "EphemeralNatsCluster":
        try:
            for node in self.nodes:
                node.start()
            asyncio.run(wait_for_jetstream(self.url, len(self.nodes), timeout_s))
        except TimeoutError as exc:
            self.stop()
            raise ServerFailed(str(exc)) from exc
        except BaseException:
            self.stop()
            raise
        return self

    def restart(self, index: int) -> None:
        """Starts a killed node again on its own ports and store."""
        node = self.nodes[index]
        node.stop()
        node.start()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
