"""Request counting sees one keyspace's requests only: another test's store, still
writing to its own keyspace on the shared session, is not counted."""

from cassandra.query import BatchStatement

from parley_testkit.cassandra_requests import requests


def test_only_the_keyspaces_requests_are_counted(cassandra_session, cassandra_keyspace):
    cassandra_session.execute(f"CREATE TABLE {cassandra_keyspace}.t (k int PRIMARY KEY)")
    insert = cassandra_session.prepare(f"INSERT INTO {cassandra_keyspace}.t (k) VALUES (?)")
    batch = BatchStatement()
    batch.add(insert, (1,))
    batch.add(insert, (2,))
    with requests(cassandra_session, cassandra_keyspace) as counted:
        cassandra_session.execute(batch)
        cassandra_session.execute(insert, (3,))
        cassandra_session.execute(f"SELECT k FROM {cassandra_keyspace}.t")
        cassandra_session.execute("SELECT release_version FROM system.local")  # elsewhere
    assert counted == {"batch": 1, "statement": 2}
