"""Wires the chat service: picks the adapters, binds each handler to its subject, and
runs the republisher."""

from collections.abc import Callable

from parley_contracts import subjects
from parley_runtime.bus import Bus
from parley_runtime.lifecycle import Started
from parley_runtime.outbox_relay import serve_event_sourced
from parley_runtime.users import user_id_of, user_lookup
from parley_storage.cassandra import open_session
from parley_storage.id_blocks import IdBlocks
from parley_storage.leases import lease_terms_of
from parley_storage.mongo import client_with
from parley_storage.sqlite import Database

from . import directory_sqlite, handlers, message_changes, streams_sqlite, threads, unread
from .directory import Directory
from .directory_mongo import MongoDirectory
from .directory_sqlite import SqliteDirectory
from .handlers import Ports
from .publishing import relay
from .settings import ChatSettings, DirectoryKind, StreamKind
from .streams import Streams
from .streams_cassandra import CassandraStreams, create_schema
from .streams_sqlite import SqliteStreams

ROUTES: list[tuple[subjects.Command, Callable]] = [
    (subjects.CHAT_CREATE_WORKSPACE, handlers.create_workspace),
    (subjects.CHAT_GET_WORKSPACE, handlers.get_workspace),
    (subjects.CHAT_LIST_WORKSPACES, handlers.list_workspaces),
    (subjects.CHAT_ADD_MEMBER, handlers.add_member),
    (subjects.CHAT_REMOVE_MEMBER, handlers.remove_member),
    (subjects.CHAT_SET_ASSISTANT, handlers.set_assistant_enabled),
    (subjects.CHAT_CREATE_CHANNEL, handlers.create_channel),
    (subjects.CHAT_LIST_CHANNELS, handlers.list_channels),
    (subjects.CHAT_OPEN_DIRECT_CHANNEL, handlers.open_direct_channel),
    (subjects.CHAT_LIST_DIRECT_CHANNELS, handlers.list_direct_channels),
    (subjects.CHAT_AUTHORIZE_JOIN, handlers.authorize_join),
    (subjects.CHAT_POST_MESSAGE, handlers.post_message),
    (subjects.CHAT_EDIT_MESSAGE, message_changes.edit_message),
    (subjects.CHAT_DELETE_MESSAGE, message_changes.delete_message),
    (subjects.CHAT_ADD_REACTION, message_changes.add_reaction),
    (subjects.CHAT_REMOVE_REACTION, message_changes.remove_reaction),
    (subjects.CHAT_PIN_MESSAGE, message_changes.pin_message),
    (subjects.CHAT_UNPIN_MESSAGE, message_changes.unpin_message),
    (subjects.CHAT_PINNED, message_changes.pinned),
    (subjects.CHAT_MARK_DELIVERED, message_changes.mark_delivered),
    (subjects.CHAT_MARK_READ, unread.mark_read),
    (subjects.CHAT_UNREAD, unread.channel_unread),
    (subjects.CHAT_UNREAD_ALL, unread.all_unread),
    (subjects.CHAT_HISTORY, handlers.history),
    (subjects.CHAT_THREAD, threads.thread),
    (subjects.CHAT_EVENTS_SINCE, handlers.events_since),
    (subjects.CHAT_FEED_EVENTS, handlers.feed_events_since),
]


async def open_directory(settings: ChatSettings) -> Directory:
    if settings.directory_store is DirectoryKind.MONGO:
        client = client_with(settings)
        return await MongoDirectory.open(client[settings.mongo_database])
    return await SqliteDirectory.open(settings.sqlite_path)


async def open_streams(settings: ChatSettings) -> Streams:
    if settings.stream_store is StreamKind.CASSANDRA:
        session = await open_session(settings, create_schema)
        return CassandraStreams(session, settings.cassandra_keyspace, lease_terms_of(settings))
    return await SqliteStreams.open(settings.sqlite_path)


async def open_stores(settings: ChatSettings) -> tuple[Directory, Streams]:
    """Both on SQLite, the directory and the streams share one database, so the id block
    a post's id comes from is reserved in the commit of posts appended beside it."""
    if settings.directory_store is DirectoryKind.SQLITE and settings.stream_store is StreamKind.SQLITE:
        db = await Database.open(settings.sqlite_path, directory_sqlite.SCHEMA + streams_sqlite.SCHEMA)
        return SqliteDirectory(db), SqliteStreams(db)
    return await open_directory(settings), await open_streams(settings)


async def start(bus: Bus, settings: ChatSettings) -> Started:
    directory, streams = await open_stores(settings)
    ports = Ports(
        directory,
        streams,
        IdBlocks(directory.reserve_ids),
        user_lookup(bus),
        user_id_of(bus, settings.assistant_username),
    )
    republisher = await serve_event_sourced(bus, settings, ROUTES, ports, relay(bus, streams))

    async def close() -> None:
        republisher.cancel()
        await streams.close()
        await directory.close()

    return Started(checks={"directory": directory.ping, "streams": streams.ping}, close=close)
