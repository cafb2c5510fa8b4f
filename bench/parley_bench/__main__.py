"""`python -m parley_bench [--quick] [--profile] [--only NAME ...] [--url URL --nats URL --edge-pid PID ...]`

Without `--url` it starts the embedded stack in a scratch folder (NATS and every
service as their own processes) and stops it afterwards; the Cassandra persistence
scenario starts a second stack whose chat and dm keep their streams in Cassandra (at
`PARLEY_CHAT_CASSANDRA_HOSTS`, started for that scenario unless one runs there or is
given by `PARLEY_INFRA_CASSANDRA_URL`, and stopped after it). The load runs in this
process, apart from the edge. Prints a table and writes JSON to `.parley/bench/`, and
the persistence figures of both stores side by side as a PNG chart beside it.
"""

import argparse
import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import uvloop

from parley_chat.settings import ChatSettings
from parley_dm.settings import DmSettings
from parley_stack.schema import SchemaSettings, create_keyspaces_and_tables
from parley_storage.cassandra import connect
from parley_testkit import infra
from parley_testkit.config import InfraSettings

from . import chart, profile, scenarios
from .cassandra_stats import CassandraStats
from .persistence import persistence, side_by_side, side_by_side_table
from .stacks import embedded_stack, environment, raise_open_files, service_pids
from .target import QUICK, Sizes, Target

OUT = Path(".parley/bench")
EDGE_SCENARIOS = {
    "idle": scenarios.idle,  # first: on a fresh edge
    "fanout": scenarios.fanout,
    "many_channels": scenarios.many_channels,
    "dm": scenarios.direct_messages,
}
NAMES = [*EDGE_SCENARIOS, "fanout_workers", "persistence_sqlite", "persistence_cassandra"]
"""`fanout_workers` is `fanout` on an edge of one worker per core; the others run on one worker."""


CASSANDRA_STREAMS = {
    "PARLEY_CHAT_STREAM_STORE": "cassandra",
    "PARLEY_CHAT_CASSANDRA_KEYSPACE": "parley_bench_chat",
    "PARLEY_DM_STORE": "cassandra",
    "PARLEY_DM_CASSANDRA_KEYSPACE": "parley_bench_dm",
}


def fresh_cassandra_schema() -> None:
    """New chat and dm keyspaces, made by the deploy's own schema step."""
    chat, dm = ChatSettings(), DmSettings()
    cluster, session = connect(chat.cassandra_hosts)
    try:
        for keyspace in (chat.cassandra_keyspace, dm.cassandra_keyspace):
            session.execute(f"DROP KEYSPACE IF EXISTS {keyspace}")
    finally:
        cluster.shutdown()
    create_keyspaces_and_tables(chat, dm, SchemaSettings().replication)


@contextlib.contextmanager
def cassandra_running() -> Iterator[None]:
    """Cassandra for its own scenario only: a node starting takes the machine's cores for
    a while, and started before the others it stretched the fan-out's tail."""
    settings = InfraSettings()
    started = infra.up(["cassandra"], settings)
    try:
        yield
    finally:
        infra.down(started, settings)


async def run_scenario(name: str, make, target: Target, results: dict) -> None:
    print(f"{name}:", flush=True)
    began = time.monotonic()
    results[name] = {**await make(target), "wall_s": round(time.monotonic() - began, 1)}
    print(f"  {results[name]}", flush=True)


def run(args: argparse.Namespace, sizes: Sizes, profile_dir: Path | None) -> dict:
    results: dict[str, dict] = {}
    wanted = [name for name in NAMES if not args.only or name in args.only]
    edge_side = [name for name in wanted if name in EDGE_SCENARIOS or name == "persistence_sqlite"]
    if edge_side:
        with environment(), contextlib.ExitStack() as stacks:
            if args.url:
                base_url, nats_url = args.url, args.nats
                pids = {"edge": args.edge_pid, "chat": args.chat_pid, "dm": args.dm_pid}
            else:
                stack, base_url = stacks.enter_context(embedded_stack())
                nats_url, pids = stack.nats_url, service_pids(stack)
            target = Target(base_url, nats_url, pids["edge"], sizes, profile_dir)
            for name in edge_side:
                make = EDGE_SCENARIOS.get(name) or (lambda t: persistence(t, pids, "sqlite"))
                uvloop.run(run_scenario(name, make, target, results))
    if "fanout_workers" in wanted and not args.url:
        workers = len(os.sched_getaffinity(0))
        with environment(), embedded_stack(edge_workers=workers) as (stack, base_url):
            target = Target(base_url, stack.nats_url, service_pids(stack)["edge"], sizes, profile_dir)
            uvloop.run(run_scenario("fanout_workers", scenarios.fanout, target, results))
            results["fanout_workers"]["workers"] = workers
    if "persistence_cassandra" in wanted:
        with cassandra_running(), environment(**CASSANDRA_STREAMS):
            fresh_cassandra_schema()
            server = CassandraStats(ChatSettings().cassandra_hosts)
            with embedded_stack() as (stack, base_url):
                pids = service_pids(stack)
                target = Target(base_url, stack.nats_url, pids["edge"], sizes, profile_dir)
                make = lambda t: persistence(t, pids, "cassandra", sizes.cassandra_warmup_s)  # noqa: E731
                uvloop.run(run_scenario("persistence_cassandra", make, target, results))
            results["cassandra_server"] = server.figures()
    return results


def table(results: dict) -> str:
    lines = [f"{'scenario':22} figures", f"{'-' * 22} {'-' * 60}"]
    for name, figures in results.items():
        lines.append(f"{name:22} " + ", ".join(f"{k}={v}" for k, v in figures.items()))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every scenario small, in about two minutes")
    parser.add_argument("--profile", action="store_true", help="profile the edge (chat for persistence) with py-spy")
    parser.add_argument("--url", help="a running edge; default: start the embedded stack")
    parser.add_argument("--nats", help="that stack's NATS URL (with --url)")
    parser.add_argument("--edge-pid", type=int, help="the edge's process id (with --url), for CPU and memory")
    parser.add_argument("--chat-pid", type=int, help="chat's process id (with --url), for CPU")
    parser.add_argument("--dm-pid", type=int, help="dm's process id (with --url), for CPU")
    parser.add_argument("--only", nargs="*", default=[], choices=NAMES, help="run only these scenarios")
    args = parser.parse_args()
    raise_open_files()
    sizes = QUICK if args.quick else Sizes()
    label = "quick" if args.quick else "full"
    profile_dir = OUT / f"profile-{label}" if args.profile else None
    if profile_dir:
        profile_dir.mkdir(parents=True, exist_ok=True)
    results = run(args, sizes, profile_dir)
    print(table(results))
    stores = side_by_side(results) if any(name.startswith("persistence") for name in results) else []
    if stores:
        print(side_by_side_table(stores))
    if profile_dir:
        for path in sorted(profile_dir.glob("*.txt")):
            print(f"\nprofile of {path.stem} (% own, % with callees):")
            for function, own, under in profile.hottest(path):
                print(f"  {own:5.1f} {under:5.1f}  {function}")
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"results-{label}.json"
    path.write_text(json.dumps({"sizes": sizes.__dict__, "results": results, "persistence": stores}, indent=2))
    print(f"written to {path}")
    if stores:
        print(f"drawn to {chart.persistence(stores, sizes, path.with_suffix('.png'))}")


if __name__ == "__main__":
    main()
