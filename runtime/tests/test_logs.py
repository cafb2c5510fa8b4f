"""Logs are JSON in production, key-value in development, and never carry secrets."""

import io
import json

import structlog

from parley_runtime.logs import configure_logging
from parley_runtime.settings import LogFormat


def test_json_logs_redact_secret_keys():
    out = io.StringIO()
    configure_logging(LogFormat.JSON, "info", stream=out)
    structlog.get_logger().info("login", username="ada", password="hunter22", session_token="s3cr3t", content="hi")
    record = json.loads(out.getvalue())
    assert record["username"] == "ada"
    assert "hunter22" not in out.getvalue() and "s3cr3t" not in out.getvalue()
    assert record["password"] == record["session_token"] == record["content"] == "[redacted]"


def test_console_logs_are_key_value_and_respect_the_level():
    out = io.StringIO()
    configure_logging(LogFormat.CONSOLE, "warning", stream=out)
    log = structlog.get_logger()
    log.info("quiet")
    log.warning("loud", channel_id=5)
    text = out.getvalue()
    assert "quiet" not in text
    assert "loud" in text and "channel_id=5" in text
