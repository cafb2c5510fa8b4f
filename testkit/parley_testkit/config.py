"""Where the managed servers live and listen: `PARLEY_INFRA_*` env vars.

Set `PARLEY_INFRA_CASSANDRA_URL`, `PARLEY_INFRA_MONGO_URL` or `PARLEY_INFRA_NATS_URL`
to use a server you already run; the tooling then starts none of its own for it.
"""

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]


class InfraSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEY_INFRA_", extra="ignore", frozen=True)

    dir: Path = REPO_ROOT / ".parley" / "infra"
    start_timeout_s: float = 240.0

    nats_url: str | None = None
    nats_port: int = 4222
    nats_nodes: int = 1
    """Above 1: a cluster of that many nodes (ports from `nats_port` and `nats_route_port` up)."""
    nats_route_port: int = 6222

    cassandra_url: str | None = None
    """host:port of a Cassandra to use instead of starting one."""
    cassandra_port: int = 9042
    cassandra_storage_port: int = 7000
    cassandra_heap: str = "1G"

    mongo_url: str | None = None
    mongo_port: int = 27017
