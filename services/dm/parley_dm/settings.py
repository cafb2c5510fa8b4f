"""DM settings: `PARLEY_DM_*` env vars."""

from enum import StrEnum
from pathlib import Path

from pydantic_settings import SettingsConfigDict

from parley_runtime.settings import CassandraFields, EventSourcedSettings


class StoreKind(StrEnum):
    SQLITE = "sqlite"
    CASSANDRA = "cassandra"


class DmSettings(EventSourcedSettings, CassandraFields):
    model_config = SettingsConfigDict(env_prefix="PARLEY_DM_", extra="ignore", frozen=True)

    store: StoreKind = StoreKind.SQLITE
    sqlite_path: Path = Path(".parley/data/dm.sqlite3")
    cassandra_keyspace: str = "parley_dm"
