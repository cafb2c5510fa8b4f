"""Login throttling: failed logins counted per key in a sliding window, kept in a
JetStream KV bucket so that every auth process counts the same failures and a restart
forgets none.

The handler's keys are a (username, client address) pair and the address alone: wrong
passwords from one place lock that place out, never the user who knows the password
elsewhere. An entry holds the times of a key's most recent attempts (no more than its
limit: only those decide) and is written with compare-and-set, so two processes
counting at once both count. The bucket's TTL is the window: a key with no attempt for
a whole window vanishes by itself.

An attempt is counted before its password is checked, and given back when the password
was right: counted afterwards, a burst of guesses sent at once would all pass the check
before the first failure was written.
"""

import asyncio
import dataclasses
import hashlib
import json
import math
from collections.abc import Callable

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from parley_contracts.errors import ErrorCode
from parley_runtime.errors import ParleyError
from parley_runtime.kv_buckets import open_bucket

CAS_ATTEMPTS = 10


def throttle_key(kind: str, *parts: str) -> str:
    """A KV-safe key; hashed, so any username or address fits and none is stored in clear."""
    return f"{kind}.{hashlib.sha256(chr(0).join(parts).encode()).hexdigest()[:40]}"


def wait_s(failures: list[float], limit: int, window_s: float, now: float) -> float:
    """Seconds until `failures` is under `limit` within the window again; 0 if it is now."""
    recent = [at for at in failures if at > now - window_s]
    if len(recent) < limit:
        return 0.0
    return recent[len(recent) - limit] + window_s - now


def with_failure(failures: list[float], at: float, limit: int, window_s: float) -> list[float]:
    """`failures` with one more at `at`: only those in the window, the newest `limit`."""
    return ([t for t in failures if t > at - window_s] + [at])[-limit:]


def _counted(failures: list[float], at: float, limit: int, window_s: float) -> tuple[list[float] | None, float]:
    wait = wait_s(failures, limit, window_s, at)
    return (None, wait) if wait else (with_failure(failures, at, limit, window_s), 0.0)


@dataclasses.dataclass
class _Turn:
    lock: asyncio.Lock = dataclasses.field(default_factory=asyncio.Lock)
    users: int = 0


class LoginThrottle:
    def __init__(self, kv: KeyValue, window_s: float, clock: Callable[[], float]):
        self._kv = kv
        self.window_s = window_s
        self._clock = clock
        """Wall-clock time: the times are compared across processes and restarts."""
        self._turns: dict[str, _Turn] = {}
        """Within a process, changes to one key take turns: logins from one busy address
        would otherwise spend their compare-and-set tries on each other."""

    @classmethod
    async def open(
        cls, js: JetStreamContext, bucket: str, window_s: float, clock: Callable[[], float], replicas: int = 1
    ) -> "LoginThrottle":
        kv = await open_bucket(js, KeyValueConfig(bucket=bucket, ttl=window_s, history=1, replicas=replicas))
        status = await kv.status()
        if status.ttl != window_s:  # the window was changed since the bucket was made
            config = status.stream_info.config
            duplicates = min(config.duplicate_window or window_s, window_s)  # may not exceed the age
            await js.update_stream(dataclasses.replace(config, max_age=window_s, duplicate_window=duplicates))
        return cls(kv, window_s, clock)

    async def take_attempt(self, limits: dict[str, int]) -> tuple[int, float | None]:
        """Counts one attempt against every key, unless one is at its limit: then (seconds
        to wait, None) and nothing is counted; else (0, the attempt's time)."""
        at = self._clock()
        taken: list[str] = []
        try:
            for key, limit in limits.items():
                count = lambda failures, limit=limit: _counted(failures, at, limit, self.window_s)  # noqa: E731
                wait = await self._change(key, count)
                if wait:
                    break
                taken.append(key)
            else:
                return 0, at
        except Exception:
            await self.give_back_all(taken, at)
            raise
        await self.give_back_all(taken, at)
        return math.ceil(wait), None

    async def give_back_all(self, keys: list[str], at: float) -> None:
        for key in keys:
            await self.give_back(key, at)

    async def give_back(self, key: str, at: float) -> None:
        """Uncounts the attempt made at `at`: its password was right."""
        await self._change(key, lambda failures: ([t for t in failures if t != at], 0.0))

    async def clear(self, key: str) -> None:
        await self._kv.delete(key)

    async def _change(self, key: str, change: Callable[[list[float]], tuple[list[float] | None, float]]) -> float:
        """Applies `change` (new failures or None to leave them, and a wait) with compare-and-set."""
        turn = self._turns.setdefault(key, _Turn())
        turn.users += 1
        try:
            async with turn.lock:
                return await self._compare_and_set(key, change)
        finally:
            turn.users -= 1
            if not turn.users:  # nobody holds or awaits it: forget the key
                del self._turns[key]

    async def _compare_and_set(self, key: str, change) -> float:
        for attempt in range(CAS_ATTEMPTS):
            failures, revision = await self._read(key)
            changed, wait = change(failures)
            if changed is None:
                return wait
            value = json.dumps(changed).encode()
            try:
                if revision is None:
                    await self._kv.create(key, value)
                else:
                    await self._kv.update(key, value, last=revision)
                return wait
            except KeyWrongLastSequenceError:
                if attempt == CAS_ATTEMPTS - 1:
                    raise ParleyError(ErrorCode.UNAVAILABLE, "too many logins at once; try again") from None
                # Another process counted one meanwhile: read again and count on top of it.
        raise AssertionError("unreachable")

    async def _read(self, key: str) -> tuple[list[float], int | None]:
        try:
            entry = await self._kv.get(key)
        except KeyNotFoundError:
            return [], None
        return json.loads(entry.value or b"[]"), entry.revision  # an entry without a payload holds no failures
