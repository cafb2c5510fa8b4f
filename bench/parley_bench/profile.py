"""Sampling profiles of the edge while a scenario runs (`--profile`): py-spy attaches to
the edge process (and its workers, if it has them) from outside, so the edge runs
unmodified, and the collapsed stacks it writes are summed here into the functions where
the edge spends its time."""

import contextlib
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path


@contextlib.contextmanager
def recording(pid: int, path: Path):
    """Samples `pid` until the block ends; collapsed stacks land in `path`."""
    command = [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid), "--rate", "250",
               "--format", "raw", "--nonblocking", "--subprocesses", "--output", str(path)]  # fmt: skip
    sampler = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield
    finally:
        sampler.send_signal(signal.SIGINT)
        _, errors = sampler.communicate(timeout=60)
        if sampler.returncode not in (0, -signal.SIGINT) and not path.exists():
            raise RuntimeError(f"py-spy failed: {errors.decode(errors='replace').strip()}")


def hottest(path: Path, top: int = 15) -> list[tuple[str, float, float]]:
    """The functions most samples ended in: (function, % own, % including callees)."""
    own: Counter[str] = Counter()
    under: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [_short(frame) for frame in stack.split(";")]
        own[frames[-1]] += int(count)
        for frame in set(frames):
            under[frame] += int(count)
    total = sum(own.values()) or 1
    return [(f, round(100 * n / total, 1), round(100 * under[f] / total, 1)) for f, n in own.most_common(top)]


def _short(frame: str) -> str:
    """`send (uvicorn/protocols/websockets/x.py:42)` → `send (x.py)`."""
    name, _, where = frame.partition(" (")
    file = where.split(":")[0].rsplit("/", 1)[-1]
    return f"{name} ({file})" if file else name
