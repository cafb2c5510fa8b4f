"""Edge settings as pure logic: the default origin allowlist and the trusted proxies."""

import pytest
from pydantic import ValidationError

from parley_edge.settings import EdgeSettings


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"port": 8100}, {"http://127.0.0.1:8100", "http://localhost:8100", "http://[::1]:8100"}),
        ({"host": "0.0.0.0", "port": 80}, {"http://127.0.0.1", "http://localhost", "http://[::1]"}),
        ({"host": "chat.example.com", "port": 443, "tls_certfile": "c", "tls_keyfile": "k"}, {"https://chat.example.com"}),
        ({"host": "chat.example.com", "allowed_origins": " https://a.example , https://b.example"},
         {"https://a.example", "https://b.example"}),
    ],
)  # fmt: skip
def test_the_origin_allowlist_defaults_to_the_edges_own_address(fields, expected):
    assert EdgeSettings(**fields).origins == expected


def test_trusted_proxies_must_be_addresses_or_networks():
    assert EdgeSettings(trusted_proxies="10.0.0.1, 192.168.0.0/16,::1").proxies == ["10.0.0.1", "192.168.0.0/16", "::1"]
    assert EdgeSettings().proxies == []
    for bad in ("proxy.local", "10.0.0.1/8"):
        with pytest.raises(ValidationError, match="not an IP address or CIDR"):
            EdgeSettings(trusted_proxies=bad)


@pytest.mark.parametrize(
    ("fields", "refusal"),
    [
        ({}, "SESSION_SECRET"),
        ({"session_secret": "x" * 31}, "SESSION_SECRET"),
        ({"session_secret": "x" * 32, "allowed_origins": "https://chat.example.com, *"}, "ALLOWED_ORIGINS"),
    ],
)
def test_production_refuses_a_weak_secret_and_any_origin(fields, refusal):
    refusals = EdgeSettings(**fields).production_refusals()
    assert len(refusals) == 1 and refusal in refusals[0]
    good = {"session_secret": "x" * 32, "allowed_origins": "https://chat.example.com"}
    assert EdgeSettings(**good).production_refusals() == []
