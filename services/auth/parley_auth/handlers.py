"""Auth command handlers: plain async functions of a command and the ports they need."""

import asyncio
import hashlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from parley_contracts import auth
from parley_contracts.errors import ErrorCode
from parley_contracts.replies import Empty
from parley_runtime.clock import now
from parley_runtime.errors import ParleyError

from .passwords import Passwords
from .settings import AuthSettings
from .store import AuthStore, EmailTaken, NewUser, SessionRecord, UsernameTaken, UserRecord
from .throttle import LoginThrottle, throttle_key

TOUCH_EVERY = timedelta(minutes=1)
"""Idle expiry is refreshed at most this often, so validation is rarely a write."""


@dataclass(frozen=True)
class Ports:
    store: AuthStore
    passwords: Passwords
    throttle: LoginThrottle
    settings: AuthSettings
    session_ended: Callable[[auth.SessionEnded], Awaitable[None]]
    """Tells the edges a session ended (the signal `auth.evt.session_ended`), so they close its sockets."""


def session_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def user_view(record: UserRecord) -> auth.User:
    return auth.User(
        id=record.id, username=record.username, name=record.name, email=record.email, role=record.role,
        created_at=record.created_at,
    )  # fmt: skip


async def register(command: auth.RegisterUser, ports: Ports) -> auth.User:
    password_hash = await asyncio.to_thread(ports.passwords.hash, command.password)
    new = NewUser(
        username=command.username, name=command.name, email=command.email, role=command.role,
        password_hash=password_hash, created_at=now(),
    )  # fmt: skip
    try:
        return user_view(await ports.store.create_user(new))
    except UsernameTaken as exc:
        raise ParleyError(ErrorCode.CONFLICT, "that username is taken") from exc
    except EmailTaken as exc:
        raise ParleyError(ErrorCode.CONFLICT, "that e-mail is already registered") from exc


async def log_in(command: auth.LogIn, ports: Ports) -> auth.LoggedIn:
    # Failures count per (username, address) and per address, never per username alone:
    # whoever knows the password is not locked out by someone guessing elsewhere.
    address = command.client_address or ""
    pair_key = throttle_key("pair", command.username.lower(), address)
    limits = {pair_key: ports.settings.login_attempts_per_user}
    if address:
        limits[throttle_key("addr", address)] = ports.settings.login_attempts_per_address
    wait, attempt_at = await ports.throttle.take_attempt(limits)
    if attempt_at is None:
        raise ParleyError(ErrorCode.RATE_LIMITED, "too many failed logins; try later", [{"retryAfterS": wait}])
    try:
        user = await ports.store.user_by_username(command.username)
        stored_hash = user.password_hash if user else ports.passwords.decoy_hash
        matches = await asyncio.to_thread(ports.passwords.verify, stored_hash, command.password)
    except Exception:  # the server failed, not the guess: it costs the user nothing
        await ports.throttle.give_back_all(list(limits), attempt_at)
        raise
    if user is None or not matches:
        raise ParleyError(ErrorCode.UNAUTHORIZED, "wrong username or password")  # the attempt stays counted
    await ports.throttle.clear(pair_key)
    await ports.throttle.give_back_all([key for key in limits if key != pair_key], attempt_at)
    if ports.passwords.needs_rehash(user.password_hash):
        await ports.store.set_password_hash(user.id, await asyncio.to_thread(ports.passwords.hash, command.password))
    return await _new_session(user, ports)


async def _new_session(user: UserRecord, ports: Ports) -> auth.LoggedIn:
    # A fresh random token at every login: a token planted before login is never the session after it.
    token = secrets.token_urlsafe(32)
    started = now()
    expires_at = started + timedelta(seconds=ports.settings.session_absolute_s)
    await ports.store.create_session(
        SessionRecord(
            key=session_key(token), user_id=user.id, created_at=started, last_seen_at=started, expires_at=expires_at
        )
    )
    return auth.LoggedIn(user=user_view(user), session_token=token, expires_at=expires_at)


def _expired(last_seen_at: datetime, expires_at: datetime, now: datetime, idle_s: int) -> bool:
    return now >= expires_at or now >= last_seen_at + timedelta(seconds=idle_s)


async def validate_session(command: auth.ValidateSession, ports: Ports) -> auth.SessionValid:
    key = session_key(command.session_token)
    session = await ports.store.session(key)
    checked_at = now()
    if session is None or _expired(session.last_seen_at, session.expires_at, checked_at, ports.settings.session_idle_s):
        if session is not None:
            await ports.store.delete_session(key)
        raise ParleyError(ErrorCode.UNAUTHORIZED, "no valid session; log in again")
    user = await ports.store.user_by_id(session.user_id)
    if user is None:
        raise ParleyError(ErrorCode.UNAUTHORIZED, "no valid session; log in again")
    if checked_at - session.last_seen_at >= TOUCH_EVERY:
        await ports.store.touch_session(key, checked_at)
    return auth.SessionValid(user=user_view(user), session_key=key)


async def log_out(command: auth.LogOut, ports: Ports) -> Empty:
    ended = await ports.store.delete_session(session_key(command.session_token))
    if ended is not None:
        await ports.session_ended(auth.SessionEnded(session_key=ended.key, user_id=ended.user_id))
    return Empty()


async def get_users(command: auth.GetUsers, ports: Ports) -> auth.UserList:
    return auth.UserList(users=[user_view(u) for u in await ports.store.users_by_ids(command.ids)])


async def find_users(command: auth.FindUsers, ports: Ports) -> auth.UserList:
    return auth.UserList(users=[user_view(u) for u in await ports.store.users_by_usernames(command.usernames)])


async def find_user(command: auth.FindUser, ports: Ports) -> auth.User:
    user = await ports.store.user_by_username(command.username)
    if user is None:
        raise ParleyError(ErrorCode.NOT_FOUND, "no such user")
    return user_view(user)
