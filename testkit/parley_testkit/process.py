"""Starting, finding and stopping detached server processes through pid files."""

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from parley_stack.processes import tail


class ServerFailed(RuntimeError):
    """A server could not be installed or started; the message says why."""


def running_pid(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        pid_file.unlink(missing_ok=True)
        return None
    return pid


def start(argv: list[str], pid_file: Path, log_file: Path, cwd: Path, env: dict | None = None) -> int:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    pid_file.write_text(str(proc.pid))
    return proc.pid


def stop(pid_file: Path, timeout_s: float = 30.0) -> bool:
    """SIGTERM the server's process group, then SIGKILL it if it lingers."""
    pid = running_pid(pid_file)
    if pid is None:
        return False
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    if _alive(pid):
        _signal_group(pid, signal.SIGKILL)
        while _alive(pid):
            time.sleep(0.05)
    pid_file.unlink(missing_ok=True)
    return True


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_until(probe: Callable[[], object], pid_file: Path, log_file: Path, timeout_s: float, name: str) -> None:
    """Poll `probe` until it stops raising; fail at once if the process has died."""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if running_pid(pid_file) is None:
            raise ServerFailed(f"{name} exited during start-up; last log lines:\n{tail(log_file)}")
        try:
            probe()
            return
        except Exception as exc:  # probes raise whatever their client raises
            last_error = exc
        time.sleep(0.5)
    raise ServerFailed(f"{name} not ready after {timeout_s:.0f}s ({last_error}); last log lines:\n{tail(log_file)}")


def run_checked(argv: list[str], what: str, cwd: Path | None = None, env: dict | None = None) -> None:
    try:
        result = subprocess.run(argv, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise ServerFailed(f"{what}: `{argv[0]}` is not installed on this machine") from exc
    if result.returncode != 0:
        output = (result.stdout + result.stderr)[-3000:]
        raise ServerFailed(f"{what} failed (exit {result.returncode}):\n{output}")
