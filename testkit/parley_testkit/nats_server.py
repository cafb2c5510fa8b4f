"""A throwaway NATS server with JetStream for one test: its own port and store folder,
so JetStream streams of different tests never meet."""

import socket
import subprocess
import time
from pathlib import Path

from parley_stack.nats import nats_argv
from parley_stack.processes import free_port

from .process import ServerFailed


class EphemeralNats:
    def __init__(self, store_dir: Path, port: int | None = None):
        self.port = port or free_port()
        self.store_dir = store_dir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 10.0) -> "EphemeralNats":
        self.proc = subprocess.Popen(
            nats_argv(self.port, self.store_dir), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
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

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()
