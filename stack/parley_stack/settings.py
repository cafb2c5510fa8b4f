"""Embedded-stack settings: `PARLEY_*` env vars."""

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class StackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEY_", extra="ignore", frozen=True)

    data_dir: Path = Path(".parley/data")
    """SQLite files, NATS's JetStream store and every process's log."""
    host: str = "127.0.0.1"
    port: int = 8000
    """Where the edge serves HTTP and the sockets."""
    nats_port: int = 4222
    """The first NATS node's client port; further nodes take the ports after it."""
    nats_nodes: int = 1
    """1, or 3 for a NATS cluster (JetStream replicates every stream and bucket to all three)."""
    nats_route_port: int = 6222
    """The first node's cluster port, when there are several; further nodes take the ports after it."""
    instances: int = 1
    """Copies of every service but the assistant; edges listen on `port`, `port + 1`, …"""
    edge_workers: int = Field(default_factory=lambda: len(os.sched_getaffinity(0)), ge=1)
    """Processes of each edge (`PARLEY_EDGE_WORKERS`, the edge's own setting), one per core."""
    log_level: str = "info"
    restart_backoff_s: float = 1.0
    unready_restart_s: float = 30.0
    """A service whose readiness stays false this long is restarted; 0 turns this off."""
