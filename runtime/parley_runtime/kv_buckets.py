"""JetStream key-value buckets, opened the same way by every service: made when missing,
and waited for until the cluster answers for them (`jetstream_settling`)."""

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.errors import BucketNotFoundError
from nats.js.kv import KeyValue

from .jetstream_settling import once_settled


async def open_bucket(js: JetStreamContext, config: KeyValueConfig) -> KeyValue:
    """The bucket `config` names, made with `config` if it does not exist."""

    async def attempt() -> KeyValue:
        try:
            kv = await js.key_value(config.bucket)
        except BucketNotFoundError:
            kv = await js.create_key_value(config)
        await kv.status()
        return kv

    return await once_settled(attempt)
