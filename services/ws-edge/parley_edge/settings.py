"""Edge settings: `PARLEY_EDGE_*` env vars."""

import ipaddress
import os
from functools import cached_property

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from parley_runtime.settings import DEFAULT_SECRET, ServiceSettings

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0", "::"})
DEFAULT_PORTS = {"http": 80, "https": 443}
MIN_SECRET_BYTES = 32


class EdgeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEY_EDGE_", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default_factory=lambda: len(os.sched_getaffinity(0)), ge=1)
    """Edge processes sharing `port`, one per core by default; each has its own NATS
    connection and feeds, and the kernel spreads new connections over them."""
    reuse_port: bool = False
    """Listen with SO_REUSEPORT, so that several edges share one port (what each worker does)."""
    session_secret: str = DEFAULT_SECRET
    """HMAC key of the `connect.sid` cookie; production refuses the default and any key
    under `MIN_SECRET_BYTES`."""
    session_cache_s: float = Field(default=2.0, ge=0)
    """How long a checked session is believed without asking auth again (0: ask every
    time); a logout ends it at once, an expiry at most this much later."""
    tls_certfile: str | None = None
    tls_keyfile: str | None = None
    cookie_max_age_s: int = 30 * 24 * 3600

    allowed_origins: str = ""
    """Comma-separated origins allowed to open sockets and to send cookie-carrying
    state-changing requests; `*` allows any; empty: the edge's own address (`own_origins`).
    A request with no Origin (not a browser) is always allowed: the check is against
    cross-site requests, which only browsers can be tricked into."""
    trusted_proxies: str = ""
    """Comma-separated addresses or CIDRs of proxies whose `X-Forwarded-For` names the
    client; empty: nobody's, the client is whoever connected."""
    keep_alive_s: int = Field(default=75, gt=0)
    """How long an idle HTTP connection is kept open for the client's next request.
    Longer than clients keep theirs (httpx: 5 s), so that a client never sends a request
    on a connection the edge is closing at that moment: with uvicorn's 5 s, a busy
    client saw its posts fail with a read error now and then."""
    max_body_bytes: int = 64 * 1024
    """A larger request body is refused with 413 before it is read whole."""
    max_header_bytes: int = 16 * 1024
    """A larger request head (request line and headers) is refused with 431."""
    max_frame_bytes: int = 64 * 1024
    ping_interval_s: float = 30.0
    ping_timeout_s: float = 20.0
    send_buffer_kib: int = 1024
    """How far (KiB) a socket may fall behind before it is closed with 1013; typing and
    presence frames stop as soon as it is behind at all."""
    sends_per_5s: int = 5
    typing_per_5s: int = 10
    joins_per_10s: int = 20
    abuse_refusals_per_10s: int = 30
    presence_bucket: str = "presence"
    presence_ttl_s: float = 60.0
    web_dir: str = "web/app/dist"
    """The chat web app's build, served at `/` (relative to the working directory); a
    missing folder only means `/` answers 404."""

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        for entry in _listed(value):
            try:
                ipaddress.ip_network(entry)  # strict, as uvicorn reads it
            except ValueError as exc:
                raise ValueError(f"{entry!r} is not an IP address or CIDR") from exc
        return value

    def production_refusals(self) -> list[str]:
        """What production mode will not run with: a guessable cookie key, any origin."""
        refusals = []
        if self.session_secret == DEFAULT_SECRET or len(self.session_secret.encode()) < MIN_SECRET_BYTES:
            refusals.append(f"PARLEY_EDGE_SESSION_SECRET must be a random value of {MIN_SECRET_BYTES} bytes or more")
        if "*" in _listed(self.allowed_origins):
            refusals.append("PARLEY_EDGE_ALLOWED_ORIGINS must list the site's origins, not *")
        return refusals

    @property
    def proxies(self) -> list[str]:
        return _listed(self.trusted_proxies)

    @cached_property
    def origins(self) -> set[str]:
        return set(_listed(self.allowed_origins)) or self.own_origins()

    def own_origins(self) -> set[str]:
        """The origins of pages this edge serves itself: its host and port, and both loopback
        names when it listens on loopback or on every interface (other names of a public
        address cannot be known here: list them in `allowed_origins`)."""
        scheme = "https" if self.tls else "http"
        hosts = {self.host}
        if self.host in LOCAL_HOSTS:
            hosts |= {"localhost", "127.0.0.1", "::1"}
        hosts -= {"0.0.0.0", "::"}
        port = "" if self.port == DEFAULT_PORTS[scheme] else f":{self.port}"
        return {f"{scheme}://{f'[{host}]' if ':' in host else host}{port}" for host in hosts}

    @property
    def tls(self) -> bool:
        return bool(self.tls_certfile and self.tls_keyfile)


def _listed(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]
