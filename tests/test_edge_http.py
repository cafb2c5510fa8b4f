"""The edge's HTTP hardening end to end: cross-site requests carrying the session cookie,
request body and header limits, and whose `X-Forwarded-For` is believed."""

import asyncio
import json
from urllib.parse import urlsplit

import httpx
import pytest

from parley_stack.processes import free_port, service, wait_all
from parley_testkit.users import signed_in

FOREIGN = "https://evil.example"


async def test_cross_site_state_changes_with_the_cookie_are_403(edge):
    client, user = await signed_in(edge, "ada")
    other_port = f"http://127.0.0.1:{urlsplit(edge).port + 1}"
    try:
        refusals = [
            await client.post("/api/workspaces", json={"name": "Evil"}, headers={"Origin": FOREIGN}),
            await client.post("/api/workspaces", json={"name": "Evil"}, headers={"Referer": f"{FOREIGN}/page"}),
            await client.post("/api/workspaces", json={"name": "Evil"}, headers={"Origin": "null"}),
            await client.post("/api/workspaces", json={"name": "Evil"}, headers={"Origin": other_port}),
            await client.post("/api/auth/logout", headers={"Origin": FOREIGN}),
            await client.delete(f"/api/messagepal/blocks/{user['id']}", headers={"Origin": FOREIGN}),
        ]
        assert [r.status_code for r in refusals] == [403] * len(refusals)
        assert {r.json()["error"]["code"] for r in refusals} == {"forbidden"}
        assert (await client.get("/api/workspaces")).json() == []  # nothing was created
        assert (await client.get("/api/users/me")).status_code == 200  # the logout was refused
        assert (await client.get("/api/workspaces", headers={"Origin": FOREIGN})).status_code == 200  # reads pass

        same_site = await client.post("/api/workspaces", json={"name": "Acme"}, headers={"Origin": edge})
        by_referer = await client.post("/api/workspaces", json={"name": "Beta"}, headers={"Referer": f"{edge}/app"})
        not_a_browser = await client.post("/api/workspaces", json={"name": "Gamma"})
        assert [r.status_code for r in (same_site, by_referer, not_a_browser)] == [201, 201, 201]
    finally:
        await client.aclose()


async def test_a_configured_origin_replaces_the_default(nats_url, tmp_path, auth_process):
    edge = service("edge", nats_url, tmp_path, allowed_origins="https://app.example").spawn()
    try:
        wait_all(auth_process, edge)
        client, _ = await signed_in(edge.base_url, "ada")
        refused = await client.post("/api/auth/logout", headers={"Origin": edge.base_url})
        allowed = await client.post("/api/auth/logout", headers={"Origin": "https://app.example"})
        await client.aclose()
        assert (refused.status_code, allowed.status_code) == (403, 200)
    finally:
        edge.stop()


async def raw_request(base_url: str, *parts: bytes, timeout_s: float = 10.0) -> tuple[int, dict, bytes]:
    """Write `parts` on one connection, then read the answer: status, headers, body. The
    request may be left unfinished: the answer must come anyway."""
    address = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    try:
        for part in parts:
            writer.write(part)
            await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout_s)
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in lines if line)
        body = await asyncio.wait_for(reader.readexactly(int(headers.get("content-length", 0))), timeout_s)
        return int(status_line.split()[1]), headers, body
    finally:
        writer.close()


def post_head(base_url: str, path: str, *headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {urlsplit(base_url).netloc}", "Content-Type: application/json", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def refusal(status: int, body: bytes, expected: int, code: str) -> None:
    assert status == expected, body
    assert json.loads(body)["error"]["code"] == code


@pytest.mark.parametrize("path", ["/api/auth/login", "/api/messages"])  # the second, ahead of FastAPI (`post_route`)
async def test_a_body_over_the_limit_is_413_before_it_is_read(edge, path):
    # A declared length over 64 KiB is refused with only a sliver of the body sent.
    head = post_head(edge, path, f"Content-Length: {10 * 1024 * 1024}")
    status, _, body = await raw_request(edge, head, b'{"username": "ada", "password": "')
    refusal(status, body, 413, "too_large")

    # A chunked body is counted as it arrives: past the limit it is refused, unfinished.
    chunk = b"x" * 16384
    chunks = [f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" for _ in range(5)]
    status, _, body = await raw_request(edge, post_head(edge, path, "Transfer-Encoding: chunked"), *chunks)
    refusal(status, body, 413, "too_large")

    # Under the limit a body is read and judged as usual.
    async with httpx.AsyncClient(base_url=edge) as client:
        response = await client.post(path, json={"username": "ada", "password": "x" * 60_000})
    assert response.status_code in (400, 401), response.text


async def test_oversized_headers_are_431(edge):
    # A head that never ends is cut off once it is too long, not buffered forever...
    endless = post_head(edge, "/api/auth/login")[:-2] + b"".join(
        b"X-Pad-%d: %s\r\n" % (n, b"p" * 1000) for n in range(40)
    )
    status, _, body = await raw_request(edge, endless)
    refusal(status, body, 431, "too_large")
    # ...and a complete head over the limit is refused too.
    async with httpx.AsyncClient(base_url=edge) as client:
        response = await client.get("/api/users/me", headers={"X-Pad": "p" * 40_000})
        assert response.status_code == 431
        assert response.json()["error"]["code"] == "too_large"
        assert (await client.get("/api/users/me", params={"q": "p" * 40_000})).status_code == 431
        assert (await client.get("/api/users/me", headers={"X-Pad": "p" * 4000})).status_code == 401


async def test_a_malformed_request_is_400_in_json_and_the_connection_closes(edge):
    status, headers, body = await raw_request(edge, b"GET /api/users/me HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
    refusal(status, body, 400, "bad_request")
    assert headers["connection"] == "close"
    # The edge goes on serving everyone else.
    status, _, body = await raw_request(edge, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (status, json.loads(body)) == (200, {"status": "ok"})


async def test_an_idle_connection_outlives_a_clients_keep_alive(edge):
    """httpx keeps an idle connection for 5 s: were the edge to close it at that moment too,
    a request sent on it then would fail with a read error."""
    address = urlsplit(edge)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    try:
        for _ in range(2):
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            assert head.startswith(b"HTTP/1.1 200"), head
            await asyncio.wait_for(reader.readuntil(b"}"), 10)
            with pytest.raises(TimeoutError):  # idle past the client's 5 s, the edge does not hang up
                await asyncio.wait_for(reader.read(1), 6)
    finally:
        writer.close()


async def failed_logins_from(base_url: str, forwarded_for: list[str]) -> list[int]:
    """One failed login per address, each for another username; their status codes."""
    codes = []
    async with httpx.AsyncClient(base_url=base_url) as client:
        for n, address in enumerate(forwarded_for):
            body = {"username": f"user{n}", "password": "wrong-pass"}
            response = await client.post("/api/auth/login", json=body, headers={"X-Forwarded-For": address})
            codes.append(response.status_code)
    return codes


@pytest.mark.parametrize(
    ("trusted", "expected"),
    [(None, [401, 401, 401, 429]), ("127.0.0.0/8", [401, 401, 401, 401])],
)
async def test_x_forwarded_for_is_believed_only_from_trusted_proxies(nats_url, tmp_path, trusted, expected):
    auth = service("auth", nats_url, tmp_path, login_attempts_per_address="3").spawn()
    extra = {"trusted_proxies": trusted} if trusted else {}
    edge = service("edge", nats_url, tmp_path, **extra).spawn()
    try:
        wait_all(auth, edge)
        # Behind a TLS proxy the cookie is Secure, when the proxy is trusted to say so.
        async with httpx.AsyncClient(base_url=edge.base_url) as client:
            body = {"username": "tess", "password": "long-enough-1", "name": "Tess"}
            registered = await client.post(
                "/api/auth/register", json=body, headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.9"}
            )
        assert registered.status_code == 201
        assert ("secure" in registered.headers["set-cookie"].lower()) == bool(trusted)
        # Untrusted, every attempt comes from 127.0.0.1 whatever it claims: the fourth is throttled.
        assert await failed_logins_from(edge.base_url, ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]) == expected
    finally:
        edge.stop()
        auth.stop()


async def test_with_a_health_port_the_edges_metrics_leave_the_public_port(nats_url, tmp_path, auth_process):
    private = free_port()
    edge = service("edge", nats_url, tmp_path, health_host="127.0.0.1", health_port=str(private)).spawn()
    try:
        wait_all(auth_process, edge)
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{edge.base_url}/metrics")).status_code == 404
            figures = await client.get(f"http://127.0.0.1:{private}/metrics")
            assert figures.status_code == 200 and "parley_edge_open_sockets" in figures.text
            assert (await client.get(f"http://127.0.0.1:{private}/readyz")).json()["ready"] is True
    finally:
        edge.stop()
