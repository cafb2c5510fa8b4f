"""Login throttling: the window arithmetic as pure logic, and the counts in a real
JetStream KV bucket shared by several throttles (as by several auth processes)."""

import asyncio

import pytest_asyncio

from parley_auth.throttle import LoginThrottle, throttle_key, wait_s, with_failure
from parley_runtime.bus import Bus

BUCKET = "login_failures"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_oldest_of_the_last_limit_failures_decides_the_wait():
    failures = [1000.0, 1001.0, 1002.0]
    assert wait_s(failures, 3, 60, now=1003) == 57  # the failure at 1000 leaves the window at 1060
    assert wait_s(failures, 4, 60, now=1003) == 0
    assert wait_s(failures, 3, 60, now=1060) == 0
    assert wait_s([], 1, 60, now=1003) == 0


def test_a_failure_keeps_only_the_newest_within_the_window():
    assert with_failure([900.0, 990.0, 995.0, 998.0], 1000.0, 3, 60) == [995.0, 998.0, 1000.0]
    assert with_failure([900.0], 1000.0, 3, 60) == [1000.0]


def test_keys_are_kv_safe_and_tell_pairs_apart():
    key = throttle_key("pair", "ada", "2001:db8::1")
    assert key.startswith("pair.") and key.replace(".", "").isalnum()
    assert key != throttle_key("pair", "ad", "a2001:db8::1")


@pytest_asyncio.fixture
async def connections(nats_url):
    """Two connections to one NATS, standing for two auth processes."""
    made = [await Bus.connect(nats_url, f"auth-{n}") for n in range(2)]
    yield made
    for bus in made:
        await bus.nc.close()


async def test_two_throttles_count_the_same_attempts_and_a_new_one_finds_them(connections, nats_url):
    clock = Clock()
    first, second = [await LoginThrottle.open(bus.js, BUCKET, 60, clock) for bus in connections]
    limits = {"pair.a": 3, "addr.b": 10}
    assert (await first.take_attempt(limits))[0] == 0
    clock.now += 1
    both = await asyncio.gather(first.take_attempt(limits), second.take_attempt(limits))  # both must count
    assert [wait for wait, _ in both] == [0, 0]
    assert await second.take_attempt(limits) == (59, None)  # refused, and nothing counted
    assert (await first.take_attempt({"addr.b": 4}))[0] == 0  # three on the address so far

    restarted = await Bus.connect(nats_url, "auth-restarted")
    try:
        again = await LoginThrottle.open(restarted.js, BUCKET, 60, clock)
        assert await again.take_attempt(limits) == (59, None)
        await again.clear("pair.a")
        clock.now += 1
        assert (await first.take_attempt(limits))[0] == 0
        clock.now += 60
        assert (await first.take_attempt({"addr.b": 3}))[0] == 0
    finally:
        await restarted.nc.close()


async def test_a_burst_of_attempts_at_once_gets_no_more_than_the_limit(connections):
    clock = Clock()
    throttles = [await LoginThrottle.open(bus.js, BUCKET, 60, clock) for bus in connections]
    limits = {"pair.burst": 3, "addr.burst": 100}
    outcomes = await asyncio.gather(*(throttles[n % 2].take_attempt(limits) for n in range(12)))
    assert sum(at is not None for _, at in outcomes) == 3
    # The refused nine gave their address count back: three counted, so a fourth fits and a fifth not.
    assert (await throttles[0].take_attempt({"addr.burst": 4}))[0] == 0
    assert (await throttles[0].take_attempt({"addr.burst": 4}))[0] > 0


async def test_a_right_password_gives_its_attempt_back(connections):
    clock = Clock()
    throttle = await LoginThrottle.open(connections[0].js, BUCKET, 60, clock)
    for _ in range(3):
        _, at = await throttle.take_attempt({"addr.office": 3})
        await throttle.give_back("addr.office", at)
        clock.now += 1
    assert (await throttle.take_attempt({"addr.office": 3}))[0] == 0


async def test_the_bucket_ttl_follows_a_changed_window(connections):
    await LoginThrottle.open(connections[0].js, BUCKET, 60, Clock())
    await LoginThrottle.open(connections[1].js, BUCKET, 90, Clock())
    assert (await (await connections[0].js.key_value(BUCKET)).status()).ttl == 90


async def test_many_logins_from_one_address_at_once_all_count(connections):
    """Sixty attempts from one busy address through one process: none fails its compare-and-set."""
    throttle = await LoginThrottle.open(connections[0].js, BUCKET, 60, Clock())
    outcomes = await asyncio.gather(*(throttle.take_attempt({f"pair.u{n}": 5, "addr.office": 1000}) for n in range(60)))
    assert all(at is not None for _, at in outcomes)


async def test_many_right_logins_from_one_address_at_once_all_pass(connections):
    """As a busy office logs in: each attempt taken, then given back, as many at once as the
    address allows (attempts under way count against it until they prove right)."""
    throttle = await LoginThrottle.open(connections[0].js, BUCKET, 60, Clock())

    async def log_in(n: int) -> bool:
        _, at = await throttle.take_attempt({f"pair.r{n}": 5, "addr.busy": 20})
        if at is None:
            return False
        await throttle.clear(f"pair.r{n}")
        await throttle.give_back("addr.busy", at)
        return True

    assert all(await asyncio.gather(*(log_in(n) for n in range(20))))
    assert all(await asyncio.gather(*(log_in(n) for n in range(20, 40))))  # every one was given back
