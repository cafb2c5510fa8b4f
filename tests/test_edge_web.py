"""The edge serves the chat web app's build at `/` without taking anything from its API:
unknown `/api` paths keep their JSON 404, the sockets and health routes still answer, and
no path leaves the build's folder. Also the user lookups the app needs."""

from pathlib import Path

import httpx
import pytest
import yaml

from parley_stack.processes import service, wait_all
from parley_testkit.users import signed_in

ROOT = Path(__file__).resolve().parent.parent
PAGE = "<!doctype html><title>Parley</title><div id=root></div>"


@pytest.fixture
def web_edge(nats_url, tmp_path, auth_process):
    """An edge serving a small build in `tmp_path/build`, with auth behind it."""
    build = tmp_path / "build"
    (build / "assets").mkdir(parents=True)
    (build / "index.html").write_text(PAGE)
    (build / "assets" / "app.js").write_text("console.log('parley')")
    (tmp_path / "secret.txt").write_text("not for the web")
    edge = service("edge", nats_url, tmp_path, web_dir=str(build)).spawn()
    wait_all(auth_process, edge)
    yield edge.base_url
    edge.stop()


async def test_the_app_is_served_at_the_root_with_a_strict_policy(web_edge):
    async with httpx.AsyncClient(base_url=web_edge) as client:
        page = await client.get("/")
        script = await client.get("/assets/app.js")
        head = await client.head("/")
    assert (page.status_code, page.text) == (200, PAGE)
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert (script.status_code, script.text) == (200, "console.log('parley')")
    assert head.status_code == 200


async def test_api_health_and_unknown_paths_keep_their_json_answers(web_edge):
    async with httpx.AsyncClient(base_url=web_edge) as client:
        unknown_api = [await client.get("/api/nope"), await client.post("/api/nope", json={}), await client.get("/api")]
        missing_file = await client.get("/no-such-page.js")
        escape = await client.get("/..%2fsecret.txt")
        health = await client.get("/healthz")
        me = await client.get("/api/users/me")
    assert [r.status_code for r in unknown_api] == [404, 404, 404]
    assert {r.json()["error"]["code"] for r in unknown_api} == {"not_found"}
    assert missing_file.status_code == 404 and missing_file.json()["error"]["code"] == "not_found"
    assert escape.status_code == 404 and "not for the web" not in escape.text
    assert health.json() == {"status": "ok"}
    assert me.status_code == 401


async def test_without_a_build_the_root_is_a_json_404(nats_url, tmp_path, auth_process):
    edge = service("edge", nats_url, tmp_path, web_dir=str(tmp_path / "missing")).spawn()
    try:
        wait_all(auth_process, edge)
        async with httpx.AsyncClient(base_url=edge.base_url) as client:
            root = await client.get("/")
        assert root.status_code == 404 and root.json()["error"]["code"] == "not_found"
    finally:
        edge.stop()


async def test_users_are_found_by_username_and_by_ids(web_edge):
    ada_client, ada = await signed_in(web_edge, "ada")
    bob_client, bob = await signed_in(web_edge, "bob")
    try:
        by_name = await ada_client.get("/api/users/by-username/BOB")
        nobody = await ada_client.get("/api/users/by-username/nobody")
        by_ids = await ada_client.get("/api/users", params={"ids": f"{bob['id']},{ada['id']},999999"})
        bad = [
            await ada_client.get("/api/users", params={"ids": "1,x"}),
            await ada_client.get("/api/users", params={"ids": "0"}),
            await ada_client.get("/api/users"),
        ]
        anonymous = await httpx.AsyncClient(base_url=web_edge).get("/api/users/by-username/bob")
    finally:
        await ada_client.aclose()
        await bob_client.aclose()
    assert by_name.status_code == 200 and by_name.json()["id"] == bob["id"]
    assert nobody.status_code == 404 and nobody.json()["error"]["code"] == "not_found"
    assert sorted(u["username"] for u in by_ids.json()) == ["ada", "bob"]
    assert [r.status_code for r in bad] == [400, 400, 400]
    assert {r.json()["error"]["code"] for r in bad} == {"bad_request"}
    assert anonymous.status_code == 401


def test_the_edge_image_carries_the_built_app():
    """No Docker engine runs here, so the recipe is read: compose builds the edge's image
    from the stage that copies the app's build and points the edge at it."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert compose["services"]["edge"]["build"]["target"] == "edge"
    assert all("target" not in spec.get("build", {}) for name, spec in compose["services"].items() if name != "edge")
    recipe = (ROOT / "deploy" / "service.Dockerfile").read_text()
    edge_stage = recipe.split("FROM service AS edge", 1)[1].split("\nFROM ", 1)[0]
    assert "COPY --from=web /src/web/app/dist /app/web" in edge_stage
    assert "ENV PARLEY_EDGE_WEB_DIR=/app/web" in edge_stage
    assert "npm ci" in recipe and "npm run build" in recipe
    assert recipe.rstrip().splitlines()[-1] == "FROM service", "the default target must stay the plain service"
