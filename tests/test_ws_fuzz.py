"""Thousands of generated frames at `/ws/chat`: valid ones drawn from the contract
schema, malformed JSON, and valid frames with fields of the wrong type. The edge must
answer or act on each, never crash, and keep the socket usable."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley_client import FrameSocket
from parley_contracts.chat_frames import chat_client_frame
from parley_stack.processes import service, wait_all
from parley_testkit.schema_strategies import from_schema
from parley_testkit.teams import make_team

FRAMES = 2500
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=10,
)


@st.composite
def wrong_types(draw) -> str:
    frame = draw(from_schema(chat_client_frame.json_schema()))
    field = draw(st.sampled_from(sorted(frame)))
    frame[field] = draw(json_values)
    return json.dumps(frame)


raw_frames = st.one_of(
    from_schema(chat_client_frame.json_schema()).map(json.dumps),
    wrong_types(),
    json_values.map(json.dumps),
    st.text(max_size=200),
    st.binary(max_size=100).map(lambda b: b.decode("latin-1")),
)


def generated_frames(count: int) -> list[str]:
    found: list[str] = []

    @settings(max_examples=count, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(raw_frames)
    def collect(frame: str) -> None:
        found.append(frame)

    collect()
    return found


@pytest.fixture
def lenient_edge(nats_url, tmp_path, auth_process, chat_process):
    """An edge whose rate limits do not get in the way of the fuzzing, nor its heartbeat:
    a client that sends thousands of frames at once fills the socket's read queue (many,
    like a reaction, wait for chat's answer), so the edge stops reading and would not see
    a pong in time on a loaded machine."""
    limits = {"sends_per_5s": "100000", "typing_per_5s": "100000", "joins_per_10s": "100000"}
    edge = service("edge", nats_url, tmp_path, send_buffer_kib="65536", ping_interval_s="600", **limits).spawn()
    wait_all(auth_process, chat_process, edge)
    yield edge
    edge.stop()


async def test_fuzzed_frames_never_break_the_edge(lenient_edge):
    team = await make_team(lenient_edge.base_url)
    socket = await FrameSocket.open(lenient_edge.base_url, cookie=team.owner.cookie)
    await socket.next("connected")
    frames = generated_frames(FRAMES)
    assert len(frames) >= FRAMES * 0.9
    for frame in frames:
        await socket.send(frame)
    # Frames are handled in order: once this one is answered, all before it were too.
    await socket.send({"type": "join_channel", "channelId": team.channel_id})
    await socket.next("joined_channel", timeout=120, channelId=team.channel_id)
    await socket.send({"type": "send_message", "channelId": team.channel_id, "content": "alive", "clientMsgId": "z"})
    alive = await socket.wait_for(
        lambda f: f.get("type") == "new_message" and f["message"].get("clientMsgId") == "z", timeout=10
    )
    assert alive["message"]["content"] == "alive"
    assert socket.close_code is None
    assert len(socket.of_type("error")) > FRAMES / 4  # most frames were refused, each with an answer
    assert "Traceback" not in lenient_edge.logs()
    await socket.close()
    await team.close()
