"""Login throttling: failed attempts counted per key (username, client address) in a
sliding window. Pure logic with an injected clock.

The counts live in this process, so N auth copies allow up to N times the limit; a
shared store would make it exact and is left for when it is needed.
"""

import math
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    def __init__(self, window_s: float, clock: Callable[[], float]):
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def retry_after_s(self, limits: dict[str, int]) -> int:
        """Seconds until every key is under its limit again; 0 when a try is allowed now."""
        now = self._clock()
        wait = 0.0
        for key, limit in limits.items():
            failures = self._recent(key, now)
            if len(failures) >= limit:
                wait = max(wait, failures[len(failures) - limit] + self.window_s - now)
        return math.ceil(wait)

    def record_failure(self, keys: list[str]) -> None:
        now = self._clock()
        for key in keys:
            self._recent(key, now).append(now)

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        return failures
