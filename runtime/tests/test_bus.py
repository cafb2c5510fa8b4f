"""The contract bus over a real NATS server."""

import asyncio
import json
import signal
from datetime import UTC, datetime

import pytest
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import StreamConfig
from nats.js.errors import APIError, NoStreamResponseError

from parley_contracts import auth, subjects
from parley_contracts.errors import ErrorCode
from parley_contracts.replies import Empty
from parley_runtime.bus import Bus, EventMessage, encode
from parley_runtime.errors import ParleyError
from parley_testkit.nats_server import EphemeralNats
from parley_testkit.waiting import until

FIND = subjects.AUTH_FIND_USER
USER = {"id": 7, "username": "ada", "name": "Ada", "createdAt": "2026-11-25T10:00:00Z"}
REGISTER = auth.RegisterUser(username="grace", password="correct horse battery", name="Grace")


async def test_request_reaches_a_responder_and_decodes_the_reply(bus: Bus):
    async def find(request: auth.FindUser) -> auth.User:
        return auth.User.model_validate({**USER, "username": request.username}, strict=False)

    await bus.serve(FIND, find)
    user = await bus.request(FIND, auth.FindUser(username="grace"))
    assert isinstance(user, auth.User)
    assert (user.id, user.username) == (7, "grace")


async def test_invalid_payload_becomes_a_bad_request_reply_naming_the_field(bus: Bus):
    async def find(request):  # never reached
        raise AssertionError

    await bus.serve(FIND, find)
    reply = await bus.nc.request(FIND.subject, b'{"username": 5}', timeout=2)
    assert b'"ok":false' in reply.data
    assert b'"code":"bad_request"' in reply.data
    assert b"username" in reply.data


async def test_a_reply_enveloped_otherwise_than_a_responders_splice_is_decoded_too(bus: Bus):
    """A responder splices its result in after `{"ok":true,"data":` and a requester takes it
    out again; any other form of the envelope is read whole."""
    user = json.dumps(USER).encode()
    replies = [b'{"data": ' + user + b', "ok": true}', b'{ "ok": true, "data": ' + user + b" }"]

    async def answer(msg) -> None:
        await msg.respond(replies.pop(0))

    await bus.nc.subscribe(FIND.subject, cb=answer)
    for _ in range(2):
        found = await bus.request(FIND, auth.FindUser(username="ada"))
        assert (found.id, found.created_at) == (7, datetime(2026, 11, 25, 10, tzinfo=UTC))


async def test_refusal_and_crash_are_replies_and_the_responder_keeps_serving(bus: Bus):
    calls = 0

    async def find(request: auth.FindUser) -> auth.User:
        nonlocal calls
        calls += 1
        if request.username == "nobody":
            raise ParleyError(ErrorCode.NOT_FOUND, "no such user")
        if request.username == "boom":
            raise RuntimeError("bug")
        return auth.User.model_validate(USER, strict=False)

    await bus.serve(FIND, find)
    with pytest.raises(ParleyError) as refused:
        await bus.request(FIND, auth.FindUser(username="nobody"))
    assert refused.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(ParleyError) as crashed:
        await bus.request(FIND, auth.FindUser(username="boom"))
    assert crashed.value.code is ErrorCode.INTERNAL
    assert (await bus.request(FIND, auth.FindUser(username="ada"))).id == 7
    assert calls == 3


async def test_no_responder_is_unavailable(bus: Bus):
    with pytest.raises(ParleyError) as caught:
        await bus.request(subjects.AUTH_LOGOUT, auth.LogOut(session_token="x" * 32), timeout_s=1)
    assert caught.value.code is ErrorCode.UNAVAILABLE


async def test_a_request_while_nats_is_away_and_its_buffer_full_is_unavailable(tmp_path):
    server = EphemeralNats(tmp_path / "store").start()
    client = await Bus.connect(server.url, "client", pending_size=64)

    async def reconnecting() -> bool:
        return client.nc.is_reconnecting

    async def connected() -> bool:
        return client.nc.is_connected

    server.stop()
    await until(reconnecting, timeout_s=10)
    with pytest.raises(ParleyError) as caught:
        await client.request(FIND, auth.FindUser(username="x" * 64))
    assert caught.value.code is ErrorCode.UNAVAILABLE
    back = EphemeralNats(tmp_path / "store", server.port).start()
    await until(connected, timeout_s=10)
    await client.nc.close()
    back.stop()


async def find_any(request: auth.FindUser | auth.RegisterUser) -> auth.User:
    return auth.User.model_validate({**USER, "username": request.username}, strict=False)


async def test_a_request_waits_for_a_responder_that_starts_late(bus: Bus):
    asking = asyncio.create_task(bus.request(subjects.AUTH_REGISTER, REGISTER, timeout_s=10))
    done, _ = await asyncio.wait({asking}, timeout=0.3)
    assert not done  # NATS said "no responders" at once, and the bus asks again
    await bus.serve(subjects.AUTH_REGISTER, find_any)
    assert (await asking).username == "grace"


@pytest.mark.parametrize(
    ("command", "payload", "repeatable"),
    [(FIND, auth.FindUser(username="grace"), True), (subjects.AUTH_REGISTER, REGISTER, False)],
    ids=["idempotent", "not_idempotent"],
)
async def test_only_a_repeatable_request_is_sent_again_after_its_responder_died_holding_it(
    nats_url, bus: Bus, command, payload, repeatable
):
    doomed = await Bus.connect(nats_url, "doomed")
    holding = asyncio.Event()

    async def hold(_request) -> auth.User:
        holding.set()
        await asyncio.Event().wait()

    await doomed.serve(command, hold)
    asking = asyncio.create_task(bus.request(command, payload, timeout_s=3))
    await asyncio.wait_for(holding.wait(), 5)
    await doomed.nc.close()  # dies holding the request; a new responder takes over
    seen = []

    async def restarted(request) -> auth.User:
        seen.append(request)
        return await find_any(request)

    await bus.serve(command, restarted)
    if repeatable:
        assert (await asking).username == "grace"
        assert seen == [payload]
    else:
        with pytest.raises(ParleyError) as caught:
            await asking
        assert caught.value.code is ErrorCode.UNAVAILABLE
        assert seen == []  # never handled twice


async def test_queue_group_delivers_each_request_to_one_copy(nats_url):
    copies = [await Bus.connect(nats_url, f"copy{i}") for i in range(2)]
    client = await Bus.connect(nats_url, "client")
    handled = {0: 0, 1: 0}

    def handler_for(index):
        async def logout(_request: auth.LogOut) -> Empty:
            handled[index] += 1
            return Empty()

        return logout

    for index, copy in enumerate(copies):
        await copy.serve(subjects.AUTH_LOGOUT, handler_for(index))
    for _ in range(40):
        await client.request(subjects.AUTH_LOGOUT, auth.LogOut(session_token="t" * 32))
    assert sum(handled.values()) == 40
    assert handled[0] > 0 and handled[1] > 0
    for b in (*copies, client):
        await b.nc.close()


async def test_events_published_together_are_stored_once_each_by_msg_id(bus: Bus):
    await bus.ensure_events_stream("EVENTS")
    payload = encode(auth.SessionEnded(session_key="k", user_id=1))
    # Any captured subject will do; the payload on it does not matter to JetStream.
    messages = [EventMessage(f"chat.evt.{n % 3}.probe", payload, f"chat:{n % 3}:{n}") for n in range(50)]
    assert await bus.publish_events(messages) == [None] * 50
    assert await bus.publish_events(messages[:5]) == [None] * 5  # again: JetStream already has them
    info = await bus.js.stream_info("EVENTS")
    assert info.state.messages == 50


async def test_an_event_jetstream_does_not_take_is_reported_and_the_others_are_stored(bus: Bus):
    await bus.ensure_events_stream("EVENTS")
    payload = encode(auth.SessionEnded(session_key="k", user_id=1))
    stored, nowhere = EventMessage("chat.evt.1.probe", payload, "chat:1:1"), EventMessage("nowhere", payload, "x")
    failures = await bus.publish_events([stored, nowhere, stored._replace(msg_id="chat:1:2")])
    assert failures[0] is None and failures[2] is None
    assert isinstance(failures[1], NoStreamResponseError)
    assert (await bus.js.stream_info("EVENTS")).state.messages == 2


async def test_an_event_the_stream_refuses_is_reported_with_its_reason(bus: Bus):
    await bus.js.add_stream(StreamConfig(name="SMALL", subjects=["small.>"], max_msg_size=64))
    fits, too_big = EventMessage("small.1", b"{}", "s:1"), EventMessage("small.2", b"x" * 100, "s:2")
    failures = await bus.publish_events([fits, too_big])
    assert failures[0] is None
    assert isinstance(failures[1], APIError) and failures[1].code == 400 and "size" in str(failures[1].description)
    assert (await bus.js.stream_info("SMALL")).state.messages == 1


async def test_the_events_stream_is_bounded_and_follows_its_settings(bus: Bus):
    await bus.ensure_events_stream("EVENTS")
    config = (await bus.js.stream_info("EVENTS")).config
    assert (config.max_age, config.max_bytes) == (7 * 24 * 3600, 1024**3)  # never unbounded by default
    await bus.ensure_events_stream("EVENTS", duplicate_window_s=60, max_age_s=3600, max_bytes=10_000_000)
    config = (await bus.js.stream_info("EVENTS")).config
    assert (config.duplicate_window, config.max_age, config.max_bytes) == (60, 3600, 10_000_000)


async def test_subscribe_decodes_and_skips_undecodable_messages(bus: Bus):
    received: asyncio.Queue = asyncio.Queue()

    async def on_ended(event: auth.SessionEnded, _msg) -> None:
        await received.put(event)

    await bus.subscribe(subjects.AUTH_SESSION_ENDED.subject(), auth.SessionEnded, on_ended)
    await bus.nc.publish(subjects.AUTH_SESSION_ENDED.subject(), b"not json")
    await bus.publish(subjects.AUTH_SESSION_ENDED, auth.SessionEnded(session_key="k", user_id=3))
    event = await asyncio.wait_for(received.get(), 5)
    assert event.user_id == 3
    assert received.empty()


async def test_requests_are_served_concurrently_up_to_the_limit(nats_url):
    """Ten requests are inside the handler at once, and never more than the limit."""
    server = await Bus.connect(nats_url, "server", concurrency=10)
    client = await Bus.connect(nats_url, "client")
    inside, most = 0, 0
    all_in = asyncio.Event()

    async def logout(_request: auth.LogOut) -> Empty:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        if inside == 10:
            all_in.set()
        await asyncio.wait_for(all_in.wait(), 5)  # served one at a time, this would time out
        inside -= 1
        return Empty()

    await server.serve(subjects.AUTH_LOGOUT, logout)
    replies = await asyncio.gather(
        *(client.request(subjects.AUTH_LOGOUT, auth.LogOut(session_token="t" * 32)) for _ in range(30))
    )
    assert len(replies) == 30 and most == 10
    for b in (server, client):
        await b.nc.close()


async def test_drain_answers_the_requests_under_way(nats_url):
    server = await Bus.connect(nats_url, "server")
    client = await Bus.connect(nats_url, "client")
    entered, release = asyncio.Event(), asyncio.Event()

    async def logout(_request: auth.LogOut) -> Empty:
        entered.set()
        await release.wait()
        return Empty()

    await server.serve(subjects.AUTH_LOGOUT, logout)
    pending = asyncio.create_task(client.request(subjects.AUTH_LOGOUT, auth.LogOut(session_token="t" * 32)))
    await asyncio.wait_for(entered.wait(), 5)
    draining = asyncio.create_task(server.drain())
    with pytest.raises(ParleyError):  # the draining copy takes nothing new
        await client.request(subjects.AUTH_LOGOUT, auth.LogOut(session_token="u" * 32), timeout_s=1)
    assert not draining.done()  # it waits for the request under way
    release.set()
    assert await asyncio.wait_for(pending, 5) == Empty()
    await asyncio.wait_for(draining, 5)
    assert server.nc.is_closed
    await client.nc.close()


async def test_on_a_cluster_requests_and_replicated_events_outlive_a_node(nats_cluster):
    """Three nodes, EVENTS replicated three times; the node the responder and (maybe) the
    client use is killed, and both carry on through the other two."""

    async def find(request: auth.FindUser) -> auth.User:
        return auth.User.model_validate({**USER, "username": request.username}, strict=False)

    responder = await Bus.connect(nats_cluster.url, "responder")
    client = await Bus.connect(nats_cluster.url, "client")
    await responder.ensure_events_stream("EVENTS", replicas=3)
    await responder.serve(FIND, find)
    assert (await client.js.stream_info("EVENTS")).config.num_replicas == 3
    used = {bus.nc.connected_url.port for bus in (responder, client)}
    nats_cluster.nodes[[node.port for node in nats_cluster.nodes].index(used.pop())].kill()
    for n in range(20):
        assert (await client.request(FIND, auth.FindUser(username=f"u{n}"), timeout_s=10)).username == f"u{n}"

    async def stored(subject: str) -> bool:
        """While the stream elects a new leader it answers nothing: the outbox publishes again, as here."""
        try:
            await client.js.publish(subject, b"{}", timeout=1, headers={"Nats-Msg-Id": subject})
            return True
        except (NoRespondersError, NoStreamResponseError, NatsTimeout):
            return False

    for n in range(20):
        await until(lambda n=n: stored(f"chat.evt.1.e{n}"), timeout_s=10)
    assert (await client.js.stream_info("EVENTS")).state.messages == 20
    for bus in (responder, client):
        await bus.nc.close()


def test_encode_is_the_models_own_json_without_nones():
    """`encode` skips `model_dump_json`'s wrapper; what it sends must not change."""
    user = auth.User(id=7, username="zoë", name='A "quoted" name', created_at=datetime(2026, 1, 2, 3, 4, 5, 6000, UTC))
    models = [user, auth.UserList(users=[user, user.model_copy(update={"email": "z@example.com"})]), Empty()]
    for model in models:
        assert encode(model) == model.model_dump_json(exclude_none=True).encode()
    assert b"null" not in encode(user) and b'"createdAt"' in encode(user)  # by alias, without the unset email


async def test_the_events_stream_is_made_once_a_cluster_that_cannot_answer_yet_settles(nats_cluster):
    """Two nodes of three frozen: the third has no quorum, so JetStream answers nothing
    (as before a new cluster elects its meta leader). The service waits it out instead
    of exiting at start-up; the freeze outlasts one request's 5 s timeout."""
    alone = nats_cluster.nodes[0]
    bus = await Bus.connect(alone.url, "chat")
    frozen = nats_cluster.nodes[1:]
    for node in frozen:
        node.kill(signal.SIGSTOP)
    try:
        ensuring = asyncio.create_task(bus.ensure_events_stream("EVENTS", replicas=3))
        await asyncio.sleep(6)  # the fault's length, not a wait for an effect
        assert not ensuring.done()
    finally:
        for node in frozen:
            node.kill(signal.SIGCONT)
    await asyncio.wait_for(ensuring, 20)
    assert (await bus.js.stream_info("EVENTS")).config.num_replicas == 3
    await bus.nc.close()
