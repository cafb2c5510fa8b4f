"""Child processes: ones that do not outlive the process that started them, and the
children a process has (an edge with workers is their supervisor)."""

import ctypes
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Runs in a child before exec: on Linux it gets SIGTERM (and drains) when its parent
    dies, even by kill -9; elsewhere the parent's own stop still ends it."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux


def family(pid: int) -> list[int]:
    """The process and its children (Linux /proc; elsewhere the process alone)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [pid, *(int(child) for child in children.read().split())]
    except FileNotFoundError:
        return [pid]
