"""Auth's rules, handler by handler, on the in-memory store (which passes the auth store
conformance suite with SQLite and MongoDB) and login counts in a dictionary standing
for the JetStream bucket: milliseconds each, no server. `test_throttle.py` checks the
counts on a real bucket shared by processes, and `tests/test_auth_http.py` the whole
path through the edge."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError

from parley_auth import handlers
from parley_auth.handlers import Ports, session_key
from parley_auth.passwords import Passwords
from parley_auth.settings import AuthSettings
from parley_auth.store import SessionRecord
from parley_auth.store_memory import MemoryAuthStore
from parley_auth.throttle import LoginThrottle
from parley_contracts import auth
from parley_contracts.errors import ErrorCode
from parley_runtime.clock import now
from parley_testkit.handlers import Handlers

PASSWORD = "correct horse battery"
SETTINGS = AuthSettings(login_attempts_per_user=3, login_attempts_per_address=5, login_window_s=60,
                        session_idle_s=3600, session_absolute_s=86400)  # fmt: skip


class MemoryKeyValue:
    """What the throttle uses of a JetStream key-value bucket: entries with revisions,
    and create and update refused when another writer came first."""

    def __init__(self) -> None:
        self._entries: dict[str, SimpleNamespace] = {}
        self._revision = 0

    async def get(self, key: str) -> SimpleNamespace:
        if key not in self._entries:
            raise KeyNotFoundError
        return self._entries[key]

    async def create(self, key: str, value: bytes) -> None:
        if key in self._entries:
            raise KeyWrongLastSequenceError
        self._put(key, value)

    async def update(self, key: str, value: bytes, last: int) -> None:
        if key not in self._entries or self._entries[key].revision != last:
            raise KeyWrongLastSequenceError
        self._put(key, value)

    def _put(self, key: str, value: bytes) -> None:
        self._revision += 1
        self._entries[key] = SimpleNamespace(value=value, revision=self._revision)

    async def delete(self, key: str) -> None:
        self._entries.pop(key, None)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ended() -> list[auth.SessionEnded]:
    return []


@pytest.fixture
def service(clock, ended) -> Handlers:
    async def session_ended(signal: auth.SessionEnded) -> None:
        ended.append(signal)

    passwords = Passwords(memory_kib=64, time_cost=1, parallelism=1)  # fast: the rules, not the cost, are tested
    throttle = LoginThrottle(MemoryKeyValue(), SETTINGS.login_window_s, clock)
    return Handlers(Ports(MemoryAuthStore(), passwords, throttle, SETTINGS, session_ended))


async def register(service: Handlers, username: str = "ada", **fields) -> auth.User:
    fields = {"password": PASSWORD, "name": username.title(), **fields}
    return await service(handlers.register, username=username, **fields)


async def log_in(service: Handlers, username: str = "ada", password: str = PASSWORD, address: str | None = "10.0.0.1"):
    return await service(handlers.log_in, username=username, password=password, client_address=address)


async def fail(service: Handlers, username: str = "ada", address: str = "10.0.0.1") -> None:
    await service.refused(ErrorCode.UNAUTHORIZED, handlers.log_in, username=username, password="nope",
                          client_address=address)  # fmt: skip


async def test_registration_keeps_a_hash_never_the_password(service):
    user = await register(service, "Ada", email="ada@example.com")
    assert (user.username, user.email) == ("Ada", "ada@example.com")
    stored = await service.ports.store.user_by_id(user.id)
    assert stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash


async def test_usernames_and_emails_are_taken_whatever_their_case(service):
    await register(service, "ada", email="ada@example.com")
    await service.refused(ErrorCode.CONFLICT, handlers.register, username="ADA", password=PASSWORD, name="A")
    await service.refused(ErrorCode.CONFLICT, handlers.register, username="grace", password=PASSWORD, name="G",
                          email="ADA@example.com")  # fmt: skip


async def test_a_login_opens_a_session_kept_only_as_a_hash(service):
    user = await register(service)
    logged_in = await log_in(service, "ADA")
    assert logged_in.user == user
    assert await service.ports.store.session(logged_in.session_token) is None
    stored = await service.ports.store.session(session_key(logged_in.session_token))
    assert stored.user_id == user.id and stored.expires_at == logged_in.expires_at
    again = await log_in(service)
    assert again.session_token != logged_in.session_token  # a fresh token at every login


async def test_a_wrong_password_and_an_unknown_user_are_the_same_refusal(service):
    await register(service)
    wrong = await service.refused(ErrorCode.UNAUTHORIZED, handlers.log_in, username="ada", password="nope!")
    unknown = await service.refused(ErrorCode.UNAUTHORIZED, handlers.log_in, username="bob", password=PASSWORD)
    assert wrong.message == unknown.message


async def test_failures_from_one_address_lock_that_address_out_not_the_user(service, clock):
    await register(service)
    for _ in range(SETTINGS.login_attempts_per_user):
        await fail(service, address="10.0.0.66")
    refused = await service.refused(ErrorCode.RATE_LIMITED, handlers.log_in, username="ada", password=PASSWORD,
                                    client_address="10.0.0.66")  # fmt: skip
    assert refused.details == [{"retryAfterS": SETTINGS.login_window_s}]
    assert (await log_in(service, address="10.0.0.1")).user.username == "ada"
    clock.now += SETTINGS.login_window_s
    assert (await log_in(service, address="10.0.0.66")).user.username == "ada"


async def test_one_address_guessing_many_usernames_is_stopped(service):
    await register(service)
    for n in range(SETTINGS.login_attempts_per_address):
        await fail(service, username=f"guess{n}", address="10.0.0.66")
    await service.refused(ErrorCode.RATE_LIMITED, handlers.log_in, username="ada", password=PASSWORD,
                          client_address="10.0.0.66")  # fmt: skip


async def test_a_right_password_clears_the_count_and_gives_the_attempt_back(service):
    await register(service)
    for _ in range(SETTINGS.login_attempts_per_user - 1):
        await fail(service)
    await log_in(service)
    for _ in range(SETTINGS.login_attempts_per_user - 1):  # the pair starts again from nothing
        await fail(service)
    await log_in(service)


async def test_a_hash_of_older_parameters_is_remade_at_login(service):
    user = await register(service)
    old_hash = Passwords(memory_kib=32, time_cost=1, parallelism=1).hash(PASSWORD)
    await service.ports.store.set_password_hash(user.id, old_hash)
    await log_in(service)
    remade = (await service.ports.store.user_by_id(user.id)).password_hash
    assert remade != old_hash and not service.ports.passwords.needs_rehash(remade)


async def test_a_session_is_valid_until_idle_or_past_its_end(service):
    user = await register(service)
    token = (await log_in(service)).session_token
    valid = await service(handlers.validate_session, session_token=token)
    assert (valid.user, valid.session_key) == (user, session_key(token))

    idle_since = now() - timedelta(seconds=SETTINGS.session_idle_s + 1)
    await service.ports.store.touch_session(session_key(token), idle_since)
    await service.refused(ErrorCode.UNAUTHORIZED, handlers.validate_session, session_token=token)
    assert await service.ports.store.session(session_key(token)) is None  # an expired session is removed

    token = (await log_in(service)).session_token
    record = await service.ports.store.session(session_key(token))
    await service.ports.store.create_session(SessionRecord(**{**record.__dict__, "expires_at": now()}))
    await service.refused(ErrorCode.UNAUTHORIZED, handlers.validate_session, session_token=token)


async def test_validation_refreshes_idle_expiry_at_most_once_a_minute(service):
    await register(service)
    token = (await log_in(service)).session_token
    key = session_key(token)
    recently = now() - timedelta(seconds=30)
    await service.ports.store.touch_session(key, recently)
    await service(handlers.validate_session, session_token=token)
    assert (await service.ports.store.session(key)).last_seen_at == recently
    await service.ports.store.touch_session(key, now() - handlers.TOUCH_EVERY)
    await service(handlers.validate_session, session_token=token)
    assert (await service.ports.store.session(key)).last_seen_at > recently


async def test_logging_out_ends_the_session_and_tells_the_edges_once(service, ended):
    user = await register(service)
    token = (await log_in(service)).session_token
    await service(handlers.log_out, session_token=token)
    await service(handlers.log_out, session_token=token)
    assert ended == [auth.SessionEnded(session_key=session_key(token), user_id=user.id)]
    await service.refused(ErrorCode.UNAUTHORIZED, handlers.validate_session, session_token=token)


async def test_users_are_found_by_ids_and_names_and_nobody_is_not_found(service):
    ada, grace = await register(service, "ada"), await register(service, "grace")
    assert (await service(handlers.get_users, ids=[grace.id, 99, ada.id])).users == [grace, ada]
    found = await service(handlers.find_users, usernames=["GRACE", "nobody"])
    assert found.users == [grace]
    assert await service(handlers.find_user, username="Ada") == ada
    await service.refused(ErrorCode.NOT_FOUND, handlers.find_user, username="nobody")
