"""Auth commands (`auth.<verb>`), their replies, and the session-ended event."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import EmailStr, Field

from .base import Contract, Id

Username = Annotated[str, Field(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_.\-]+$")]
Password = Annotated[str, Field(min_length=8, max_length=256)]
DisplayName = Annotated[str, Field(min_length=1, max_length=80)]
Role = Annotated[str, Field(min_length=1, max_length=32)]
SessionToken = Annotated[str, Field(min_length=16, max_length=256)]
UsernameQuery = Annotated[str, Field(min_length=1, max_length=64)]
"""A username someone typed, to look up (case-insensitively), not to register."""


class User(Contract):
    """A user as anyone may see it: never a password or hash."""

    id: Id
    username: str
    name: str
    email: str | None = None
    role: str = "member"
    created_at: datetime


class RegisterUser(Contract):
    username: Username
    password: Password
    name: DisplayName
    email: EmailStr | None = None
    role: Role = "member"


class LogIn(Contract):
    username: UsernameQuery
    password: Annotated[str, Field(min_length=1, max_length=256)]
    client_address: str | None = None


class LoggedIn(Contract):
    user: User
    session_token: SessionToken
    expires_at: datetime


class LogOut(Contract):
    session_token: SessionToken


class ValidateSession(Contract):
    session_token: SessionToken


class SessionValid(Contract):
    user: User
    session_key: str
    """A hash of the token: names the session in events without revealing it."""


class GetUsers(Contract):
    ids: Annotated[list[Id], Field(max_length=500)]


class UserList(Contract):
    users: list[User]


class FindUser(Contract):
    username: UsernameQuery


class FindUsers(Contract):
    """Replied with a UserList of those usernames that name a user; the rest are left out."""

    usernames: Annotated[list[UsernameQuery], Field(max_length=500)]


class SessionEnded(Contract):
    """Published on logout or expiry; edges close that session's sockets with 1008."""

    type: Literal["session_ended"] = "session_ended"
    session_key: str
    user_id: Id
