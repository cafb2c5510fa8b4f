"""Where `Listener` connects for a URL: a unit test of pure logic."""

from websockets.uri import parse_uri

from parley_client.frame_socket import socket_url
from parley_client.listener import endpoint


def test_a_url_without_a_port_connects_to_the_schemes_port():
    assert endpoint(parse_uri(socket_url("http://edge.example", "/ws/chat"))) == ("edge.example", 80, None)
    assert endpoint(parse_uri(socket_url("https://edge.example/", "/ws/chat"))) == ("edge.example", 443, True)
    assert endpoint(parse_uri(socket_url("http://127.0.0.1:8000", "/ws/chat"))) == ("127.0.0.1", 8000, None)
