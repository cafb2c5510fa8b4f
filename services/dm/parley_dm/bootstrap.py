"""Wires the DM service: the store adapter, the handlers on their subjects, the relay
that publishes each event to both participants, and the republisher."""

from typing import Any

from parley_contracts import dm, subjects
from parley_runtime.bus import Bus, EventMessage, encode
from parley_runtime.lifecycle import Started
from parley_runtime.outbox_relay import OutboxRelay, Routes, serve_event_sourced
from parley_runtime.users import user_lookup
from parley_storage.cassandra import open_session
from parley_storage.id_blocks import IdBlocks
from parley_storage.leases import lease_terms_of

from . import handlers
from .handlers import Ports
from .settings import DmSettings, StoreKind
from .store import DmStore
from .store_cassandra import CassandraDmStore, create_schema
from .store_sqlite import SqliteDmStore

ROUTES: Routes = [
    (subjects.DM_SEND, handlers.send),
    (subjects.DM_MARK_READ, handlers.mark_read),
    (subjects.DM_EDIT_MESSAGE, handlers.edit_message),
    (subjects.DM_DELETE_MESSAGE, handlers.delete_message),
    (subjects.DM_HISTORY, handlers.history),
    (subjects.DM_AUTHORIZE, handlers.authorize),
    (subjects.DM_EVENTS_SINCE, handlers.events_since),
    (subjects.DM_FEED_EVENTS, handlers.feed_events_since),
    (subjects.DM_INBOX, handlers.inbox),
    (subjects.DM_BLOCK, handlers.block),
    (subjects.DM_UNBLOCK, handlers.unblock),
]
TOPICS: dict[str, subjects.Topic[Any]] = {
    "direct_message_sent": subjects.DM_MESSAGE_SENT,
    "direct_message_read": subjects.DM_MESSAGE_READ,
    "direct_message_edited": subjects.DM_MESSAGE_EDITED,
    "direct_message_deleted": subjects.DM_MESSAGE_DELETED,
}


async def open_store(settings: DmSettings) -> DmStore:
    if settings.store is StoreKind.CASSANDRA:
        session = await open_session(settings, create_schema)
        return CassandraDmStore(session, settings.cassandra_keyspace, lease_terms_of(settings))
    return await SqliteDmStore.open(settings.sqlite_path)


def relay(bus: Bus, store: DmStore) -> OutboxRelay[dm.ConversationEvent]:
    """Each event goes to both participants' subjects; it is published once both took it."""

    async def publish(events: list[dm.ConversationEvent]) -> list[BaseException | None]:
        messages = []
        for event in events:
            payload = store.stored_json(event) or encode(event)
            for user_id in dm.participants(event.conversation_id):
                msg_id = f"dm:{event.conversation_id}:{event.seq}:{user_id}"
                messages.append(EventMessage(TOPICS[event.type].subject(user_id=user_id), payload, msg_id))
        failures = await bus.publish_events(messages)
        return [first or second for first, second in zip(failures[0::2], failures[1::2], strict=True)]

    return OutboxRelay(store, publish, stream_of=lambda event: event.conversation_id)


async def start(bus: Bus, settings: DmSettings) -> Started:
    store = await open_store(settings)

    ports = Ports(store, IdBlocks(store.reserve_ids), user_lookup(bus))
    republisher = await serve_event_sourced(bus, settings, ROUTES, ports, relay(bus, store))

    async def close() -> None:
        republisher.cancel()
        await store.close()

    return Started(checks={"store": store.ping}, close=close)
