"""The resend estimate: pure arithmetic, no NATS."""

from parley_runtime.lateness import Lateness


def test_quick_answers_keep_the_floor():
    lateness = Lateness(floor_s=1.0, ceiling_s=5.0)
    for _ in range(50):
        lateness.answered(0.01)
    assert lateness.late_after_s == 1.0


def test_slow_answers_for_everyone_raise_it_and_quick_ones_bring_it_back():
    lateness = Lateness(floor_s=1.0, ceiling_s=5.0)
    for _ in range(20):
        lateness.answered(1.5)
    assert 1.5 < lateness.late_after_s <= 5.0
    for _ in range(60):
        lateness.answered(0.01)
    assert lateness.late_after_s == 1.0


def test_each_resend_doubles_it_up_to_the_ceiling_until_an_answer_is_measured():
    lateness = Lateness(floor_s=1.0, ceiling_s=5.0)
    lateness.resent()
    assert lateness.late_after_s == 2.0
    lateness.resent()
    lateness.resent()
    assert lateness.late_after_s == 5.0
    lateness.answered(0.01)
    assert lateness.late_after_s < 5.0
