"""Prometheus figures every service keeps, served on its health port's `/metrics`.

Per command, as nats.micro endpoints count them: how many were served and how long each
took (`parley_command_seconds`, a histogram: its `_count` is the requests), and how many
were answered with an error, by code. The assistant adds its consumer's lag; the store
adapters their latency (`parley_storage.metrics`).
"""

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
COMMAND_SECONDS = Histogram(
    "parley_command_seconds", "Time from a command's arrival to its reply, by subject", ["subject"],
    buckets=LATENCY_BUCKETS,
)  # fmt: skip
COMMAND_ERRORS = Counter(
    "parley_command_errors_total", "Commands answered with an error, by subject and error code", ["subject", "code"]
)
CONSUMER_PENDING = Gauge(
    "parley_consumer_pending", "Messages of a durable JetStream consumer not yet delivered", ["stream", "consumer"]
)


def exposition() -> tuple[bytes, str]:
    """The current figures in Prometheus's text format, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST
