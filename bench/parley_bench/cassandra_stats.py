"""What Cassandra itself did during a run, read from its `thread_pools` virtual table
over CQL (the figures `nodetool tpstats` prints, without needing JMX): how many
requests, writes and reads the appends cost it, and whether any of its pools blocked."""

from parley_storage.cassandra import connect

POOLS = {"Native-Transport-Requests": "requests", "MutationStage": "writes", "ReadStage": "reads"}


class CassandraStats:
    """Tasks each pool completed between construction and `figures`."""

    def __init__(self, hosts: str):
        self._cluster, self._session = connect(hosts)
        self._before = self._pools()

    def _pools(self) -> dict[str, tuple[int, int]]:
        rows = self._session.execute(
            "SELECT name, completed_tasks, blocked_tasks_all_time FROM system_views.thread_pools"
        )
        return {POOLS[row.name]: (row.completed_tasks, row.blocked_tasks_all_time) for row in rows if row.name in POOLS}

    def figures(self) -> dict[str, int]:
        after = self._pools()
        self._cluster.shutdown()
        # A pool that did nothing yet is not listed before the run.
        before = {name: self._before.get(name, (0, 0)) for name in after}
        found = {name: after[name][0] - before[name][0] for name in after}
        found["blocked"] = sum(after[name][1] - before[name][1] for name in after)
        return found
