"""Asking the auth service which user ids exist, for services that refer to users."""

from collections.abc import Awaitable, Callable

from parley_contracts import auth, subjects

from .bus import Bus


def user_lookup(bus: Bus) -> Callable[[list[int]], Awaitable[set[int]]]:
    async def known_users(user_ids: list[int]) -> set[int]:
        found = await bus.request(subjects.AUTH_GET_USERS, auth.GetUsers(ids=user_ids))
        return {user.id for user in found.users}

    return known_users
