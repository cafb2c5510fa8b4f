"""Auth settings: `PARLEY_AUTH_*` env vars."""

from enum import StrEnum
from pathlib import Path

from pydantic_settings import SettingsConfigDict

from parley_runtime.settings import MongoFields, ServiceSettings


class StoreKind(StrEnum):
    SQLITE = "sqlite"
    MONGO = "mongo"


class AuthSettings(ServiceSettings, MongoFields):
    model_config = SettingsConfigDict(env_prefix="PARLEY_AUTH_", extra="ignore", frozen=True)

    store: StoreKind = StoreKind.SQLITE
    sqlite_path: Path = Path(".parley/data/auth.sqlite3")
    mongo_database: str = "parley_auth"

    session_idle_s: int = 7 * 24 * 3600
    session_absolute_s: int = 30 * 24 * 3600

    # argon2id at or above OWASP's minimum (m=19 MiB, t=2, p=1).
    argon2_memory_kib: int = 19456
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1

    login_attempts_per_user: int = 5
    """Failed logins allowed for one username from one client address, per window."""
    login_attempts_per_address: int = 20
    """Failed logins allowed from one client address, whatever the usernames, per window."""
    login_window_s: int = 300
    throttle_bucket: str = "login_failures"
    """The JetStream KV bucket where every auth process counts failed logins."""
