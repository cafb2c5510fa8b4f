"""Chat settings: `PARLEY_CHAT_*` env vars."""

from enum import StrEnum
from pathlib import Path

from pydantic_settings import SettingsConfigDict

from parley_runtime.settings import CassandraFields, EventSourcedSettings, MongoFields


class DirectoryKind(StrEnum):
    SQLITE = "sqlite"
    MONGO = "mongo"


class StreamKind(StrEnum):
    SQLITE = "sqlite"
    CASSANDRA = "cassandra"


class ChatSettings(EventSourcedSettings, MongoFields, CassandraFields):
    model_config = SettingsConfigDict(env_prefix="PARLEY_CHAT_", extra="ignore", frozen=True)

    directory_store: DirectoryKind = DirectoryKind.SQLITE
    stream_store: StreamKind = StreamKind.SQLITE
    sqlite_path: Path = Path(".parley/data/chat.sqlite3")
    mongo_database: str = "parley_chat"
    cassandra_keyspace: str = "parley_chat"

    assistant_username: str = "assistant"
    """The assistant's user: it may read and post in workspaces that enable it."""
