"""Counts the requests a Cassandra session sends, batches apart from single statements,
for tests of what one post costs: each request costs the service the driver's
per-request work, whatever it carries."""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cassandra.cluster import Session
from cassandra.query import BatchStatement


@contextmanager
def requests(session: Session) -> Iterator[Counter[str]]:
    """Counts, while the block runs, the session's requests: `batch` and `statement`."""
    counted: Counter[str] = Counter()
    real = session.execute_async

    def counting(statement: Any, *args: Any, **kwargs: Any) -> Any:
        counted["batch" if isinstance(statement, BatchStatement) else "statement"] += 1
        return real(statement, *args, **kwargs)

    session.execute_async = counting
    try:
        yield counted
    finally:
        del session.execute_async  # the class's method again
