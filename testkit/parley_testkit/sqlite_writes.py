"""Counts the write transactions a SQLite store commits, for tests of what one post costs.

A write transaction is a `BEGIN` or a write statement that starts while the connection
is in autocommit mode (a plain INSERT ... RETURNING outside a transaction commits on its
own, and so costs a transaction too); statements inside a transaction are its part."""

from collections.abc import Iterator
from contextlib import contextmanager

from parley_storage.sqlite import Database

STARTS_A_TRANSACTION = ("BEGIN", "INSERT", "UPDATE", "DELETE", "REPLACE")


class WriteTransactions:
    def __init__(self) -> None:
        self.count = 0


@contextmanager
def write_transactions(db: Database) -> Iterator[WriteTransactions]:
    """Counts `db`'s write transactions while the block runs."""
    connection = db._statements.connection
    counted = WriteTransactions()

    def saw(statement: str) -> None:
        if not connection.in_transaction and statement.lstrip().upper().startswith(STARTS_A_TRANSACTION):
            counted.count += 1

    connection.set_trace_callback(saw)
    try:
        yield counted
    finally:
        connection.set_trace_callback(None)
