"""Token buckets and the abuse rule, on a fake clock: pure logic."""

from parley_runtime.rate_limit import AbuseMeter, TokenBucket


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_capacity_then_says_when_to_retry():
    clock = Clock()
    bucket = TokenBucket(5, 5.0, clock)  # the 5 sends per 5 s of the seed (PersonalLearningPro's protocol)
    assert [bucket.take() for _ in range(5)] == [0] * 5
    assert bucket.take() == 1000
    clock.now += 0.5
    assert bucket.take() == 500
    clock.now += 0.5
    assert bucket.take() == 0


def test_abuse_meter_trips_only_on_sustained_refusals():
    clock = Clock()
    meter = AbuseMeter(threshold=3, window_s=10, clock=clock)
    assert not any(meter.hit() for _ in range(3))
    clock.now += 11
    assert not meter.hit()
    assert not meter.hit() and not meter.hit()
    assert meter.hit()
