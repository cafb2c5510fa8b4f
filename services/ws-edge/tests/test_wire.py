"""Frames encoded once for every socket: what a standard WebSocket client reads back."""

import pytest
from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

from parley_edge.sockets.wire import encode


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 200_000])
def test_an_encoded_frame_reads_back_as_one_text_frame(size):
    payload = bytes(ord("a") + n % 26 for n in range(size))
    client = ClientProtocol(parse_uri("ws://edge/ws/chat"), state=State.OPEN, max_size=None)
    client.receive_data(encode(payload))
    [frame] = client.events_received()
    assert (frame.opcode, frame.fin, bytes(frame.data)) == (Opcode.TEXT, True, payload)


def test_frames_written_back_to_back_stay_apart():
    client = ClientProtocol(parse_uri("ws://edge/ws/chat"), state=State.OPEN)
    client.receive_data(encode(b'{"a":1}') + encode(b"x" * 300) + encode(b"{}"))
    assert [bytes(frame.data) for frame in client.events_received()] == [b'{"a":1}', b"x" * 300, b"{}"]
