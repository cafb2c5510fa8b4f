"""`python -m parley_bench [--quick] [--url URL --nats URL --edge-pid PID] [--only NAME ...]`

Without `--url` it starts the embedded stack in a scratch folder (NATS and every
service as their own processes) and stops it afterwards. The load runs in this
process, apart from the edge. Prints a table and writes JSON to `.parley/bench/`.
"""

import argparse
import asyncio
import json
import resource
import tempfile
import time
from pathlib import Path

from parley_stack.launcher import Stack
from parley_stack.processes import free_port
from parley_stack.settings import StackSettings

from . import scenarios

OUT = Path(".parley/bench")


def progress(line: str) -> None:
    print(f"  … {line}", flush=True)


async def run(base_url: str, nats_url: str, edge_pid: int, sizes: scenarios.Sizes, only: list[str]) -> dict:
    results: dict[str, dict] = {}
    plan = {
        "fanout": lambda: scenarios.fanout(base_url, edge_pid, sizes, progress),
        "many_channels": lambda: scenarios.many_channels(base_url, edge_pid, sizes, progress),
        "idle": lambda: scenarios.idle(base_url, edge_pid, sizes, progress),
        "dm": lambda: scenarios.direct_messages(base_url, edge_pid, sizes, progress),
        "persistence_sqlite": lambda: scenarios.persistence(nats_url, sizes, progress),
    }
    for name, scenario in plan.items():
        if only and name not in only:
            continue
        print(f"{name}:", flush=True)
        began = time.monotonic()
        results[name] = {**await scenario(), "wall_s": round(time.monotonic() - began, 1)}
        print(f"  {results[name]}", flush=True)
    return results


def table(results: dict) -> str:
    lines = [f"{'scenario':20} figures", f"{'-' * 20} {'-' * 60}"]
    for name, figures in results.items():
        lines.append(f"{name:20} " + ", ".join(f"{k}={v}" for k, v in figures.items()))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every scenario small, in about a minute")
    parser.add_argument("--url", help="a running edge; default: start the embedded stack")
    parser.add_argument("--nats", help="that stack's NATS URL (with --url)")
    parser.add_argument("--edge-pid", type=int, help="the edge's process id (with --url), for CPU and memory")
    parser.add_argument("--only", nargs="*", default=[], help="run only these scenarios")
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # thousands of sockets; the stack inherits it
    sizes = scenarios.QUICK if args.quick else scenarios.Sizes()
    stack = None
    if args.url:
        base_url, nats_url, edge_pid = args.url, args.nats, args.edge_pid
    else:
        scratch = Path(tempfile.mkdtemp(prefix="parley-bench-"))
        settings = StackSettings(data_dir=scratch, port=free_port(), nats_port=free_port(), log_level="warning")
        stack = Stack(settings)
        stack.start()
        base_url = f"http://127.0.0.1:{settings.port}"
        nats_url, edge_pid = stack.nats_url, stack.services["edge"].proc.pid
        print(f"embedded stack in {scratch}", flush=True)
    try:
        results = asyncio.run(run(base_url, nats_url, edge_pid, sizes, args.only))
    finally:
        if stack:
            stack.stop()
    print(table(results))
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"results-{'quick' if args.quick else 'full'}.json"
    path.write_text(json.dumps({"sizes": sizes.__dict__, "results": results}, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
