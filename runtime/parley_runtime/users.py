"""Asking the auth service about users, for services that refer to them."""

import time
from collections.abc import Awaitable, Callable

from parley_contracts import auth, subjects

from .bus import Bus
from .errors import ParleyError


def user_lookup(bus: Bus, remember: int = 100_000) -> Callable[[list[int]], Awaitable[set[int]]]:
    """Which of some user ids exist. Users are never deleted, so an id once found is
    remembered (up to `remember` of them) and only the others are asked of auth (a DM
    send used to ask every time)."""
    known: set[int] = set()

    async def known_users(user_ids: list[int]) -> set[int]:
        unknown = [user_id for user_id in user_ids if user_id not in known]
        if unknown:
            if len(known) >= remember:
                known.clear()
                unknown = list(user_ids)
            found = await bus.request(subjects.AUTH_GET_USERS, auth.GetUsers(ids=unknown))
            known.update(user.id for user in found.users)
        return known.intersection(user_ids)

    return known_users


async def ids_by_username(bus: Bus, usernames: list[str]) -> dict[str, int]:
    """The ids of those usernames that name a user, keyed by the lower-cased name."""
    found = await bus.request(subjects.AUTH_FIND_USERS, auth.FindUsers(usernames=usernames))
    return {user.username.lower(): user.id for user in found.users}


def user_id_of(bus: Bus, username: str, retry_after_s: float = 30.0) -> Callable[[], Awaitable[int | None]]:
    """The id of a named user, remembered once found; while it does not exist, asked
    again at most every `retry_after_s` so a missing user costs no round trip per call."""
    found: dict[str, float | int] = {"asked_at": -retry_after_s}

    async def user_id() -> int | None:
        if "id" in found:
            return int(found["id"])
        if time.monotonic() - found["asked_at"] < retry_after_s:
            return None
        found["asked_at"] = time.monotonic()
        try:
            found["id"] = (await bus.request(subjects.AUTH_FIND_USER, auth.FindUser(username=username))).id
        except ParleyError:
            return None
        return int(found["id"])

    return user_id
