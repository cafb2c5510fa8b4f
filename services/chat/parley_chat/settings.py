"""Chat settings: `PARLEY_CHAT_*` env vars."""

from enum import StrEnum
from pathlib import Path

from pydantic_settings import SettingsConfigDict

from parley_runtime.settings import ServiceSettings


class DirectoryKind(StrEnum):
    SQLITE = "sqlite"
    MONGO = "mongo"


class StreamKind(StrEnum):
    SQLITE = "sqlite"
    CASSANDRA = "cassandra"


class ChatSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEY_CHAT_", extra="ignore", frozen=True)

    directory_store: DirectoryKind = DirectoryKind.SQLITE
    stream_store: StreamKind = StreamKind.SQLITE
    sqlite_path: Path = Path(".parley/data/chat.sqlite3")
    mongo_url: str = "mongodb://127.0.0.1:27017/"
    mongo_database: str = "parley_chat"
    cassandra_hosts: str = "127.0.0.1:9042"
    cassandra_keyspace: str = "parley_chat"

    events_stream: str = "EVENTS"
    events_duplicate_window_s: float = 3600.0
    republish_interval_s: float = 2.0
    republish_grace_s: float = 5.0
    """An outbox mark younger than this may belong to a request still in flight."""

    failpoint: str | None = None
    """Tests only: `after_persist` makes the process kill itself between persist and publish."""
