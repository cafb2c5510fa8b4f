"""DM settings: `PARLEY_DM_*` env vars."""

from enum import StrEnum
from pathlib import Path

from pydantic_settings import SettingsConfigDict

from parley_runtime.settings import ServiceSettings


class StoreKind(StrEnum):
    SQLITE = "sqlite"
    CASSANDRA = "cassandra"


class DmSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEY_DM_", extra="ignore", frozen=True)

    store: StoreKind = StoreKind.SQLITE
    sqlite_path: Path = Path(".parley/data/dm.sqlite3")
    cassandra_hosts: str = "127.0.0.1:9042"
    cassandra_keyspace: str = "parley_dm"
    events_stream: str = "EVENTS"
    events_duplicate_window_s: float = 3600.0
    republish_interval_s: float = 2.0
    republish_grace_s: float = 5.0
