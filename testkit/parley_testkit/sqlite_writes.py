"""Counts the write transactions a SQLite store commits, for tests of what one post costs.

A write transaction is a `BEGIN` or a write statement that starts while the connection
is in autocommit mode (a plain INSERT ... RETURNING outside a transaction commits on its
own, and so costs a transaction too); statements inside a transaction are its part."""

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from parley_storage.sqlite import Database

STARTS_A_TRANSACTION = ("BEGIN", "INSERT", "UPDATE", "DELETE", "REPLACE")


class WriteTransactions:
    def __init__(self) -> None:
        self.count = 0


@contextmanager
def write_transactions(*databases: Database) -> Iterator[WriteTransactions]:
    """Counts the write transactions of `databases` (on their distinct connections) while the block runs."""
    connections = list({id(db._statements.connection): db._statements.connection for db in databases}.values())
    counted = WriteTransactions()

    def counting(connection: sqlite3.Connection) -> Callable[[str], None]:
        def saw(statement: str) -> None:
            if not connection.in_transaction and statement.lstrip().upper().startswith(STARTS_A_TRANSACTION):
                counted.count += 1

        return saw

    for connection in connections:
        connection.set_trace_callback(counting(connection))
    try:
        yield counted
    finally:
        for connection in connections:
            connection.set_trace_callback(None)
