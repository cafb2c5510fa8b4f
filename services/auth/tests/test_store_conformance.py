"""The auth store contract, run against every adapter (SQLite, the MongoDB-wire server, memory)."""

import asyncio
from datetime import timedelta

import pytest

from parley_auth.store import EmailTaken, NewUser, SessionRecord, UsernameTaken
from parley_runtime.clock import now


def new_user(username: str, email: str | None = None) -> NewUser:
    return NewUser(username=username, name=username.title(), email=email, role="member",
                   password_hash="$argon2id$fake", created_at=now())  # fmt: skip


async def test_created_user_reads_back_by_id_and_name_case_insensitively(store):
    created = await store.create_user(new_user("Ada", "ada@example.com"))
    assert created.id >= 1
    assert await store.user_by_id(created.id) == created
    assert await store.user_by_username("aDA") == created
    assert await store.user_by_username("nobody") is None
    assert await store.user_by_id(created.id + 1000) is None


async def test_users_by_usernames_finds_those_that_exist_once_whatever_the_case(store):
    ada, grace = [await store.create_user(new_user(name)) for name in ("Ada", "grace")]
    found = await store.users_by_usernames(["ADA", "nobody", "Grace", "ada"])
    assert sorted(found, key=lambda u: u.id) == [ada, grace]
    assert await store.users_by_usernames([]) == []
    assert await store.users_by_usernames(["nobody"]) == []


async def test_ids_are_distinct_and_increasing(store):
    ids = [(await store.create_user(new_user(f"user{i}"))).id for i in range(5)]
    assert ids == sorted(ids) and len(set(ids)) == 5


async def test_username_is_unique_regardless_of_case(store):
    await store.create_user(new_user("grace"))
    with pytest.raises(UsernameTaken):
        await store.create_user(new_user("GRACE"))
    assert (await store.user_by_username("grace")).username == "grace"


async def test_email_is_unique_and_a_refused_user_leaves_nothing(store):
    await store.create_user(new_user("linus", "L@example.com"))
    with pytest.raises(EmailTaken):
        await store.create_user(new_user("other", "l@EXAMPLE.com"))
    assert await store.user_by_username("other") is None
    # Refused on the username: its e-mail must not stay reserved.
    with pytest.raises(UsernameTaken):
        await store.create_user(new_user("linus", "fresh@example.com"))
    assert (await store.create_user(new_user("fresh", "fresh@example.com"))).email == "fresh@example.com"


async def test_many_users_without_email_are_allowed(store):
    for name in ("no1", "no2", "no3"):
        assert (await store.create_user(new_user(name))).email is None


async def test_concurrent_registrations_of_one_name_admit_exactly_one(store):
    results = await asyncio.gather(*(store.create_user(new_user("race")) for _ in range(8)), return_exceptions=True)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, UsernameTaken) for r in results if isinstance(r, Exception))


async def test_users_by_ids_keeps_order_and_skips_unknown(store):
    a = await store.create_user(new_user("a_user"))
    b = await store.create_user(new_user("b_user"))
    assert [u.id for u in await store.users_by_ids([b.id, 999999, a.id, b.id])] == [b.id, a.id]
    assert await store.users_by_ids([]) == []


async def test_password_hash_can_be_replaced(store):
    user = await store.create_user(new_user("rehash"))
    await store.set_password_hash(user.id, "$argon2id$new")
    assert (await store.user_by_id(user.id)).password_hash == "$argon2id$new"


async def test_session_lifecycle(store):
    user = await store.create_user(new_user("sess"))
    created = now()
    session = SessionRecord(key="k" * 64, user_id=user.id, created_at=created, last_seen_at=created,
                            expires_at=created + timedelta(days=30))  # fmt: skip
    await store.create_session(session)
    assert await store.session("k" * 64) == session
    later = created + timedelta(minutes=5)
    await store.touch_session("k" * 64, later)
    assert (await store.session("k" * 64)).last_seen_at == later
    deleted = await store.delete_session("k" * 64)
    assert deleted.user_id == user.id
    assert await store.session("k" * 64) is None
    assert await store.delete_session("k" * 64) is None


async def test_ping(store):
    assert await store.ping() is True


async def test_concurrent_registrations_get_distinct_ids(store):
    users = await asyncio.gather(*(store.create_user(new_user(f"many{i}")) for i in range(10)))
    assert len({u.id for u in users}) == 10
