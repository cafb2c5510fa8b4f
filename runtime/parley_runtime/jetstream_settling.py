"""JetStream's set-up calls, tried again while a cluster settles.

In a NATS cluster a stream or bucket another copy made a moment ago may not be known yet
to the node this one asks, a new stream answers only once its replicas have a leader,
and until the nodes have elected a meta leader nothing is answered at all: for those
few seconds JetStream says "not found" or "unavailable", or is too busy to answer in
time. Copies starting together with their cluster meet exactly that, so a service's
start-up calls are tried again for `READY_WITHIN_S` before the service gives up.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.errors import NotFoundError, ServiceUnavailableError

READY_WITHIN_S = 20.0
RETRY_EVERY_S = 0.2

T = TypeVar("T")


async def once_settled(attempt: Callable[[], Awaitable[T]]) -> T:
    """What `attempt` returns once JetStream answers it, trying for `READY_WITHIN_S`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_WITHIN_S
    while True:
        try:
            return await attempt()
        except (NotFoundError, ServiceUnavailableError, NoRespondersError, NatsTimeout):
            if loop.time() >= deadline:
                raise
            await asyncio.sleep(RETRY_EVERY_S)
