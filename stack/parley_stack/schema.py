"""`python -m parley_stack.schema`: the one-off schema step of a production deploy.
Creates the Cassandra keyspaces and tables and the MongoDB indexes every service
expects, then exits; compose runs it before the services start.

Settings come from the services' own env vars (`PARLEY_CHAT_*`, `PARLEY_DM_*`,
`PARLEY_AUTH_*`), plus `PARLEY_SCHEMA_REPLICATION` for new keyspaces.
"""

import asyncio

from pydantic_settings import BaseSettings, SettingsConfigDict

from parley_auth.settings import AuthSettings
from parley_auth.store_mongo import MongoAuthStore
from parley_chat.directory_mongo import MongoDirectory
from parley_chat.settings import ChatSettings
from parley_chat.streams_cassandra import create_schema as create_chat_tables
from parley_dm.settings import DmSettings
from parley_dm.store_cassandra import create_schema as create_dm_tables
from parley_storage.cassandra import SCHEMA_TIMEOUT_S, connect_with
from parley_storage.mongo import client_with


class SchemaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEY_SCHEMA_", extra="ignore", frozen=True)

    replication: str = "{'class': 'SimpleStrategy', 'replication_factor': 1}"
    """CQL replication of keyspaces created here; production clusters want NetworkTopologyStrategy."""


def create_keyspaces_and_tables(chat: ChatSettings, dm: DmSettings, replication: str) -> None:
    cluster, session = connect_with(chat)
    try:
        for keyspace, create_tables in ((chat.cassandra_keyspace, create_chat_tables),
                                        (dm.cassandra_keyspace, create_dm_tables)):  # fmt: skip
            session.execute(
                f"CREATE KEYSPACE IF NOT EXISTS {keyspace} WITH replication = {replication}", timeout=SCHEMA_TIMEOUT_S
            )
            create_tables(session, keyspace)
    finally:
        cluster.shutdown()


async def create_indexes(auth: AuthSettings, chat: ChatSettings) -> None:
    for settings, database, open_store in ((auth, auth.mongo_database, MongoAuthStore.open),
                                           (chat, chat.mongo_database, MongoDirectory.open)):  # fmt: skip
        client = client_with(settings, timeout_ms=60_000)  # the store may still be starting
        try:
            await open_store(client[database])
        finally:
            client.close()


def main() -> None:
    chat, dm, auth = ChatSettings(), DmSettings(), AuthSettings()
    create_keyspaces_and_tables(chat, dm, SchemaSettings().replication)
    asyncio.run(create_indexes(auth, chat))
    print("parley: schema ready", flush=True)


if __name__ == "__main__":
    main()
