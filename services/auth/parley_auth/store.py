"""The auth store port: users and sessions. Adapters: `store_sqlite`, `store_mongo`.
Times come from `parley_runtime.clock`, so they read back equal from every adapter."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class NewUser:
    username: str
    name: str
    email: str | None
    role: str
    password_hash: str
    created_at: datetime


@dataclass(frozen=True)
class UserRecord(NewUser):
    id: int


@dataclass(frozen=True)
class SessionRecord:
    key: str
    """sha256 of the token: the token itself is never stored."""
    user_id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    """The absolute expiry; idle expiry is last_seen_at plus the idle limit."""


class UsernameTaken(Exception):
    pass


class EmailTaken(Exception):
    pass


class AuthStore(Protocol):
    async def create_user(self, user: NewUser) -> UserRecord:
        """Raises UsernameTaken (case-insensitive) or EmailTaken; writes nothing then."""

    async def user_by_id(self, user_id: int) -> UserRecord | None: ...

    async def users_by_ids(self, user_ids: list[int]) -> list[UserRecord]:
        """Those that exist, in the order asked."""

    async def user_by_username(self, username: str) -> UserRecord | None:
        """Case-insensitive."""

    async def users_by_usernames(self, usernames: list[str]) -> list[UserRecord]:
        """Those that exist, matched case-insensitively, each once, in no set order."""

    async def set_password_hash(self, user_id: int, password_hash: str) -> None: ...

    async def create_session(self, session: SessionRecord) -> None: ...

    async def session(self, key: str) -> SessionRecord | None: ...

    async def touch_session(self, key: str, last_seen_at: datetime) -> None: ...

    async def delete_session(self, key: str) -> SessionRecord | None:
        """Removes and returns the session, or None if it was not there."""

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...
