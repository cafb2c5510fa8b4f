"""Edge settings: `PARLEY_EDGE_*` env vars."""

from pydantic_settings import SettingsConfigDict

from parley_runtime.settings import DEFAULT_SECRET, ServiceSettings


class EdgeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEY_EDGE_", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = 8000
    session_secret: str = DEFAULT_SECRET
    """HMAC key of the `connect.sid` cookie; production refuses the default."""
    tls_certfile: str | None = None
    tls_keyfile: str | None = None
    cookie_max_age_s: int = 30 * 24 * 3600

    @property
    def tls(self) -> bool:
        return bool(self.tls_certfile and self.tls_keyfile)
