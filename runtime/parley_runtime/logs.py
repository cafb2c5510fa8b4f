"""structlog set-up: JSON in production, key-value in development, secrets redacted.

Redaction is by key name so a careless `log.info(..., password=...)` still never
reaches the output; and a service's own secrets (its passwords, wherever they appear:
an exception's message, a URL) are taken out of every rendered line.
"""

import logging
import sys
from collections.abc import Callable
from typing import TextIO

import structlog
from structlog.typing import EventDict, WrappedLogger

from .settings import LogFormat

SECRET_KEYS = frozenset(
    {
        "password",
        "password_hash",
        "hash",
        "token",
        "session_token",
        "session_id",
        "cookie",
        "cookies",
        "content",
        "body",
        "authorization",
        "secret",
        "set_cookie",
    }
)
REDACTED = "[redacted]"


def redact_secrets(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    for key in event_dict.keys() & SECRET_KEYS:
        event_dict[key] = REDACTED
    return event_dict


def _scrubbing(scrub: Callable[[str], str]) -> Callable[[WrappedLogger, str, EventDict], EventDict]:
    def processor(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
        return {key: scrub(value) if isinstance(value, str) else value for key, value in event_dict.items()}

    return processor


def configure_logging(
    fmt: LogFormat, level: str = "info", stream: TextIO | None = None, scrub: Callable[[str], str] | None = None
) -> None:
    renderer = (
        structlog.processors.JSONRenderer() if fmt is LogFormat.JSON else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_secrets,
            structlog.processors.format_exc_info,
            *([_scrubbing(scrub)] if scrub else []),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
