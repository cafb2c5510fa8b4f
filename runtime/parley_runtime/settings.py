"""Settings base: every service reads its configuration from `PARLEY_<SERVICE>_*` env vars."""

from enum import StrEnum

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "parley-dev-secret-change-me"


class LogFormat(StrEnum):
    JSON = "json"
    CONSOLE = "console"


class ServiceSettings(BaseSettings):
    """Fields every service has. Subclasses set `env_prefix`, e.g. `PARLEY_AUTH_`."""

    model_config = SettingsConfigDict(env_prefix="PARLEY_", extra="ignore", frozen=True)

    nats_url: str = "nats://127.0.0.1:4222"
    """One server, or several comma-separated (the nodes of a cluster): the client moves
    to another on its own when one fails."""
    nats_replicas: int = 1
    """Copies JetStream keeps of each stream and bucket this service creates: 3 on a
    three-node cluster, so one node's loss loses nothing."""
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


class EventSourcedSettings(ServiceSettings):
    """Fields of a service that appends events and relays them into the EVENTS stream."""

    events_stream: str = "EVENTS"
    events_duplicate_window_s: float = 3600.0
    """JetStream drops a re-published event with the same id within this window."""
    republish_interval_s: float = 2.0
    republish_grace_s: float = 5.0
    """An outbox mark younger than this may belong to a request still in flight."""
    failpoint: str | None = None
    """Tests only: `after_persist` makes the process kill itself between persist and publish."""
