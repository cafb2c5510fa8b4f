"""Chat over the public HTTP API: real edge, auth and chat processes on real NATS."""

import pytest

from parley_testkit.users import signed_in


@pytest.fixture
async def team(edge):
    """An owner with a workspace and a #general channel, a member, and an outsider."""
    owner, owner_user = await signed_in(edge, "olivia")
    member, member_user = await signed_in(edge, "max")
    outsider, _ = await signed_in(edge, "eve")
    workspace = (await owner.post("/api/workspaces", json={"name": "Acme"})).json()
    await owner.post(f"/api/workspaces/{workspace['id']}/members", json={"userId": member_user["id"]})
    general = (await owner.post(f"/api/workspaces/{workspace['id']}/channels", json={"name": "general"})).json()
    yield {"owner": owner, "member": member, "outsider": outsider, "workspace": workspace, "general": general,
           "owner_user": owner_user, "member_user": member_user}  # fmt: skip
    for client in (owner, member, outsider):
        await client.aclose()


async def test_workspace_channel_and_messages_flow(team):
    owner, member, general = team["owner"], team["member"], team["general"]
    ws_id = team["workspace"]["id"]
    assert [w["id"] for w in (await member.get("/api/workspaces")).json()] == [ws_id]
    detail = (await member.get(f"/api/workspaces/{ws_id}")).json()
    assert {m["userId"] for m in detail["members"]} == {team["owner_user"]["id"], team["member_user"]["id"]}
    assert [c["name"] for c in (await member.get(f"/api/workspaces/{ws_id}/channels")).json()] == ["general"]

    posted = await member.post(
        "/api/messages", json={"channelId": general["id"], "content": "hello", "clientMsgId": "m1"}
    )
    assert posted.status_code == 201, posted.text
    message = posted.json()
    assert (message["seq"], message["content"], message["clientMsgId"]) == (1, "hello", "m1")
    retried = await member.post(
        "/api/messages", json={"channelId": general["id"], "content": "hello", "clientMsgId": "m1"}
    )
    assert retried.json() == message  # the same stored message, not a second one
    await owner.post("/api/messages", json={"channelId": general["id"], "content": "welcome", "replyTo": message["id"]})
    read = await owner.post(f"/api/messages/{message['id']}/read", json={"channelId": general["id"]})
    assert read.status_code == 200

    history = (await owner.get(f"/api/channels/{general['id']}/messages")).json()
    assert [(m["content"], m["seq"]) for m in history] == [("hello", 1), ("welcome", 2)]
    assert [m["content"] for m in (await owner.get(f"/api/channels/{general['id']}/messages?before=2")).json()] == [
        "hello"
    ]
    assert (await owner.get(f"/api/channels/{general['id']}/messages?after=1")).json()[0]["content"] == "welcome"


async def test_direct_channels(team):
    member, owner = team["member"], team["owner"]
    dm = await member.post("/api/channels/dm", json={"userId": team["owner_user"]["id"]})
    assert dm.status_code == 201 and dm.json()["type"] == "dm"
    again = await owner.post("/api/channels/dm", json={"userId": team["member_user"]["id"]})
    assert again.json()["id"] == dm.json()["id"]
    assert [c["id"] for c in (await owner.get("/api/users/me/dms")).json()] == [dm.json()["id"]]
    posted = await owner.post("/api/messages", json={"channelId": dm.json()["id"], "content": "psst"})
    assert posted.status_code == 201
    refused = await team["outsider"].get(f"/api/channels/{dm.json()['id']}/messages")
    assert refused.status_code == 403


async def test_non_members_are_refused_everything(team):
    outsider, general = team["outsider"], team["general"]
    ws_id = team["workspace"]["id"]
    message = (await team["member"].post("/api/messages", json={"channelId": general["id"], "content": "x"})).json()
    refusals = [
        await outsider.get(f"/api/channels/{general['id']}/messages"),
        await outsider.post("/api/messages", json={"channelId": general["id"], "content": "let me in"}),
        await outsider.post(f"/api/messages/{message['id']}/read", json={"channelId": general["id"]}),
        await outsider.get(f"/api/workspaces/{ws_id}"),
        await outsider.get(f"/api/workspaces/{ws_id}/channels"),
    ]
    assert [r.status_code for r in refusals] == [403] * 5
    assert all(r.json()["error"]["code"] == "forbidden" for r in refusals)
    history = (await team["owner"].get(f"/api/channels/{general['id']}/messages")).json()
    assert [m["content"] for m in history] == ["x"]  # nothing was written by the refused post


async def test_only_managers_create_channels_and_change_members(team):
    member, ws_id = team["member"], team["workspace"]["id"]
    outsider_id = (await team["outsider"].get("/api/users/me")).json()["id"]
    refusals = [
        await member.post(f"/api/workspaces/{ws_id}/channels", json={"name": "random"}),
        await member.post(f"/api/workspaces/{ws_id}/members", json={"userId": outsider_id}),
        await member.delete(f"/api/workspaces/{ws_id}/members/{team['owner_user']['id']}"),
    ]
    assert [r.status_code for r in refusals] == [403, 403, 403]
    owner_removal = await team["owner"].delete(f"/api/workspaces/{ws_id}/members/{team['owner_user']['id']}")
    assert owner_removal.status_code == 403
    channels = (await team["owner"].get(f"/api/workspaces/{ws_id}/channels")).json()
    assert [c["name"] for c in channels] == ["general"]


async def test_removed_member_loses_access_at_once(team):
    ws_id, general = team["workspace"]["id"], team["general"]
    removed = await team["owner"].delete(f"/api/workspaces/{ws_id}/members/{team['member_user']['id']}")
    assert removed.status_code == 200
    after = await team["member"].post("/api/messages", json={"channelId": general["id"], "content": "still here?"})
    assert after.status_code == 403


async def test_members_cannot_post_in_announcement_channels(team):
    ws_id = team["workspace"]["id"]
    news = (
        await team["owner"].post(f"/api/workspaces/{ws_id}/channels", json={"name": "news", "type": "announcement"})
    ).json()
    refused = await team["member"].post("/api/messages", json={"channelId": news["id"], "content": "hi"})
    assert refused.status_code == 403
    assert (
        await team["owner"].post("/api/messages", json={"channelId": news["id"], "content": "news!"})
    ).status_code == 201
    assert [m["content"] for m in (await team["member"].get(f"/api/channels/{news['id']}/messages")).json()] == [
        "news!"
    ]


async def test_duplicate_channel_name_is_409(team):
    ws_id = team["workspace"]["id"]
    again = await team["owner"].post(f"/api/workspaces/{ws_id}/channels", json={"name": "GENERAL"})
    assert again.status_code == 409


async def test_bad_inputs_are_4xx_and_write_nothing(team):
    owner, general = team["owner"], team["general"]
    cid = general["id"]
    cases = [
        ("post", "/api/messages", {"channelId": cid, "content": ""}, 400),
        ("post", "/api/messages", {"channelId": cid, "content": "   "}, 400),
        ("post", "/api/messages", {"channelId": cid, "content": "x" * 4001}, 400),
        ("post", "/api/messages", {"channelId": str(cid), "content": "x"}, 400),
        ("post", "/api/messages", {"channelId": 999999999, "content": "x"}, 404),
        ("post", "/api/messages", {"channelId": cid, "content": "x", "replyTo": 424242}, 404),
        ("post", "/api/messages", {"channelId": 2**53, "content": "x"}, 400),
        ("post", "/api/messages/424242/read", {"channelId": cid}, 404),
        ("get", f"/api/channels/{cid}/messages?limit=1000", None, 400),
        ("get", f"/api/channels/{cid}/messages?before=abc", None, 400),
        ("get", "/api/workspaces/0", None, 400),
        ("get", "/api/workspaces/999999999", None, 404),
        ("post", "/api/workspaces", {"name": ""}, 400),
        ("post", f"/api/workspaces/{team['workspace']['id']}/members", {"userId": 999999999}, 404),
        ("post", "/api/channels/dm", {"userId": team["owner_user"]["id"]}, 400),
    ]
    for method, path, body, status in cases:
        response = await owner.request(method.upper(), path, json=body)
        assert response.status_code == status, (path, body, response.text)
        assert response.json()["error"]["message"]
    assert (await owner.get(f"/api/channels/{cid}/messages")).json() == []


async def test_unauthenticated_calls_are_401(edge):
    import httpx

    async with httpx.AsyncClient(base_url=edge) as anonymous:
        for method, path in [("GET", "/api/workspaces"), ("POST", "/api/messages"), ("GET", "/api/users/me/dms")]:
            response = await anonymous.request(method, path, json={})
            assert response.status_code == 401, path
