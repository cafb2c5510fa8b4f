"""An I/O thread gets the GIL back quickly while the event loop's thread computes."""

import sys
import threading
import time

from parley_runtime import gil


def wake_ups_during_busy_work(busy_s: float = 0.1) -> int:
    """How often a thread sleeping 0.1 ms at a time woke and ran while this thread spun:
    each wake-up waits for the GIL, as a driver's reply does behind a busy loop."""
    woken, stop = 0, threading.Event()

    def io_thread() -> None:
        nonlocal woken
        while not stop.is_set():
            time.sleep(0.0001)
            woken += 1

    thread = threading.Thread(target=io_thread)
    thread.start()
    deadline = time.perf_counter() + busy_s
    while time.perf_counter() < deadline:
        pass
    stop.set()
    thread.join()
    return woken


def test_a_waiting_thread_runs_several_times_as_often_as_with_the_default_interval():
    default = sys.getswitchinterval()
    try:
        slow = wake_ups_during_busy_work()
        gil.hand_over_quickly()
        quick = wake_ups_during_busy_work()
    finally:
        sys.setswitchinterval(default)
    assert default == 0.005  # CPython's, the one the services no longer keep
    assert quick >= 3 * slow, (slow, quick)
