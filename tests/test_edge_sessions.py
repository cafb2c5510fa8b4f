"""The edge keeps a checked session for a moment (`SESSION_CACHE_S`) instead of asking auth
on every request, and drops it as soon as the session ends, here or on another edge."""

import httpx

from parley_contracts import subjects
from parley_edge.http.cookies import COOKIE_NAME
from parley_stack.processes import service, wait_all
from parley_testkit.users import signed_in
from parley_testkit.waiting import until


async def test_a_busy_session_is_checked_with_auth_once_while_kept(edge, bus):
    asked = []

    async def count(msg) -> None:
        asked.append(msg.subject)

    await bus.nc.subscribe(subjects.AUTH_VALIDATE_SESSION.subject, cb=count)
    await bus.nc.flush()
    client, user = await signed_in(edge, "ada")
    try:
        answers = [await client.get("/api/users/me") for _ in range(5)]
        assert {r.status_code for r in answers} == {200}
        assert {r.json()["id"] for r in answers} == {user["id"]}

        async def asked_once() -> bool:
            return len(asked) >= 1

        await until(asked_once, timeout_s=5)
        await bus.nc.flush()
        assert len(asked) == 1
    finally:
        await client.aclose()


async def test_a_session_logged_out_on_another_edge_is_refused_here_at_once(nats_url, tmp_path, auth_process):
    # Kept far longer than the test runs: only the session's end can make this edge refuse it.
    keeping = service("edge", nats_url, tmp_path, log_name="edge-keeping", session_cache_s="600").spawn()
    other = service("edge", nats_url, tmp_path, log_name="edge-other").spawn()
    try:
        wait_all(auth_process, keeping, other)
        client, _ = await signed_in(keeping.base_url, "ada")
        try:
            assert (await client.get("/api/users/me")).status_code == 200
            cookie = {"Cookie": f"{COOKIE_NAME}={client.cookies[COOKIE_NAME]}"}
            async with httpx.AsyncClient(base_url=other.base_url) as elsewhere:
                assert (await elsewhere.post("/api/auth/logout", headers=cookie)).status_code == 200

            async def refused() -> bool:
                return (await client.get("/api/users/me")).status_code == 401

            await until(refused, timeout_s=5)
            answer = await client.get("/api/users/me")
            assert answer.json()["error"]["code"] == "unauthorized"
        finally:
            await client.aclose()
    finally:
        other.stop()
        keeping.stop()
