"""This edge's open sockets, found by session (to end them at logout) and by user."""

from collections import defaultdict
from typing import TypeVar

from .connection import Connection

Key = TypeVar("Key", str, int)


class Registry:
    def __init__(self) -> None:
        self._by_session: dict[str, set[Connection]] = defaultdict(set)
        self._by_user: dict[int, set[Connection]] = defaultdict(set)

    def add(self, connection: Connection) -> None:
        self._by_session[connection.session_key].add(connection)
        self._by_user[connection.user_id].add(connection)

    def remove(self, connection: Connection) -> None:
        _discard(self._by_session, connection.session_key, connection)
        _discard(self._by_user, connection.user_id, connection)

    def of_session(self, session_key: str) -> list[Connection]:
        return list(self._by_session.get(session_key, ()))

    def of_user(self, user_id: int) -> list[Connection]:
        return list(self._by_user.get(user_id, ()))

    def all(self) -> list[Connection]:
        return [c for connections in self._by_user.values() for c in connections]


def _discard(index: dict[Key, set[Connection]], key: Key, connection: Connection) -> None:
    index[key].discard(connection)
    if not index[key]:
        del index[key]
