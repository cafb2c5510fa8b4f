"""structlog set-up: JSON in production, key-value in development, secrets redacted.

Redaction is by key name so a careless `log.info(..., password=...)` still never
reaches the output.
"""

import logging
import sys
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


def configure_logging(fmt: LogFormat, level: str = "info", stream: TextIO | None = None) -> None:
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
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
