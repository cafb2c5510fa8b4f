"""One module per managed server; `ALL` lists them in start order."""

from ..config import InfraSettings
from .base import ManagedServer
from .cassandra import Cassandra
from .ferretdb import FerretDB
from .nats import Nats


def all_servers(settings: InfraSettings) -> dict[str, ManagedServer]:
    nats = [Nats(settings, node) for node in range(settings.nats_nodes)]
    return {s.name: s for s in (*nats, Cassandra(settings), FerretDB(settings))}
