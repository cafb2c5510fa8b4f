"""Counts the requests a Cassandra session sends to one keyspace, batches apart from
single statements, for tests of what one post costs: each request costs the service the
driver's per-request work, whatever it carries."""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cassandra.cluster import Session
from cassandra.query import BatchStatement


@contextmanager
def requests(session: Session, keyspace: str) -> Iterator[Counter[str]]:
    """Counts, while the block runs, the session's requests to `keyspace`: `batch` and
    `statement`. Tests share the session, and a store an earlier test left open may still
    write to its own keyspace then (a lease renewal, a lazy write): not this test's cost."""
    counted: Counter[str] = Counter()
    real = session.execute_async

    def counting(statement: Any, *args: Any, **kwargs: Any) -> Any:
        if _addressed_to(statement, keyspace):
            counted["batch" if isinstance(statement, BatchStatement) else "statement"] += 1
        return real(statement, *args, **kwargs)

    session.execute_async = counting
    try:
        yield counted
    finally:
        del session.execute_async  # the class's method again


def _addressed_to(statement: Any, keyspace: str) -> bool:
    """A batch knows its keyspace; a statement names it before each table it uses."""
    if isinstance(statement, BatchStatement):
        return statement.keyspace == keyspace
    query = (
        statement if isinstance(statement, str) else getattr(statement, "prepared_statement", statement).query_string
    )
    return f"{keyspace}." in query
