"""Settings base: every service reads its configuration from `PARLEY_<SERVICE>_*` env vars.

A secret (a field named `*password`, `*secret` or `*api_key`) may instead come from a
file named by the same variable with `_FILE` appended (`PARLEY_AUTH_NATS_PASSWORD_FILE=
/run/secrets/auth_nats_password`, as compose and Kubernetes mount secrets); the file's
trailing newline is dropped. The variable itself, when set, wins.
"""

import os
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_SECRET = "parley-dev-secret-change-me"
SECRET_SUFFIXES = ("password", "secret", "api_key")


class LogFormat(StrEnum):
    JSON = "json"
    CONSOLE = "console"


def is_secret(field_name: str) -> bool:
    return field_name.endswith(SECRET_SUFFIXES)


class SecretFiles(PydanticBaseSettingsSource):
    """Secret fields read from the file that `<VAR>_FILE` names."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # every value is gathered in __call__

    def __call__(self) -> dict[str, Any]:
        prefix = self.config.get("env_prefix", "")
        values = {}
        for name in self.settings_cls.model_fields:
            variable = f"{prefix}{name}_FILE".upper()
            if is_secret(name) and os.environ.get(variable):
                try:
                    values[name] = Path(os.environ[variable]).read_text().rstrip("\r\n")
                except OSError as exc:
                    raise SystemExit(f"{variable}: cannot read {os.environ[variable]}: {exc.strerror}") from exc
        return values


class SecretSettings(BaseSettings):
    """Settings whose secrets may come from files (`*_FILE`)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, SecretFiles(settings_cls), dotenv_settings, file_secret_settings

    def secret_values(self) -> list[str]:
        """The values of every secret field that is set, for scrubbing them from text."""
        found = [getattr(self, name) for name in type(self).model_fields if is_secret(name)]
        return [value for value in found if isinstance(value, str) and value]


def without_credentials(url: str) -> str:
    """`url` (or several, comma-separated) with any `user:password@` taken out, fit to be
    printed (a password may hold `/`, `#`, `?` or `@`, so a host is whatever follows the
    last `@`)."""
    return ",".join(_one_without_credentials(part) for part in url.split(","))


def _one_without_credentials(url: str) -> str:
    scheme, separator, rest = url.partition("://")
    if "@" not in url:
        return url
    return f"{scheme}{separator}***@{rest.rsplit('@', 1)[1]}" if separator else f"***@{url.rsplit('@', 1)[1]}"


class ServiceSettings(SecretSettings):
    """Fields every service has. Subclasses set `env_prefix`, e.g. `PARLEY_AUTH_`."""

    model_config = SettingsConfigDict(env_prefix="PARLEY_", extra="ignore", frozen=True)

    nats_url: str = "nats://127.0.0.1:4222"
    """One server, or several comma-separated (the nodes of a cluster): the client moves
    to another on its own when one fails."""
    nats_replicas: int = 1
    """Copies JetStream keeps of each stream and bucket this service creates: 3 on a
    three-node cluster, so one node's loss loses nothing."""
    nats_user: str = ""
    nats_password: str = ""
    """Apart from the URL, so that any character works; empty: no credentials."""
    nats_wait_s: float = 10.0
    """How long start-up waits for NATS (trying again after 0.5 s, doubling up to 10 s)."""
    production: bool = False
    log_format: LogFormat | None = None
    """Default: JSON in production, key-value in development."""
    log_level: str = "info"
    health_host: str = "127.0.0.1"
    health_port: int = 0
    """0 turns the health endpoint off."""
    request_timeout_s: float = 5.0
    max_concurrent_requests: int = 256
    """Commands this process serves at once; more wait in NATS's queue for it."""
    request_resend_after_s: float = 1.0
    """A repeatable request unanswered this long is sent again: its responder may have died."""
    unready_exit_s: float = 0.0
    """Exit (non-zero) once readiness has stayed false this long, for a restart policy to act
    on; 0 turns it off."""

    @property
    def effective_log_format(self) -> LogFormat:
        if self.log_format is not None:
            return self.log_format
        return LogFormat.JSON if self.production else LogFormat.CONSOLE

    def scrub(self, text: str) -> str:
        """`text` without any of this service's secrets in it, nor credentials in its URLs."""
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name.endswith("_url") and isinstance(value, str) and value:
                text = text.replace(value, without_credentials(value))
        for secret in self.secret_values():
            text = text.replace(secret, "***")
        return text


class EventSourcedSettings(ServiceSettings):
    """Fields of a service that appends events and relays them into the EVENTS stream."""

    events_stream: str = "EVENTS"
    events_duplicate_window_s: float = 3600.0
    """JetStream drops a re-published event with the same id within this window."""
    events_max_age_s: float = 7 * 24 * 3600.0
    events_max_bytes: int = 1024**3
    """EVENTS keeps events no longer than this, nor more bytes than this (the oldest go
    first): the stores hold the history; the stream only carries events to consumers."""
    republish_interval_s: float = 2.0
    republish_grace_s: float = 5.0
    """An outbox mark younger than this may belong to a request still in flight."""
    failpoint: str | None = None
    """Tests only: `after_persist` makes the process kill itself between persist and publish."""


class MongoFields(SecretSettings):
    """How a service reaches its MongoDB (or FerretDB)."""

    mongo_url: str = "mongodb://127.0.0.1:27017/"
    mongo_user: str = ""
    mongo_password: str = ""
    """Apart from the URL, so that any character works; empty user: no authentication."""
    mongo_auth_source: str = "admin"
    mongo_tls: bool = False
    mongo_tls_ca_file: str = ""
    """The CA that signed the server's certificate; empty: the system's."""


class CassandraFields(SecretSettings):
    """How a service reaches its Cassandra cluster."""

    cassandra_hosts: str = "127.0.0.1:9042"
    cassandra_user: str = ""
    cassandra_password: str = ""
    """PasswordAuthenticator credentials; empty user: no authentication."""
    cassandra_tls: bool = False
    cassandra_tls_ca_file: str = ""
    """The CA that signed the nodes' certificates; empty: the system's."""
    cassandra_request_timeout_s: float = 2.0
    """How long a statement waits for Cassandra before the command fails as unavailable:
    a stalled node makes sends fail fast (the client retries) instead of piling up."""
    cassandra_lease_s: float = 4.0
    """How long a copy holds a stream's lease (renewed at half while the stream is busy):
    after a copy dies, its streams wait this long (and the margin) for another."""
    cassandra_lease_margin_s: float = 0.5
    """The clock skew allowed between copies: a holder stops writing this long before its
    lease ends, and another takes it no sooner than this long after."""
