"""What every managed server has: install, launch, probe, and the shared start/stop logic."""

import time
from abc import ABC, abstractmethod
from pathlib import Path

from .. import process
from ..config import InfraSettings


class ManagedServer(ABC):
    name: str

    def __init__(self, settings: InfraSettings):
        self.settings = settings
        self.home = settings.dir / self.name
        self.pid_file = self.home / "server.pid"
        self.log_file = self.home / "server.log"

    @abstractmethod
    def external_url(self) -> str | None:
        """The user's own server, when configured; then nothing is started."""

    @abstractmethod
    def url(self) -> str:
        """Where clients connect."""

    @abstractmethod
    def install(self) -> None:
        """Fetch or build what the server needs; cheap when already done."""

    @abstractmethod
    def argv(self) -> list[str]: ...

    @abstractmethod
    def probe(self) -> str:
        """Raise unless the server answers real requests; return its version."""

    def running(self) -> bool:
        return self.external_url() is not None or process.running_pid(self.pid_file) is not None

    def ensure(self) -> tuple[bool, float]:
        """Make the server ready. Returns (started by this call, seconds it took)."""
        began = time.monotonic()
        if self.external_url() is not None:
            self.probe()
            return False, time.monotonic() - began
        if self.running():
            self._wait_ready()
            return False, time.monotonic() - began
        self.home.mkdir(parents=True, exist_ok=True)
        self.install()
        process.start(self.argv(), self.pid_file, self.log_file, cwd=self.home)
        self._wait_ready()
        return True, time.monotonic() - began

    def _wait_ready(self) -> None:
        process.wait_until(self.probe, self.pid_file, self.log_file, self.settings.start_timeout_s, self.name)

    def stop(self) -> bool:
        return process.stop(self.pid_file, timeout_s=60)

    @property
    def data_dir(self) -> Path:
        return self.home / "data"
