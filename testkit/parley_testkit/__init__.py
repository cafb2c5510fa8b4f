"""Real servers for tests and development, and the pytest fixtures on them.

`parley-infra up|down|status|run` (or `python -m parley_testkit.infra`) installs and
starts NATS, Cassandra and FerretDB on loopback; `fixtures` is the pytest plugin.
"""
