"""JetStream key-value buckets, opened the same way by every service: made when missing,
and waited for until the cluster answers for them.

In a NATS cluster a bucket another copy made a moment ago may not be known yet to the node
this one asks, and a new bucket's stream answers only once its replicas have a leader: for
those few seconds JetStream says "not found" or "unavailable", or is too busy placing the
stream to answer in time. Copies starting together meet exactly that, so the open is
tried again for `READY_WITHIN_S`.
"""

import asyncio

from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.errors import BucketNotFoundError, NotFoundError, ServiceUnavailableError
from nats.js.kv import KeyValue

READY_WITHIN_S = 20.0
RETRY_EVERY_S = 0.2


async def open_bucket(js: JetStreamContext, config: KeyValueConfig) -> KeyValue:
    """The bucket `config` names, made with `config` if it does not exist."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_WITHIN_S
    while True:
        try:
            try:
                kv = await js.key_value(config.bucket)
            except BucketNotFoundError:
                kv = await js.create_key_value(config)
            await kv.status()
            return kv
        except (NotFoundError, ServiceUnavailableError, NoRespondersError, NatsTimeout):
            if loop.time() >= deadline:
                raise
            await asyncio.sleep(RETRY_EVERY_S)
