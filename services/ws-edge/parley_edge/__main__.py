"""`python -m parley_edge`: serve the edge with uvicorn and `PARLEY_EDGE_*` settings,
in one process or (`PARLEY_EDGE_WORKERS` above 1) in several sharing the port."""

import sys

from parley_runtime.logs import configure_logging

from .settings import EdgeSettings
from .workers import supervise


def main() -> None:
    settings = EdgeSettings()
    configure_logging(settings.effective_log_format, settings.log_level, scrub=settings.scrub)
    if settings.production and settings.production_refusals():
        sys.exit("edge: refusing to start in production: " + "; ".join(settings.production_refusals()))
    if settings.workers > 1:
        sys.exit(supervise(settings))
    from .serving import serve  # here, not above: a supervisor only waits, and loading the app takes seconds

    serve(settings)


if __name__ == "__main__":
    main()
