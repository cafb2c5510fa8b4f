"""Wires the auth service: picks the store adapter, binds handlers to their subjects."""

import time
from collections.abc import Awaitable, Callable

from parley_contracts import subjects
from parley_runtime.bus import Bus
from parley_runtime.lifecycle import Started
from parley_storage.mongo import client_with

from . import handlers
from .handlers import Ports
from .passwords import Passwords
from .settings import AuthSettings, StoreKind
from .store import AuthStore
from .store_mongo import MongoAuthStore
from .store_sqlite import SqliteAuthStore
from .throttle import LoginThrottle


async def open_store(settings: AuthSettings) -> AuthStore:
    if settings.store is StoreKind.MONGO:
        client = client_with(settings)
        return await MongoAuthStore.open(client[settings.mongo_database])
    return await SqliteAuthStore.open(settings.sqlite_path)


def build_ports(store: AuthStore, throttle: LoginThrottle, settings: AuthSettings) -> Ports:
    passwords = Passwords(settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism)
    return Ports(store, passwords, throttle, settings)


def bind(handler: Callable, ports: Ports) -> Callable[[object], Awaitable]:
    async def handle(command):
        return await handler(command, ports)

    return handle


async def start(bus: Bus, settings: AuthSettings) -> Started:
    store = await open_store(settings)
    throttle = await LoginThrottle.open(
        bus.js, settings.throttle_bucket, settings.login_window_s, time.time, settings.nats_replicas
    )
    ports = build_ports(store, throttle, settings)

    async def log_out(command):
        reply, events = await handlers.log_out(command, ports)
        for event in events:
            await bus.publish(subjects.AUTH_SESSION_ENDED, event)
        return reply

    await bus.serve(subjects.AUTH_REGISTER, bind(handlers.register, ports))
    await bus.serve(subjects.AUTH_LOGIN, bind(handlers.log_in, ports))
    await bus.serve(subjects.AUTH_LOGOUT, log_out)
    await bus.serve(subjects.AUTH_VALIDATE_SESSION, bind(handlers.validate_session, ports))
    await bus.serve(subjects.AUTH_GET_USERS, bind(handlers.get_users, ports))
    await bus.serve(subjects.AUTH_FIND_USER, bind(handlers.find_user, ports))
    await bus.serve(subjects.AUTH_FIND_USERS, bind(handlers.find_users, ports))
    return Started(checks={"store": store.ping}, close=store.close)
