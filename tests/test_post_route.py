"""`POST /api/messages` end to end: the edge answers well-formed posts ahead of FastAPI
(`post_route`) and passes every other request on to FastAPI's route; either way a client
sees the same answers, the same refusals in the same order, and nothing half-written."""

import httpx
import pytest

from parley_edge.http.cookies import COOKIE_NAME
from parley_testkit.users import signed_in

JSON = {"Content-Type": "application/json"}


@pytest.fixture
async def poster(edge):
    """A signed-in owner of a workspace with one channel: (client, cookie header, channel id)."""
    client, _ = await signed_in(edge, "olivia")
    workspace = (await client.post("/api/workspaces", json={"name": "Acme"})).json()
    channel = (await client.post(f"/api/workspaces/{workspace['id']}/channels", json={"name": "general"})).json()
    yield client, f"{COOKIE_NAME}={client.cookies[COOKIE_NAME]}", channel["id"]
    await client.aclose()


async def test_a_post_is_answered_as_fastapis_route_answers_it(poster):
    client, _, channel = poster
    body = {"channelId": channel, "content": "héllo ✓", "clientMsgId": "m1", "mentions": [1]}
    served_here = await client.post("/api/messages", json=body)
    # A JSON body under another JSON media type is FastAPI's to answer: the same post again.
    by_fastapi = await client.post("/api/messages", json=body, headers={"Content-Type": "application/merge+json"})
    assert (served_here.status_code, by_fastapi.status_code) == (201, 201), (served_here.text, by_fastapi.text)
    assert served_here.content == by_fastapi.content
    assert served_here.headers["content-type"] == by_fastapi.headers["content-type"] == "application/json"
    message = served_here.json()
    assert (message["content"], message["clientMsgId"], message["mentions"]) == ("héllo ✓", "m1", [1])
    assert "replyTo" not in message  # empty fields are left out, as FastAPI's route leaves them
    history = (await client.get(f"/api/channels/{channel}/messages")).json()
    assert [m["id"] for m in history] == [message["id"]]


async def test_refused_posts_are_answered_as_before_and_write_nothing(edge, poster):
    client, cookie, channel = poster
    valid = b'{"channelId": %d, "content": "hi"}' % channel
    cases = [
        ("no cookie", {**JSON}, valid, 401, "unauthorized"),
        ("a forged cookie", {**JSON, "Cookie": f"{COOKIE_NAME}=s:{'t' * 32}.forged"}, valid, 401, "unauthorized"),
        ("no cookie, not JSON: the JSON is judged first", {**JSON}, b'{"channelId": ', 400, "bad_request"),
        ("no cookie, a bad field: the session is judged first", {**JSON}, b'{"channelId": "1"}', 401, "unauthorized"),
        ("a bad field", {**JSON, "Cookie": cookie}, b'{"channelId": %d, "content": ""}' % channel, 400, "bad_request"),
        ("no body", {**JSON, "Cookie": cookie}, b"", 400, "bad_request"),
        ("a JSON array", {**JSON, "Cookie": cookie}, b"[]", 400, "bad_request"),
        ("not a JSON content type", {"Content-Type": "text/plain", "Cookie": cookie}, valid, 400, "bad_request"),
        ("no content type", {"Cookie": cookie}, valid, 400, "bad_request"),
        ("no such channel", {**JSON, "Cookie": cookie}, b'{"channelId": 999999, "content": "hi"}', 404, "not_found"),
        ("from another site", {**JSON, "Cookie": cookie, "Origin": "https://evil.example"}, valid, 403, "forbidden"),
    ]
    async with httpx.AsyncClient(base_url=edge) as anonymous:
        for case, headers, body, status, code in cases:
            answer = await anonymous.post("/api/messages", content=body, headers=headers)
            assert (answer.status_code, answer.headers["content-type"]) == (status, "application/json"), case
            error = answer.json()["error"]
            assert (error["code"], bool(error["message"])) == (code, True), (case, error)
        fields = await anonymous.post("/api/messages", content=b'{"channelId": 0}', headers={**JSON, "Cookie": cookie})
    assert {d["field"] for d in fields.json()["error"]["details"]} == {"channelId", "content"}
    assert (await client.get(f"/api/channels/{channel}/messages")).json() == []


async def test_a_session_logged_out_is_refused_at_once_though_it_was_just_used(poster):
    client, cookie, channel = poster
    body = {"channelId": channel, "content": "before"}
    assert (await client.post("/api/messages", json=body)).status_code == 201  # the session is now kept
    assert (await client.post("/api/auth/logout")).status_code == 200
    async with httpx.AsyncClient(base_url=client.base_url, headers={"Cookie": cookie}) as stale:
        refused = await stale.post("/api/messages", json={**body, "content": "after"})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
