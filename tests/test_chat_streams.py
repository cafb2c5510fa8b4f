"""Channel streams under pressure: two chat processes appending at once, and a process
killed between persisting an event and publishing it. Real NATS, real stores."""

import asyncio

import pytest

from parley_chat.streams_cassandra import create_schema
from parley_contracts import chat, subjects
from parley_contracts.errors import ErrorCode
from parley_contracts.signals import InstanceAlive
from parley_runtime.errors import ParleyError
from parley_stack.processes import service, wait_all
from parley_testkit.fixtures import cassandra_settings
from parley_testkit.servers import FerretDB
from parley_testkit.waiting import until

OWNER = 1


@pytest.fixture(params=["sqlite", "cassandra"])
def store_settings(request, tmp_path):
    """Settings for chat processes sharing one store: SQLite, or MongoDB + Cassandra."""
    if request.param == "sqlite":
        return {"sqlite_path": str(tmp_path / "shared.sqlite3")}
    return {
        "stream_store": "cassandra",
        **cassandra_settings(request, create_schema),
        "directory_store": "mongo",
        "mongo_url": FerretDB(request.getfixturevalue("infra_settings")).url(),
        "mongo_database": request.getfixturevalue("mongo_db").name,
    }


async def new_channel(bus) -> int:
    workspace = await bus.request(subjects.CHAT_CREATE_WORKSPACE, chat.CreateWorkspace(actor_id=OWNER, name="Load"))
    command = chat.CreateChannel(actor_id=OWNER, workspace_id=workspace.id, name="busy")
    return (await bus.request(subjects.CHAT_CREATE_CHANNEL, command)).id


async def stored_events(bus, channel_id: int) -> list:
    batch = await bus.request(
        subjects.CHAT_EVENTS_SINCE, chat.GetEventsSince(actor_id=OWNER, channel_id=channel_id, after_seq=0, limit=1000)
    )
    return batch.events


async def published_count(bus, subject: str) -> int:
    info = await bus.js.stream_info("EVENTS", subjects_filter=subject)
    return sum((info.state.subjects or {}).values())


async def _published(bus, subject: str, count: int) -> bool:
    return await published_count(bus, subject) == count


async def until_both_heard(bus) -> None:
    """Until each copy has said it is alive once the other listened (both are ready, so
    both listen): then each knows the other, and the posts below are certain to see a
    hand-over, however soon they are all answered."""
    heard: set[str] = set()

    async def alive(signal: InstanceAlive, _) -> None:
        heard.add(signal.instance)

    await bus.listen(subjects.INSTANCE_ALIVE, alive, service="chat")

    async def both() -> bool:
        return len(heard) == 2

    await until(both, timeout_s=10)


async def test_two_processes_serving_one_channel_get_gap_free_seqs(nats_url, tmp_path, bus, store_settings):
    """Every post is sent twice at once with one clientMsgId. The copy that does not own
    the channel hands its posts to the owner (`parley_runtime.owners`); until they have
    heard of each other both append, and the store's conditions keep the seqs and keys
    right (the event-log conformance suite races two writers on every adapter)."""
    copies = [service("chat", nats_url, tmp_path, log_name=f"chat{i}", **store_settings).spawn() for i in range(2)]
    wait_all(*copies)
    try:
        await until_both_heard(bus)
        channel_id = await new_channel(bus)
        limit = asyncio.Semaphore(128)

        async def post(n: int) -> chat.MessageAccepted:
            async with limit:
                command = chat.PostMessage(
                    actor_id=OWNER, channel_id=channel_id, content=f"m{n}", client_msg_id=f"c{n}"
                )
                return await bus.request(subjects.CHAT_POST_MESSAGE, command, timeout_s=30)

        accepted = await asyncio.gather(*(post(n) for n in range(500) for _ in range(2)))
        # Each pair of replies carries one message, seqs 1..500 between them. Which reply says
        # `duplicate` is not asserted: a request late under load is resent, and its copy's
        # answer ("duplicate") may come first.
        assert sorted(a.message.seq for a in accepted[::2]) == list(range(1, 501))
        for first, second in zip(accepted[::2], accepted[1::2], strict=True):
            assert first.message == second.message  # the duplicate answers with the original
        events = await stored_events(bus, channel_id)
        assert [e.seq for e in events] == list(range(1, 501))
        assert sorted(e.message.client_msg_id for e in events) == sorted(f"c{n}" for n in range(500))
        await until(lambda: _published(bus, f"chat.evt.{channel_id}.>", 500), timeout_s=30)  # after the replies
        logs = [copy.logs() for copy in copies]
        assert any("handed_over" in log for log in logs)
        assert all("handler_failed" not in log for log in logs)
    finally:
        for copy in copies:
            copy.stop()


async def test_killed_between_persist_and_publish_is_published_once_after_restart(
    nats_url, tmp_path, bus, store_settings
):
    chat_proc = service("chat", nats_url, tmp_path, **store_settings).start()
    channel_id = await new_channel(bus)
    chat_proc.stop()

    doomed = service("chat", nats_url, tmp_path, failpoint="after_persist", **store_settings).start()
    command = chat.PostMessage(actor_id=OWNER, channel_id=channel_id, content="survives", client_msg_id="k-1")
    with pytest.raises(ParleyError) as lost:
        await bus.request(subjects.CHAT_POST_MESSAGE, command, timeout_s=3)
    assert lost.value.code is ErrorCode.UNAVAILABLE
    assert doomed.proc.wait(10) == -9  # SIGKILL: nothing ran after the persist
    subject = f"chat.evt.{channel_id}.message_posted"
    assert await published_count(bus, subject) == 0

    restarted = service("chat", nats_url, tmp_path, log_name="chat-restarted", **store_settings).start()
    try:
        await assert_restart_published_once(bus, command, channel_id, subject)
    finally:
        restarted.stop()


async def assert_restart_published_once(bus, command: chat.PostMessage, channel_id: int, subject: str) -> None:
    assert await published_count(bus, subject) == 1
    retried = await bus.request(subjects.CHAT_POST_MESSAGE, command)
    assert retried.duplicate and retried.message.content == "survives" and retried.message.seq == 1
    history = await bus.request(subjects.CHAT_HISTORY, chat.GetHistory(actor_id=OWNER, channel_id=channel_id))
    assert [m.content for m in history.messages] == ["survives"]
    assert await published_count(bus, subject) == 1
