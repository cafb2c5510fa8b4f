"""Wires the auth service: picks the store adapter, binds each handler to its subject."""

import time
from collections.abc import Awaitable, Callable

from parley_contracts import auth, subjects
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

ROUTES: list[tuple[subjects.Command, Callable]] = [
    (subjects.AUTH_REGISTER, handlers.register),
    (subjects.AUTH_LOGIN, handlers.log_in),
    (subjects.AUTH_LOGOUT, handlers.log_out),
    (subjects.AUTH_VALIDATE_SESSION, handlers.validate_session),
    (subjects.AUTH_GET_USERS, handlers.get_users),
    (subjects.AUTH_FIND_USER, handlers.find_user),
    (subjects.AUTH_FIND_USERS, handlers.find_users),
]


async def open_store(settings: AuthSettings) -> AuthStore:
    if settings.store is StoreKind.MONGO:
        client = client_with(settings)
        return await MongoAuthStore.open(client[settings.mongo_database])
    return await SqliteAuthStore.open(settings.sqlite_path)


def bind(handler: Callable, ports: Ports) -> Callable[[object], Awaitable]:
    async def handle(command):
        return await handler(command, ports)

    return handle


async def start(bus: Bus, settings: AuthSettings) -> Started:
    store = await open_store(settings)
    throttle = await LoginThrottle.open(
        bus.js, settings.throttle_bucket, settings.login_window_s, time.time, settings.nats_replicas
    )
    passwords = Passwords(settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism)

    async def session_ended(signal: auth.SessionEnded) -> None:
        await bus.publish(subjects.AUTH_SESSION_ENDED, signal)

    ports = Ports(store, passwords, throttle, settings, session_ended)
    for command, handler in ROUTES:
        await bus.serve(command, bind(handler, ports))
    return Started(checks={"store": store.ping}, close=store.close)
