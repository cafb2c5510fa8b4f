"""Store credentials and TLS reach the drivers from a service's settings, apart from the
URL, so that a password may hold any character."""

from parley_runtime.settings import CassandraFields, MongoFields
from parley_storage.cassandra import cluster_with, connect_with
from parley_storage.mongo import client_with
from parley_testkit.servers import Cassandra

PASSWORD = "a/b#c?d@e:f 123"


def test_mongo_credentials_and_tls_go_to_the_client_apart_from_the_url():
    settings = MongoFields(
        mongo_url="mongodb://mongo:27017/", mongo_user="parley", mongo_password=PASSWORD, mongo_tls=True
    )
    client = client_with(settings)  # connects lazily: nothing is reached here
    options = client.delegate.options.pool_options
    assert (options._credentials.username, options._credentials.password) == ("parley", PASSWORD)
    assert options._credentials.source == "admin"
    assert options._ssl_context is not None
    client.close()
    anonymous = client_with(MongoFields())
    assert anonymous.delegate.options.pool_options._credentials is None
    assert anonymous.delegate.options.pool_options._ssl_context is None
    anonymous.close()


def test_cassandra_credentials_and_tls_go_to_the_cluster(infra_settings):
    secured = cluster_with(CassandraFields(cassandra_user="parley", cassandra_password=PASSWORD, cassandra_tls=True))
    assert (secured.auth_provider.username, secured.auth_provider.password) == ("parley", PASSWORD)
    assert secured.ssl_context is not None
    # The test server has no authenticator: credentials are offered, not asked for.
    settings = CassandraFields(
        cassandra_hosts=Cassandra(infra_settings).url(), cassandra_user="parley", cassandra_password=PASSWORD
    )
    cluster, session = connect_with(settings)
    try:
        assert session.execute("SELECT release_version FROM system.local").one()
    finally:
        cluster.shutdown()
