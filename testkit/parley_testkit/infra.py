"""`parley-infra up|down|status|run -- CMD`: the real servers for tests and development.

`up` installs what is missing (Maven jars, the FerretDB build) and starts each server
that is neither running nor given by URL, then waits on a real readiness probe.
`run` starts what is needed (the tests' servers, or those named with `--server`), runs
CMD, and stops only what it started. With `PARLEY_INFRA_NATS_NODES=3`, `nats` names a
three-node cluster (`nats`, `nats-2`, `nats-3`), ready once JetStream can place a stream
on all three.
"""

import argparse
import subprocess
import sys

from .config import InfraSettings
from .process import ServerFailed
from .servers import all_servers

TEST_SERVERS = ("cassandra", "ferretdb")
"""What the test suite needs started; each test runs its own NATS for isolation."""


def up(names: list[str], settings: InfraSettings) -> list[str]:
    servers = all_servers(settings)
    started: list[str] = []
    for name in names:
        server = servers[name]
        try:
            was_started, seconds = server.ensure()
        except ServerFailed as exc:
            print(f"parley-infra: {name} failed: {exc}", file=sys.stderr)
            for other in started:
                servers[other].stop()
            raise SystemExit(1) from exc
        if was_started:
            started.append(name)
        how = "started" if was_started else ("external" if server.external_url() else "already running")
        print(f"{name:10} {how:16} {server.url():32} {server.probe()}  ({seconds:.1f}s)", flush=True)
    return started


def down(names: list[str], settings: InfraSettings) -> None:
    servers = all_servers(settings)
    for name in names:
        if servers[name].stop():
            print(f"{name:10} stopped")


def status(settings: InfraSettings) -> int:
    ready = True
    for name, server in all_servers(settings).items():
        if not server.running():
            print(f"{name:10} stopped")
            ready = False
            continue
        try:
            print(f"{name:10} ready   {server.url():32} {server.probe()}")
        except Exception as exc:  # any client error means not ready
            print(f"{name:10} not ready ({exc})")
            ready = False
    return 0 if ready else 1


def run(command: list[str], names: list[str], settings: InfraSettings) -> int:
    started = up(names, settings)
    try:
        return subprocess.call(command)
    finally:
        down(started, settings)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="parley-infra", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    for action in ("up", "down"):
        p = sub.add_parser(action)
        p.add_argument("servers", nargs="*", help="nats, cassandra, ferretdb (default: all)")
    sub.add_parser("status")
    p_run = sub.add_parser("run")
    p_run.add_argument("--server", dest="servers", action="append", help="only this one (repeatable)")
    p_run.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    settings = InfraSettings()
    everything = list(all_servers(settings))
    nodes = [name for name in everything if name.split("-")[0] == "nats"]
    if getattr(args, "servers", None):  # `nats` is every node of the cluster
        args.servers = [n for name in args.servers for n in (nodes if name == "nats" else [name])]
    unknown = set(getattr(args, "servers", None) or []) - set(everything)
    if unknown:
        parser.error(f"unknown server(s): {', '.join(sorted(unknown))}; choose from {', '.join(everything)}")
    if args.action == "up":
        up(args.servers or everything, settings)
    elif args.action == "down":
        down(args.servers or everything, settings)
    elif args.action == "status":
        sys.exit(status(settings))
    else:
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        if not command:
            parser.error("run needs a command after --")
        sys.exit(run(command, args.servers or list(TEST_SERVERS), settings))


if __name__ == "__main__":
    main()
