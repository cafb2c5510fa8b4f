"""Several edge processes on one port, one per core: the supervisor that starts and watches them.

A Python process serves on one core, so an edge host runs `PARLEY_EDGE_WORKERS` copies of
the edge, each listening on the same port with SO_REUSEPORT: the kernel spreads new
connections over them, and each worker has its own NATS connection, feeds and sockets,
as separate edges behind a load balancer would (nothing is shared, so nothing is sticky).
Worker `i` serves its probes and metrics on `PARLEY_EDGE_HEALTH_PORT + i` when that is set.

The supervisor passes SIGTERM on and waits for every worker's drain. A worker that dies
later than `STEADY_AFTER_S` after its start is started again; one that dies sooner (a port
taken, a setting refused) stops the whole edge with its exit code, for the host's restart
policy to see, rather than be restarted in a loop.
"""

import os
import signal
import subprocess
import sys
import threading
import time

import structlog

from parley_runtime.children import die_with_parent

from .settings import EdgeSettings

log = structlog.get_logger("parley.edge.workers")
STEADY_AFTER_S = 60.0
"""Start-up may take a while on a busy host; a crash later than this is not a bad setting."""
WATCH_EVERY_S = 0.5
STOP_WAIT_S = 45.0
"""Longer than a worker's drain (uvicorn's graceful shutdown, then the bus's)."""


class Worker:
    def __init__(self, settings: EdgeSettings, index: int):
        self.index = index
        env = {**os.environ, "PARLEY_EDGE_WORKERS": "1", "PARLEY_EDGE_REUSE_PORT": "true"}
        if settings.health_port:
            env["PARLEY_EDGE_HEALTH_PORT"] = str(settings.health_port + index)
        self.started_at = time.monotonic()
        self.process = subprocess.Popen([sys.executable, "-m", "parley_edge"], env=env, preexec_fn=die_with_parent)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait_stopped(self, deadline: float) -> None:
        try:
            self.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("edge_worker_killed", worker=self.index, pid=self.process.pid)
            self.process.kill()
            self.process.wait()


def supervise(settings: EdgeSettings) -> int:
    """Runs `settings.workers` workers until SIGTERM or SIGINT; the exit code for the host."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    workers = [Worker(settings, index) for index in range(settings.workers)]
    log.info("edge_workers_started", count=len(workers), pids=[w.process.pid for w in workers])
    code = 0
    while not stop.wait(WATCH_EVERY_S):
        for n, worker in enumerate(workers):
            exited = worker.process.poll()
            if exited is None:
                continue
            log.warning("edge_worker_exited", worker=worker.index, code=exited)
            if time.monotonic() - worker.started_at < STEADY_AFTER_S:
                code = exited or 1
                stop.set()
                break
            workers[n] = Worker(settings, worker.index)
    for worker in workers:
        worker.stop()
    deadline = time.monotonic() + STOP_WAIT_S
    for worker in workers:
        worker.wait_stopped(deadline)
    log.info("edge_workers_stopped", code=code)
    return code
