"""Id blocks from the MongoDB-wire server never overlap, even claimed all at once."""

import asyncio

from parley_storage.mongo import advance_counter, ensure_counter_index


async def test_concurrent_blocks_are_disjoint_and_contiguous(mongo_db):
    await ensure_counter_index(mongo_db["blocks"])
    lasts = await asyncio.gather(*(advance_counter(mongo_db["blocks"], "ids", 10) for _ in range(20)))
    assert sorted(lasts) == list(range(10, 201, 10))
    assert await advance_counter(mongo_db["blocks"], "other") == 1
