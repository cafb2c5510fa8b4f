"""Store latency, one histogram for every adapter: `parley_store_seconds{store, operation}`."""

import time
from functools import cache

from prometheus_client import Histogram
from pymongo import monitoring

STORE_SECONDS = Histogram(
    "parley_store_seconds",
    "Time of one store round trip, by store and operation",
    ["store", "operation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


@cache
def _histogram(store: str, operation: str) -> Histogram:
    """The labelled child, looked up once: `labels()` on every statement cost 3-7 % of a busy service."""
    return STORE_SECONDS.labels(store, operation)


class timed:  # lower-case: used as a function, `with timed(store, operation):`
    """Observes the time the block took; a class rather than a generator, which cost a
    busy service 3 % of its CPU around every statement."""

    __slots__ = ("_histogram", "_started")

    def __init__(self, store: str, operation: str):
        self._histogram = _histogram(store, operation)

    def __enter__(self) -> None:
        self._started = time.perf_counter()

    def __exit__(self, *_: object) -> None:
        self._histogram.observe(time.perf_counter() - self._started)


class MongoTimer(monitoring.CommandListener):
    """pymongo reports each command's duration; it is observed here by command name."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        STORE_SECONDS.labels("mongo", event.command_name).observe(event.duration_micros / 1e6)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        STORE_SECONDS.labels("mongo", event.command_name).observe(event.duration_micros / 1e6)
