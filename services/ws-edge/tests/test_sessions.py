"""The sessions an edge keeps: what is kept, for how long, and what makes it forget, over a
fake auth (pure logic: NATS is on the other side of `bus.request`)."""

import asyncio
from datetime import UTC, datetime

import pytest

from parley_contracts import auth
from parley_contracts.errors import ErrorCode
from parley_edge.http import sessions
from parley_edge.http.cookies import sign, unsign
from parley_edge.http.sessions import Sessions
from parley_runtime.errors import ParleyError

SECRET = "a-secret-for-the-tests-of-sessions"


class FakeAuth:
    """Answers `auth.validate_session` for the tokens it knows; `hold` keeps answers back."""

    def __init__(self):
        self.valid: dict[str, auth.SessionValid] = {}
        self.asked: list[str] = []
        self.hold: asyncio.Event | None = None
        self.reached = asyncio.Event()

    def add(self, token: str, user_id: int) -> str:
        user = auth.User(id=user_id, username=f"u{user_id}", name="U", created_at=datetime.now(UTC))
        self.valid[token] = auth.SessionValid(user=user, session_key=f"key-{token}")
        return sign(token, SECRET)

    async def request(self, _command, payload: auth.ValidateSession, timeout_s=None) -> auth.SessionValid:
        self.asked.append(payload.session_token)
        self.reached.set()
        if self.hold is not None:
            await self.hold.wait()
        if payload.session_token not in self.valid:
            raise ParleyError(ErrorCode.UNAUTHORIZED, "no valid session; log in again")
        return self.valid[payload.session_token]


def kept(keep_s: float = 60) -> tuple[Sessions, FakeAuth]:
    fake = FakeAuth()
    return Sessions(fake, SECRET, keep_s), fake  # type: ignore[arg-type]


class Clock:
    now = 1000.0

    @classmethod
    def monotonic(cls) -> float:
        return cls.now


async def test_a_session_is_asked_once_while_kept_and_again_after(monkeypatch):
    monkeypatch.setattr(sessions, "time", Clock)
    store, fake = kept(keep_s=2)
    cookie = fake.add("t" * 32, 7)
    for _ in range(3):
        assert (await store.of_cookie(cookie)).user.id == 7
    Clock.now += 1.9
    await store.of_cookie(cookie)
    assert len(fake.asked) == 1
    Clock.now += 0.2
    await store.of_cookie(cookie)
    assert len(fake.asked) == 2


async def test_with_no_keeping_every_request_asks():
    store, fake = kept(keep_s=0)
    cookie = fake.add("t" * 32, 7)
    await store.of_cookie(cookie)
    await store.of_cookie(cookie)
    assert len(fake.asked) == 2


async def test_refusals_are_never_kept():
    store, fake = kept()
    cookie = sign("u" * 32, SECRET)
    for _ in range(2):
        with pytest.raises(ParleyError) as refused:
            await store.of_cookie(cookie)
        assert refused.value.code is ErrorCode.UNAUTHORIZED
    assert len(fake.asked) == 2


@pytest.mark.parametrize("cookie", [None, "", "s:short.sig", sign("t" * 32, "another-secret-altogether")])
async def test_a_missing_or_forged_cookie_is_refused_without_asking(cookie):
    store, fake = kept()
    with pytest.raises(ParleyError):
        await store.of_cookie(cookie)
    assert fake.asked == []


async def test_an_ended_session_is_forgotten_by_key_and_by_token():
    store, fake = kept()
    first, second = fake.add("a" * 32, 1), fake.add("b" * 32, 2)
    await store.of_cookie(first)
    await store.of_cookie(second)
    store.forget("key-" + "a" * 32)
    store.forget_token("b" * 32)
    del fake.valid["a" * 32], fake.valid["b" * 32]
    for cookie in (first, second):
        with pytest.raises(ParleyError):
            await store.of_cookie(cookie)


async def test_an_answer_asked_for_while_a_session_ended_is_not_kept():
    store, fake = kept()
    cookie = fake.add("a" * 32, 1)
    fake.hold = asyncio.Event()
    asking = asyncio.create_task(store.of_cookie(cookie))
    await fake.reached.wait()
    store.forget("key-" + "a" * 32)  # the logout overtakes the answer, which said valid
    fake.hold.set()
    await asking
    del fake.valid["a" * 32]
    with pytest.raises(ParleyError):
        await store.of_cookie(cookie)


async def test_past_the_limit_the_oldest_session_goes(monkeypatch):
    monkeypatch.setattr(sessions, "MAX_KEPT", 2)
    store, fake = kept()
    cookies = [fake.add(f"{n}" * 32, n) for n in range(1, 4)]
    for cookie in cookies:
        await store.of_cookie(cookie)
    for cookie in reversed(cookies):
        await store.of_cookie(cookie)
    assert fake.asked == ["1" * 32, "2" * 32, "3" * 32, "1" * 32]


async def test_a_kept_cookies_signature_is_not_checked_again(monkeypatch):
    checked = []

    def counted(cookie, secret):
        checked.append(cookie)
        return unsign(cookie, secret)

    monkeypatch.setattr(sessions, "unsign", counted)
    store, fake = kept()
    cookie = fake.add("a" * 32, 1)
    for _ in range(3):
        assert (await store.of_cookie(cookie)).user.id == 1
    assert checked == [cookie]
    store.forget_token("a" * 32)
    await store.of_cookie(cookie)
    assert checked == [cookie, cookie]
