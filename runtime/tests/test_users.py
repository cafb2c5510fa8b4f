"""Asking auth about users, against a real NATS with a stand-in responder."""

from parley_contracts import auth, subjects
from parley_runtime.bus import Bus
from parley_runtime.users import user_lookup

EXISTING = {1, 2, 3}


async def test_known_users_are_remembered_and_only_the_others_asked(bus: Bus):
    asked: list[list[int]] = []

    async def get_users(request: auth.GetUsers) -> auth.UserList:
        asked.append(request.ids)
        users = [
            auth.User.model_validate(
                {"id": i, "username": f"u{i}", "name": "U", "createdAt": "2026-11-25T10:00:00Z"}, strict=False
            )
            for i in request.ids
            if i in EXISTING
        ]
        return auth.UserList(users=users)

    await bus.serve(subjects.AUTH_GET_USERS, get_users)
    known_users = user_lookup(bus, remember=3)
    assert await known_users([1, 2, 9]) == {1, 2}
    assert await known_users([2, 1]) == {1, 2}
    assert await known_users([3, 9]) == {3}
    assert asked == [[1, 2, 9], [3, 9]]  # 1 and 2 were known; 9 is asked again, it may exist by now
    assert await known_users([1, 9]) == {1}  # three remembered: the memory starts over
    assert asked[-1] == [1, 9]
