"""The garbage collector tuned for a long-running server: fewer, shorter pauses.

CPython's cyclic collector stops the event loop while it walks every tracked object of
the generations it collects. With the defaults (a young collection every 700
allocations) a busy server promotes objects that live a few milliseconds, such as a
frame on its way to a thousand sockets, into the oldest generation, whose collection
then walks the whole heap: the fan-out bench measured 8 full collections in 15 s on the
edge, each 100-770 ms over 256,000 objects, the whole of its latency tail.

So a young collection waits for `YOUNG_THRESHOLD` allocations (short-lived objects die
by reference counting first and are never promoted), and once start-up has built what
lives for the whole run (modules, models, settings, compiled validators) it is frozen
out of every later collection (`gc.freeze`, as CPython documents for this purpose).
Cycles made afterwards are still found and freed.
"""

import gc

YOUNG_THRESHOLD = 20_000
OLDER_THRESHOLDS = (10, 10)


def tune() -> None:
    """Call once, early: collections run less often."""
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)


def freeze_start_up() -> None:
    """Call once start-up is done: what exists now is left out of later collections."""
    gc.collect()
    gc.freeze()
