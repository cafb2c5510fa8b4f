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


def test_a_token_given_back_can_be_taken_again_but_never_past_the_capacity():
    now = [0.0]
    bucket = TokenBucket(2, 10.0, lambda: now[0])
    assert bucket.take() == 0 and bucket.take() == 0
    assert bucket.take() > 0
    bucket.give_back()  # the send it was taken for did not happen
    assert bucket.take() == 0
    bucket.give_back()
    bucket.give_back()
    bucket.give_back()
    assert [bucket.take(), bucket.take()] == [0, 0] and bucket.take() > 0
