"""Token buckets per socket, and the rule that turns sustained abuse into a close.
Pure logic with an injected clock. Every open socket keeps four of these, so they are
slotted and hold no deque (an empty one is 600 bytes)."""

from collections.abc import Callable


class TokenBucket:
    """`capacity` tokens, refilled evenly over `per_s` seconds."""

    __slots__ = ("_at", "_clock", "_tokens", "capacity", "rate")

    def __init__(self, capacity: int, per_s: float, clock: Callable[[], float]):
        self.capacity = capacity
        self.rate = capacity / per_s
        self._clock = clock
        self._tokens = float(capacity)
        self._at = clock()

    def take(self) -> int:
        """0 when a token was taken; otherwise milliseconds until one is available."""
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0
        return max(1, int((1 - self._tokens) / self.rate * 1000))

    def give_back(self) -> None:
        """Return a token taken for work that did not happen."""
        self._tokens = min(self.capacity, self._tokens + 1)


class AbuseMeter:
    """Counts refusals in a sliding window; `abusive` once they pass the threshold."""

    __slots__ = ("_clock", "_hits", "threshold", "window_s")

    def __init__(self, threshold: int, window_s: float, clock: Callable[[], float]):
        self.threshold = threshold
        self.window_s = window_s
        self._clock = clock
        self._hits: list[float] = []

    def hit(self) -> bool:
        now = self._clock()
        self._hits = [at for at in self._hits if at > now - self.window_s]
        self._hits.append(now)
        return len(self._hits) > self.threshold
