"""The fan-out load's readers: `bench/listen` (Go) run as a child process, so that the load
reads faster than any server it measures writes, and the same way for every server.

The child prints how many deliveries its sockets hold every 100 ms, which `delivered` and
`closed` read without waiting; `figures` asks it for the latencies of one run's tags."""

import asyncio
import json
import os
import subprocess
from pathlib import Path

from parley_stack.processes import go_build_needed

SOURCE = Path(__file__).resolve().parents[1] / "listen"
BINARY = Path(".parley/bench/listen/parley-listen")


def binary() -> Path:
    """The built reader, built again whenever its source is newer (a few seconds)."""
    if go_build_needed(SOURCE, BINARY):
        BINARY.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["go", "build", "-o", str(BINARY.resolve()), "."], cwd=SOURCE, check=True)
    return BINARY


class Readers:
    """`count` sockets on one server, read by the Go child."""

    def __init__(self, process: asyncio.subprocess.Process, count: int):
        self.count = count
        self._process = process
        self._delivered = 0
        self._closed = 0
        self._answers: asyncio.Queue[dict] = asyncio.Queue()
        self._reading = asyncio.ensure_future(self._read())

    @classmethod
    async def open(
        cls, url: str, count: int, steps: list[dict], cookies: list[str] | None = None, subprotocol: str = ""
    ) -> "Readers":
        """Opens the sockets; each goes through `steps` ({"send": text} or {"await": substring})
        after offering `subprotocol`, if any, which the server must accept."""
        args = [str(binary().resolve()), "-url", url, "-sockets", str(count), "-steps", json.dumps(steps)]
        if subprotocol:
            args += ["-subprotocol", subprotocol]
        if cookies:
            path = BINARY.parent / f"cookies-{os.getpid()}"
            path.write_text("\n".join(cookies))
            args += ["-cookies", str(path.resolve())]
        process = await asyncio.create_subprocess_exec(
            *args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, limit=1 << 20
        )
        assert process.stdout is not None
        ready = await process.stdout.readline()
        if ready.strip() != b"ready":
            await process.wait()
            raise RuntimeError(f"parley-listen could not open its sockets (exit {process.returncode}); see above")
        return cls(process, count)

    async def _read(self) -> None:
        assert self._process.stdout is not None
        while line := await self._process.stdout.readline():
            kind, _, rest = line.decode().strip().partition(" ")
            if kind == "tick":
                delivered, closed = rest.split()
                self._delivered, self._closed = int(delivered), int(closed)
            elif kind == "report":
                self._answers.put_nowait(json.loads(rest))

    def delivered(self) -> int:
        """Deliveries received so far, as of the child's last tick."""
        return self._delivered

    def closed(self) -> int:
        """Sockets the server has closed."""
        return self._closed

    async def figures(self, prefix: str, count: int) -> dict:
        """Latency figures (p50, p99, max) of the deliveries of tags `<prefix>0` .. `<prefix><count-1>`
        to every socket, their number, and how many were lost or doubled."""
        assert self._process.stdin is not None
        self._process.stdin.write(f"report {prefix} {count}\n".encode())
        await self._process.stdin.drain()
        return await asyncio.wait_for(self._answers.get(), 120)

    async def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        try:
            await asyncio.wait_for(self._process.wait(), 10)
        except TimeoutError:
            self._process.kill()
        self._reading.cancel()
