"""The stack a scenario runs against: the embedded stack in a scratch folder, configured
as a deployment would be, through the environment its processes inherit."""

import contextlib
import os
import resource
import tempfile
from pathlib import Path

from parley_stack.launcher import Stack
from parley_stack.processes import free_port
from parley_stack.settings import StackSettings

CHEAP_PASSWORDS = {"PARLEY_AUTH_ARGON2_MEMORY_KIB": "1024", "PARLEY_AUTH_ARGON2_TIME_COST": "1"}
"""Thousands of users are registered before anything is measured; hashing their
passwords at full strength would only make the wait longer."""


@contextlib.contextmanager
def environment(**env: str):
    """Adds `env` to this process's environment, which the stack's processes inherit:
    that is how a deployment configures them."""
    saved = dict(os.environ)
    os.environ.update({**CHEAP_PASSWORDS, **env})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def embedded_stack(edge_workers: int = 1):
    """The embedded stack in a scratch folder."""
    scratch = Path(tempfile.mkdtemp(prefix="parley-bench-"))
    settings = StackSettings(
        data_dir=scratch, port=free_port(), nats_port=free_port(), log_level="warning", edge_workers=edge_workers
    )
    stack = Stack(settings)
    try:
        stack.start()
        print(f"embedded stack in {scratch}", flush=True)
        yield stack, f"http://127.0.0.1:{settings.port}"
    finally:
        stack.stop()


def service_pids(stack: Stack) -> dict[str, int]:
    return {name: service.popen().pid for name, service in stack.services.items()}


def raise_open_files() -> None:
    """Thousands of sockets; the stack inherits the limit."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
