"""Conversation streams under pressure: two dm processes appending to one conversation at
once, on SQLite and on Cassandra. Real NATS, real stores, a real auth service."""

import asyncio

import pytest

from parley_contracts import auth, dm, subjects
from parley_dm.store_cassandra import create_schema
from parley_stack.processes import service, wait_all
from parley_testkit.fixtures import cassandra_settings


@pytest.fixture(params=["sqlite", "cassandra"])
def store_settings(request, tmp_path):
    if request.param == "sqlite":
        return {"sqlite_path": str(tmp_path / "shared-dm.sqlite3")}
    return {"store": "cassandra", **cassandra_settings(request, create_schema)}


async def test_two_processes_sending_at_once_get_gap_free_seqs(nats_url, tmp_path, bus, auth_process, store_settings):
    """Every DM is sent twice at once with one clientMsgId: the two copies race on the key too."""
    copies = [service("dm", nats_url, tmp_path, log_name=f"dm{i}", **store_settings).spawn() for i in range(2)]
    wait_all(auth_process, *copies)
    try:
        ann, bob = [
            await bus.request(subjects.AUTH_REGISTER, auth.RegisterUser(username=name, password="pw-123456", name=name))
            for name in ("ann", "bob")
        ]
        limit = asyncio.Semaphore(128)

        async def send(n: int) -> dm.DirectMessageAccepted:
            async with limit:
                command = dm.SendDirectMessage(
                    actor_id=ann.id, recipient_id=bob.id, content=f"m{n}", client_msg_id=f"c{n}"
                )
                return await bus.request(subjects.DM_SEND, command, timeout_s=30)

        accepted = await asyncio.gather(*(send(n) for n in range(300) for _ in range(2)))
        # Each pair of replies carries one message, seqs 1..300 between them. Which reply says
        # `duplicate` is not asserted: a request late under load is resent, and its copy's
        # answer ("duplicate") may come first.
        assert sorted(a.message.seq for a in accepted[::2]) == list(range(1, 301))
        for first, second in zip(accepted[::2], accepted[1::2], strict=True):
            assert first.message == second.message
        conversation = accepted[0].message.conversation_id
        batch = await bus.request(
            subjects.DM_EVENTS_SINCE,
            dm.GetDirectEventsSince(actor_id=ann.id, conversation_id=conversation, after_seq=0, limit=1000),
        )
        assert [e.seq for e in batch.events] == list(range(1, 301))
        assert sorted(e.message.client_msg_id for e in batch.events) == sorted(f"c{n}" for n in range(300))
        history = await bus.request(
            subjects.DM_HISTORY, dm.GetDirectHistory(actor_id=bob.id, conversation_id=conversation, limit=100)
        )
        assert [m.seq for m in history.messages] == list(range(201, 301))  # the projection has every message
        for copy in copies:  # both copies really appended
            assert "dm.cmd.send" in copy.logs() and "handler_failed" not in copy.logs()
    finally:
        for copy in copies:
            copy.stop()
