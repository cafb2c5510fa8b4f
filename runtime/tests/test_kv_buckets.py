"""Opening a key-value bucket on a NATS cluster while other copies open it too: each copy,
connected to its own node, gets a bucket that answers, made once."""

import asyncio

import nats
from nats.js.api import KeyValueConfig

from parley_runtime.kv_buckets import open_bucket


async def test_copies_on_every_node_open_one_new_replicated_bucket_at_once(nats_cluster):
    clients = [await nats.connect(node.url) for node in nats_cluster.nodes for _ in range(2)]
    try:
        config = KeyValueConfig(bucket="throttle", ttl=60, history=1, replicas=3)
        buckets = await asyncio.gather(*(open_bucket(client.jetstream(), config) for client in clients))
        await buckets[0].put("k", b"v")
        for bucket in buckets:
            assert (await bucket.get("k")).value == b"v"
            assert (await bucket.status()).stream_info.config.num_replicas == 3
    finally:
        for client in clients:
            await client.close()
