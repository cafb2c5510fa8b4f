"""In-memory adapter of the auth store, for unit tests of pure logic. It passes the auth
store conformance suite with SQLite and MongoDB."""

import dataclasses
from datetime import datetime

from .store import EmailTaken, NewUser, SessionRecord, UsernameTaken, UserRecord


class MemoryAuthStore:
    def __init__(self) -> None:
        self._users: dict[int, UserRecord] = {}
        self._sessions: dict[str, SessionRecord] = {}

    async def create_user(self, user: NewUser) -> UserRecord:
        if await self.user_by_username(user.username) is not None:
            raise UsernameTaken
        if user.email is not None and any(
            u.email is not None and u.email.lower() == user.email.lower() for u in self._users.values()
        ):
            raise EmailTaken
        record = UserRecord(id=len(self._users) + 1, **dataclasses.asdict(user))
        self._users[record.id] = record
        return record

    async def user_by_id(self, user_id: int) -> UserRecord | None:
        return self._users.get(user_id)

    async def users_by_ids(self, user_ids: list[int]) -> list[UserRecord]:
        return [self._users[i] for i in dict.fromkeys(user_ids) if i in self._users]

    async def user_by_username(self, username: str) -> UserRecord | None:
        return next((u for u in self._users.values() if u.username.lower() == username.lower()), None)

    async def users_by_usernames(self, usernames: list[str]) -> list[UserRecord]:
        lowered = {name.lower() for name in usernames}
        return [u for u in self._users.values() if u.username.lower() in lowered]

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self._users[user_id] = dataclasses.replace(self._users[user_id], password_hash=password_hash)

    async def create_session(self, session: SessionRecord) -> None:
        self._sessions[session.key] = session

    async def session(self, key: str) -> SessionRecord | None:
        return self._sessions.get(key)

    async def touch_session(self, key: str, last_seen_at: datetime) -> None:
        if key in self._sessions:
            self._sessions[key] = dataclasses.replace(self._sessions[key], last_seen_at=last_seen_at)

    async def delete_session(self, key: str) -> SessionRecord | None:
        return self._sessions.pop(key, None)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None
