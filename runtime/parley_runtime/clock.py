"""Time as every store keeps it: UTC with millisecond precision, the finest that every
adapter (BSON dates, Cassandra timestamps) preserves, so a value reads back equal."""

from datetime import UTC, datetime


def now() -> datetime:
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
