"""compose.yaml checked against the code: it parses, its builds exist, every env var it
sets is one the service reads, the NATS permissions are the ones derived from the
contracts, and with those permissions the services really work (and nothing more)."""

import asyncio
import os
import subprocess
import tomllib
from pathlib import Path

import httpx
import nats
import pytest
import yaml
from nats.errors import TimeoutError as NatsTimeout

from parley_assistant.settings import AssistantSettings
from parley_auth.settings import AuthSettings
from parley_chat.settings import ChatSettings
from parley_client import FrameSocket
from parley_contracts import subjects
from parley_dm.settings import DmSettings
from parley_edge.settings import EdgeSettings
from parley_stack.nats import nats_server_binary
from parley_stack.nats_permissions import REQUESTS, permissions, server_config
from parley_stack.processes import free_port, service, wait_all
from parley_stack.schema import SchemaSettings
from parley_testkit.teams import make_team
from parley_testkit.waiting import until

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
READERS = {
    "auth": [AuthSettings],
    "chat": [ChatSettings],
    "dm": [DmSettings],
    "edge": [EdgeSettings],
    "assistant": [AssistantSettings],
    "schema": [AuthSettings, ChatSettings, DmSettings, SchemaSettings],
}


def env_names(settings_type) -> set[str]:
    prefix = settings_type.model_config["env_prefix"]
    return {f"{prefix}{name}".upper() for name in settings_type.model_fields}


def test_every_build_exists_and_names_a_workspace_package():
    members = {tomllib.loads(p.read_text())["project"]["name"]: p.parent for p in ROOT.glob("*/pyproject.toml")}
    members |= {
        tomllib.loads(p.read_text())["project"]["name"]: p.parent for p in ROOT.glob("services/*/pyproject.toml")
    }
    for name, spec in COMPOSE["services"].items():
        if "build" in spec:
            build = spec["build"]
            assert (ROOT / build["context"] / build["dockerfile"]).is_file(), name
            package, module = build["args"]["PACKAGE"], build["args"]["MODULE"]
            assert package in members, name
            assert (members[package] / module.split(".")[0]).is_dir(), name


def test_every_env_var_set_is_read_by_its_service():
    for name, readers in READERS.items():
        known = set().union(*(env_names(r) for r in readers))
        unknown = set(COMPOSE["services"][name]["environment"]) - known
        assert not unknown, f"{name} sets env vars no setting reads: {sorted(unknown)}"
    nats_env = set(COMPOSE["services"]["nats"]["environment"])
    assert nats_env == {f"{service.upper()}_NATS_PASSWORD" for service in REQUESTS}


def test_services_wait_for_what_they_need():
    services = COMPOSE["services"]
    for name in ("auth", "chat", "dm"):
        assert services[name]["depends_on"]["schema"]["condition"] == "service_completed_successfully"
        assert services[name]["depends_on"]["nats"]["condition"] == "service_healthy"
        assert "healthcheck" in services[name]
    assert {services["edge"]["depends_on"][n]["condition"] for n in ("auth", "chat", "dm")} == {"service_healthy"}


def test_a_service_that_stays_unready_is_restarted():
    """Compose only marks a container unhealthy: the services exit on their own, and come back."""
    services = COMPOSE["services"]
    for name in ("auth", "chat", "dm", "assistant", "edge"):
        assert services[name]["restart"] == "unless-stopped", name
        assert "/readyz" in " ".join(services[name]["healthcheck"]["test"]), name
    for name in ("auth", "chat", "dm", "assistant"):
        assert float(services[name]["environment"][f"PARLEY_{name.upper()}_UNREADY_EXIT_S"]) > 0, name


def test_committed_nats_config_is_the_one_derived_from_the_contracts():
    assert (ROOT / "deploy" / "nats" / "nats.conf").read_text() == server_config()


def covers(pattern: str, subject: str) -> bool:
    """Does a NATS permission pattern (`*` one token, `>` the rest) cover the subject?"""
    wanted, given = pattern.split("."), subject.split(".")
    for n, token in enumerate(wanted):
        if token == ">":
            return len(given) > n
        if n >= len(given) or token not in ("*", given[n]):
            return False
    return len(wanted) == len(given)


def test_only_the_edge_may_send_the_reads_that_act_for_no_user():
    for command in (subjects.CHAT_FEED_EVENTS, subjects.DM_FEED_EVENTS):
        senders = {name for name in REQUESTS if any(covers(p, command.subject) for p in permissions(name)["publish"])}
        assert senders == {"edge"}, command.subject


@pytest.fixture
def guarded_nats(tmp_path):
    """A NATS server with the generated users and permissions; yields a URL maker."""
    port = free_port()
    config = tmp_path / "nats.conf"
    config.write_text(server_config(store_dir=str(tmp_path / "js"), port=port, http_port=free_port()))
    passwords = {f"{s.upper()}_NATS_PASSWORD": f"pw-{s}" for s in REQUESTS}
    proc = subprocess.Popen(
        [str(nats_server_binary()), "-c", str(config)], env={**os.environ, **passwords},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    yield lambda user: f"nats://{user}:pw-{user}@127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


async def test_the_services_work_within_their_permissions_and_no_further(guarded_nats, tmp_path):
    processes = [service(name, guarded_nats(name), tmp_path).spawn() for name in ("auth", "chat", "dm")]
    wait_all(*processes)
    processes.append(service("assistant", guarded_nats("assistant"), tmp_path).spawn())
    edge = service("edge", guarded_nats("edge"), tmp_path).spawn()
    wait_all(*processes, edge)
    try:
        team = await make_team(edge.base_url)
        socket = await FrameSocket.open(edge.base_url, cookie=team.member.cookie)
        await socket.send({"type": "join_channel", "channelId": team.channel_id})
        await socket.next("joined_channel")
        allowed = {"type": "send_message", "channelId": team.channel_id, "content": "allowed", "mentions": ["olivia"]}
        await socket.send(allowed)
        assert (await socket.next("new_message"))["message"]["mentions"] == [team.owner.id]  # edge → auth.find_users
        await socket.send({"type": "send_message", "channelId": team.channel_id, "content": "@AI help"})
        await socket.wait_for(lambda f: f.get("type") == "new_message" and f["message"].get("replyTo"), timeout=20)
        pal = await FrameSocket.open(edge.base_url, "/messagepal", cookie=team.owner.cookie)
        await pal.send({"type": "send_message", "payload": {"recipientId": team.member.id, "content": "dm"}})
        await pal.next("message_received")
        await socket.close()
        await pal.close()
        await team.close()

        # The edge may not forge chat events, nor may chat answer auth's commands.
        errors: list[str] = []

        async def on_error(error: Exception) -> None:
            errors.append(str(error))

        edge_conn = await nats.connect(guarded_nats("edge"), error_cb=on_error)
        await edge_conn.publish(f"chat.evt.{team.channel_id}.message_posted", b"{}")
        await edge_conn.flush()
        chat_conn = await nats.connect(guarded_nats("chat"), error_cb=on_error)
        await chat_conn.subscribe("auth.login")
        await chat_conn.flush()

        async def both_refused() -> bool:  # the server reports violations asynchronously
            text = " ".join(errors).lower()
            return "permissions violation for publish" in text and "permissions violation for subscription" in text

        await until(both_refused, timeout_s=5)
        with pytest.raises((NatsTimeout, nats.errors.NoRespondersError)):
            await edge_conn.request("chat.cmd.not_a_command", b"{}", timeout=0.5)
        await edge_conn.close()
        await chat_conn.close()
    finally:
        for process in (*processes, edge):
            process.stop()


async def test_the_schema_step_creates_keyspaces_tables_and_indexes(
    infra_settings, cassandra_session, mongo_client, tmp_path
):
    from parley_testkit.fixtures import unique_name
    from parley_testkit.servers import Cassandra, FerretDB

    chat_ks, dm_ks, auth_db, chat_db = (unique_name(p) for p in ("chat", "dm", "auth", "dir"))
    env = {
        **os.environ,
        "PARLEY_CHAT_CASSANDRA_HOSTS": Cassandra(infra_settings).url(), "PARLEY_CHAT_CASSANDRA_KEYSPACE": chat_ks,
        "PARLEY_DM_CASSANDRA_KEYSPACE": dm_ks, "PARLEY_AUTH_MONGO_URL": FerretDB(infra_settings).url(),
        "PARLEY_CHAT_MONGO_URL": FerretDB(infra_settings).url(), "PARLEY_AUTH_MONGO_DATABASE": auth_db,
        "PARLEY_CHAT_MONGO_DATABASE": chat_db,
    }  # fmt: skip
    result = await asyncio.to_thread(
        subprocess.run, ["python", "-m", "parley_stack.schema"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    try:
        for keyspace, table in ((chat_ks, "channel_log"), (dm_ks, "conversation_log"), (dm_ks, "dm_inbox")):
            rows = cassandra_session.execute(
                "SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s", (keyspace,)
            )
            assert table in {row.table_name for row in rows}
        user_indexes = await mongo_client[auth_db]["users"].index_information()
        assert any(info.get("unique") for info in user_indexes.values())
        channel_indexes = await mongo_client[chat_db]["channels"].index_information()
        assert any(info.get("unique") for info in channel_indexes.values())
    finally:
        for keyspace in (chat_ks, dm_ks):
            cassandra_session.execute(f"DROP KEYSPACE IF EXISTS {keyspace}")
        for database in (auth_db, chat_db):
            await mongo_client.drop_database(database)


async def test_demo_against_a_running_edge(edge):
    result = await asyncio.to_thread(
        subprocess.run, ["python", "-m", "parley_stack.demo", "--url", edge], capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "log in as" in result.stdout
    async with httpx.AsyncClient(base_url=edge) as client:
        login = await client.post("/api/auth/login", json={"username": "ada", "password": "parley-demo-1"})
        assert login.status_code == 200
        assert [w["name"] for w in (await client.get("/api/workspaces")).json()] == ["Parley demo"]
