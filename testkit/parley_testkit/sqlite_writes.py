"""Counts the write transactions a SQLite store commits, and the statements it runs, for
tests of what one post costs.

A write transaction is a `BEGIN` or a write statement that starts while the connection
is in autocommit mode (a plain INSERT ... RETURNING outside a transaction commits on its
own, and so costs a transaction too); statements inside a transaction are its part.
Every statement counts as one: each is a round through the driver (a row of an
`executemany` too), and their number is most of what a post costs the service's CPU."""

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from parley_storage.sqlite import Database

STARTS_A_TRANSACTION = ("BEGIN", "INSERT", "UPDATE", "DELETE", "REPLACE")


class Counted:
    def __init__(self) -> None:
        self.count = 0


@contextmanager
def write_transactions(*databases: Database) -> Iterator[Counted]:
    """Counts the write transactions of `databases` (on their distinct connections) while the block runs."""

    def starts_a_transaction(connection: sqlite3.Connection, statement: str) -> bool:
        return not connection.in_transaction and statement.lstrip().upper().startswith(STARTS_A_TRANSACTION)

    with _counting(databases, starts_a_transaction) as counted:
        yield counted


@contextmanager
def statements(*databases: Database) -> Iterator[Counted]:
    """Counts the statements `databases` run while the block runs."""
    with _counting(databases, lambda _, __: True) as counted:
        yield counted


@contextmanager
def _counting(databases: tuple[Database, ...], counts: Callable[[sqlite3.Connection, str], bool]) -> Iterator[Counted]:
    connections = list({id(db._statements.connection): db._statements.connection for db in databases}.values())
    counted = Counted()

    def counting(connection: sqlite3.Connection) -> Callable[[str], None]:
        def saw(statement: str) -> None:
            if counts(connection, statement):
                counted.count += 1

        return saw

    for connection in connections:
        connection.set_trace_callback(counting(connection))
    try:
        yield counted
    finally:
        for connection in connections:
            connection.set_trace_callback(None)
