"""Auth end to end: real HTTP to the edge, real NATS, the real auth service process."""

import asyncio
import hashlib

import httpx
import pytest
import uvicorn

from parley_contracts import auth, subjects
from parley_edge.app import create_app
from parley_edge.http.cookies import COOKIE_NAME, sign, unsign
from parley_edge.settings import EdgeSettings
from parley_stack.processes import service, wait_all
from parley_testkit.waiting import until

PASSWORD = "correct horse battery"
DEV_SECRET = "parley-dev-secret-change-me"


async def me_with(base_url: str, cookie: str) -> httpx.Response:
    """GET /api/users/me carrying exactly this cookie and no other."""
    async with httpx.AsyncClient(base_url=base_url) as fresh:
        return await fresh.get("/api/users/me", headers={"Cookie": f"{COOKIE_NAME}={cookie}"})


async def register(client: httpx.AsyncClient, username: str = "ada", **extra) -> httpx.Response:
    body = {"username": username, "password": PASSWORD, "name": username.title(), **extra}
    return await client.post("/api/auth/register", json=body)


async def test_register_login_me_logout(edge):
    async with httpx.AsyncClient(base_url=edge) as client:
        registered = await register(client, email="ada@example.com")
        assert registered.status_code == 201, registered.text
        user = registered.json()
        assert user["username"] == "ada" and user["role"] == "member" and isinstance(user["id"], int)
        assert not {"password", "passwordHash"} & set(user)
        cookie = registered.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert "Secure" not in cookie  # no TLS configured

        client.cookies.clear()
        logged_in = await client.post("/api/auth/login", json={"username": "ADA", "password": PASSWORD})
        assert logged_in.status_code == 200, logged_in.text
        me = await client.get("/api/users/me")
        assert me.status_code == 200 and me.json()["id"] == user["id"]

        out = await client.post("/api/auth/logout")
        assert out.status_code == 200
        after = await me_with(edge, logged_in.cookies[COOKIE_NAME])
        assert after.status_code == 401
        assert after.json()["error"]["code"] == "unauthorized"


async def test_wrong_password_and_unknown_user_are_401(edge):
    async with httpx.AsyncClient(base_url=edge) as client:
        await register(client)
        wrong = await client.post("/api/auth/login", json={"username": "ada", "password": "nope-nope"})
        unknown = await client.post("/api/auth/login", json={"username": "nobody", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()  # the answer does not tell which part was wrong


async def test_duplicate_username_and_email_are_409(edge):
    async with httpx.AsyncClient(base_url=edge) as client:
        assert (await register(client, "grace", email="g@example.com")).status_code == 201
        again = await register(client, "GRACE")
        same_mail = await register(client, "other", email="G@example.com")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert same_mail.status_code == 409


async def test_a_cookie_planted_before_login_is_not_the_session_after_it(edge):
    planted_token = "attacker-chosen-token-0123456789"
    async with httpx.AsyncClient(base_url=edge) as client:
        await register(client)
        client.cookies.clear()
        client.cookies.set(COOKIE_NAME, sign(planted_token, DEV_SECRET))
        response = await client.post("/api/auth/login", json={"username": "ada", "password": PASSWORD})
        issued = unsign(response.cookies[COOKIE_NAME], DEV_SECRET)
        assert issued and issued != planted_token
    assert (await me_with(edge, response.cookies[COOKIE_NAME])).status_code == 200
    assert (await me_with(edge, sign(planted_token, DEV_SECRET))).status_code == 401


async def test_tampered_and_unsigned_cookies_are_401(edge):
    async with httpx.AsyncClient(base_url=edge) as client:
        good = (await register(client)).cookies[COOKIE_NAME]
        token = unsign(good, DEV_SECRET)
        variants = [
            good[:-2] + ("AA" if not good.endswith("AA") else "BB"),  # signature altered
            f"s:{token[:-1]}x.{good.rsplit('.', 1)[1]}",  # token altered
            token,  # no signature at all
            sign(token, "another-secret"),
            "",
        ]
        for cookie in variants:
            response = await me_with(edge, cookie)
            assert response.status_code == 401, cookie
            assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/auth/register", {"username": "ab", "password": PASSWORD, "name": "A"}),
        ("/api/auth/register", {"username": "bad name!", "password": PASSWORD, "name": "A"}),
        ("/api/auth/register", {"username": "carol", "password": "short", "name": "C"}),
        ("/api/auth/register", {"username": "carol", "password": PASSWORD, "name": "C", "email": "not-mail"}),
        ("/api/auth/register", {"username": 5, "password": PASSWORD, "name": "C"}),
        ("/api/auth/register", []),
        ("/api/auth/login", {"username": "carol"}),
        ("/api/auth/login", "not an object"),
    ],
)
async def test_malformed_bodies_are_400_with_the_field_named(edge, path, body):
    async with httpx.AsyncClient(base_url=edge) as client:
        response = await client.post(path, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "bad_request"
    assert response.json()["error"]["message"]


async def test_invalid_json_is_400_not_500(edge):
    async with httpx.AsyncClient(base_url=edge) as client:
        response = await client.post(
            "/api/auth/login", content=b'{"username": ', headers={"content-type": "application/json"}
        )
    assert response.status_code == 400


async def test_login_is_throttled_per_username_with_retry_after(nats_url, tmp_path):
    auth_proc = service("auth", nats_url, tmp_path, login_attempts_per_user="3").start()
    edge_proc = service("edge", nats_url, tmp_path).start()
    base = edge_proc.base_url
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            await register(client)
            codes = [
                (await client.post("/api/auth/login", json={"username": "ada", "password": "wrong-pass"})).status_code
                for _ in range(3)
            ]
            limited = await client.post("/api/auth/login", json={"username": "ada", "password": PASSWORD})
        assert codes == [401, 401, 401]
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) > 0
        assert limited.json()["error"]["code"] == "rate_limited"
    finally:
        edge_proc.stop()
        auth_proc.stop()


async def log_in_from(base_url: str, address: str, password: str) -> int:
    """A login for ada through a trusted proxy that names `address` as the client."""
    async with httpx.AsyncClient(base_url=base_url, headers={"X-Forwarded-For": address}) as client:
        return (await client.post("/api/auth/login", json={"username": "ada", "password": password})).status_code


async def test_wrong_passwords_from_one_address_do_not_lock_the_user_out_elsewhere(nats_url, tmp_path):
    auth_proc = service("auth", nats_url, tmp_path, login_attempts_per_user="3").spawn()
    edge_proc = service("edge", nats_url, tmp_path, trusted_proxies="127.0.0.1").spawn()
    try:
        wait_all(auth_proc, edge_proc)
        async with httpx.AsyncClient(base_url=edge_proc.base_url) as client:
            assert (await register(client)).status_code == 201
        attacker = [await log_in_from(edge_proc.base_url, "203.0.113.9", "wrong-pass") for _ in range(3)]
        assert attacker == [401, 401, 401]
        assert await log_in_from(edge_proc.base_url, "203.0.113.9", PASSWORD) == 429
        assert await log_in_from(edge_proc.base_url, "198.51.100.7", PASSWORD) == 200
    finally:
        edge_proc.stop()
        auth_proc.stop()


async def test_failed_logins_are_shared_by_auth_processes_and_outlive_them(nats_url, tmp_path):
    """Three wrong passwords, two seen by one auth process and one by another started
    while the first ran and left alone after it stopped: the right one is then 429."""
    first = service("auth", nats_url, tmp_path, login_attempts_per_user="3").spawn()
    edge_proc = service("edge", nats_url, tmp_path).spawn()
    second = service("auth", nats_url, tmp_path, log_name="auth-second", login_attempts_per_user="3")
    try:
        wait_all(first, edge_proc)
        async with httpx.AsyncClient(base_url=edge_proc.base_url) as client:
            await register(client)
            wrong = {"username": "ada", "password": "wrong-pass"}
            codes = [(await client.post("/api/auth/login", json=wrong)).status_code for _ in range(2)]
            second.start()
            first.stop()
            codes.append((await client.post("/api/auth/login", json=wrong)).status_code)
            right = await client.post("/api/auth/login", json={"username": "ada", "password": PASSWORD})
        assert codes == [401, 401, 401]
        assert right.status_code == 429, right.text
    finally:
        edge_proc.stop()
        second.stop()
        first.stop()


async def test_idle_session_expires(nats_url, tmp_path):
    auth_proc = service("auth", nats_url, tmp_path, session_idle_s="1").start()
    edge_proc = service("edge", nats_url, tmp_path).start()
    base = edge_proc.base_url
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            await register(client)
            assert (await client.get("/api/users/me")).status_code == 200

            async def refused() -> bool:
                return (await client.get("/api/users/me")).status_code == 401

            await until(refused, timeout_s=10)
    finally:
        edge_proc.stop()
        auth_proc.stop()


async def test_logs_of_a_whole_scenario_hold_no_secrets(edge, auth_process, tmp_path):
    async with httpx.AsyncClient(base_url=edge) as client:
        registered = await register(client, "mallory", email="m@example.com")
        cookie = registered.cookies[COOKIE_NAME]
        await client.post("/api/auth/login", json={"username": "mallory", "password": "bad-password-1"})
        await client.post("/api/auth/login", json={"username": "mallory", "password": PASSWORD})
        await client.get("/api/users/me")
        await client.post("/api/auth/logout")
    logs = auth_process.logs() + (tmp_path / "edge.log").read_text()
    assert "service_started" in logs  # the logs are really captured
    token = unsign(cookie, DEV_SECRET)
    for secret in (PASSWORD, "bad-password-1", "$argon2", cookie, token):
        assert secret not in logs


async def test_logout_publishes_session_ended_for_edges(edge, bus):
    ended: asyncio.Queue = asyncio.Queue()

    async def on_ended(event: auth.SessionEnded, _msg) -> None:
        await ended.put(event)

    await bus.subscribe(subjects.AUTH_SESSION_ENDED.subject(), auth.SessionEnded, on_ended)
    async with httpx.AsyncClient(base_url=edge) as client:
        user = (await register(client)).json()
        token = unsign(client.cookies[COOKIE_NAME], DEV_SECRET)
        await client.post("/api/auth/logout")
    event = await asyncio.wait_for(ended.get(), 5)
    assert event.user_id == user["id"]
    assert event.session_key == hashlib.sha256(token.encode()).hexdigest()


async def test_login_over_a_connection_without_a_peer_address_is_not_500(nats_url, auth_process, tmp_path):
    """Over a Unix socket (or once a TCP peer is gone before its address is read) the ASGI
    scope has no client; logging in must still work, throttled without an address."""
    wait_all(auth_process)
    settings = EdgeSettings(nats_url=nats_url)
    path = str(tmp_path / "edge.sock")
    server = uvicorn.Server(uvicorn.Config(create_app(settings), uds=path, log_config=None, access_log=False))
    serving = asyncio.create_task(server.serve())
    try:
        await until(lambda: _started(server), timeout_s=30)
        transport = httpx.AsyncHTTPTransport(uds=path)
        async with httpx.AsyncClient(transport=transport, base_url="http://edge") as client:
            registered = await register(client)
            assert registered.status_code == 201, registered.text
            client.cookies.clear()
            logged_in = await client.post("/api/auth/login", json={"username": "ada", "password": PASSWORD})
            assert logged_in.status_code == 200, logged_in.text
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 30)


async def _started(server: uvicorn.Server) -> bool:
    return server.started
