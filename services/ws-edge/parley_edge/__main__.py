"""`python -m parley_edge`: serve the edge with uvicorn and `PARLEY_EDGE_*` settings."""

import sys

import uvicorn

from parley_runtime.logs import configure_logging
from parley_runtime.settings import DEFAULT_SECRET

from .app import create_app
from .settings import EdgeSettings


def main() -> None:
    settings = EdgeSettings()
    configure_logging(settings.effective_log_format, settings.log_level)
    if settings.production and settings.session_secret == DEFAULT_SECRET:
        sys.exit("edge: refusing to start in production with the default PARLEY_EDGE_SESSION_SECRET")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        ssl_certfile=settings.tls_certfile,
        ssl_keyfile=settings.tls_keyfile,
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
