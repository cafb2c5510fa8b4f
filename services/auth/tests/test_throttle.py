"""Login throttling, on a fake clock: pure logic."""

from parley_auth.throttle import LoginThrottle


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limit_is_reached_then_released_after_the_window():
    clock = Clock()
    throttle = LoginThrottle(window_s=60, clock=clock)
    limits = {"user:ada": 3}
    for _ in range(3):
        assert throttle.retry_after_s(limits) == 0
        throttle.record_failure(["user:ada"])
        clock.now += 1
    assert throttle.retry_after_s(limits) == 57  # the oldest failure (t=1000) leaves the window at 1060
    clock.now += 57
    assert throttle.retry_after_s(limits) == 0


def test_the_strictest_key_decides_and_clear_forgets_one_key():
    clock = Clock()
    throttle = LoginThrottle(window_s=100, clock=clock)
    throttle.record_failure(["user:a", "addr:1.2.3.4"])
    throttle.record_failure(["user:a", "addr:1.2.3.4"])
    assert throttle.retry_after_s({"user:a": 5, "addr:1.2.3.4": 2}) == 100
    throttle.clear("addr:1.2.3.4")
    assert throttle.retry_after_s({"user:a": 5, "addr:1.2.3.4": 2}) == 0
