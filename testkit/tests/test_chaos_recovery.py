"""How a fault run's recovery time is read from its sends (pure logic)."""

from parley_testkit.chaos import Send, Traffic


def traffic_of(*sends: Send) -> Traffic:
    traffic = Traffic(cast=None, rate=1)  # type: ignore[arg-type]  # no cast: only the sends are read
    traffic.sends = list(sends)
    return traffic


def test_a_pause_between_acknowledgements_counts():
    traffic = traffic_of(
        Send("c", "c1", 9.0, acked_at=10.5), Send("c", "c2", 12.5, acked_at=13.0), Send("c", "c3", 12.9, acked_at=13.1)
    )
    assert traffic.recovery(fault_at=10.0) == 2.5


def test_a_send_stuck_past_the_fault_is_the_longest_wait_though_others_flow():
    # DMs answered every 0.1 s while one channel post waits 4 s: flowing, with a 4 s tail.
    flowing = [Send("dm", f"d{n}", 10.0 + n / 10, acked_at=10.05 + n / 10) for n in range(50)]
    traffic = traffic_of(
        *flowing, Send("channel", "c1", 10.5, acked_at=14.5), Send("channel", "c2", 8.0, acked_at=10.2)
    )
    assert traffic.longest_wait(fault_at=10.0) == 4.0
    assert traffic.recovery(fault_at=10.0) < 0.2


def test_nothing_after_the_fault_is_no_pause():
    traffic = traffic_of(Send("c", "c1", 1.0, acked_at=2.0))
    assert traffic.recovery(fault_at=5.0) == traffic.longest_wait(fault_at=5.0) == 0.0
