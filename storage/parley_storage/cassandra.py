"""cassandra-driver from asyncio: the driver's futures resolved on the event loop."""

import asyncio
from typing import Any

from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, ResponseFuture, Session
from cassandra.policies import RoundRobinPolicy


async def execute(session: Session, statement: Any, params: Any = None) -> list:
    """Run one statement and return all its rows (pages fetched as needed)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future = loop.create_future()
    rows: list = []
    future: ResponseFuture = session.execute_async(statement, params)

    def on_page(page: list) -> None:
        rows.extend(page or [])  # writes answer with no page at all
        if future.has_more_pages:
            future.start_fetching_next_page()
        else:
            loop.call_soon_threadsafe(_settle, done, rows, None)

    def on_error(exc: BaseException) -> None:
        loop.call_soon_threadsafe(_settle, done, None, exc)

    future.add_callbacks(on_page, on_error)
    return await done


def _settle(done: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if done.done():
        return
    if error is not None:
        done.set_exception(error)
    else:
        done.set_result(result)


def connect(contact_points: str, keyspace: str | None = None) -> tuple[Cluster, Session]:
    """`contact_points` is `host[:port]` or a comma-separated list of them."""
    hosts, port = [], 9042
    for point in contact_points.split(","):
        host, _, maybe_port = point.strip().split("://", 1)[-1].partition(":")
        hosts.append(host)
        port = int(maybe_port) if maybe_port else port
    profile = ExecutionProfile(load_balancing_policy=RoundRobinPolicy())
    cluster = Cluster(hosts, port=port, protocol_version=5, execution_profiles={EXEC_PROFILE_DEFAULT: profile})
    return cluster, cluster.connect(keyspace)
