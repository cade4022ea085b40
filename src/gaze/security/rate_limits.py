"""Requests per minute of an API key (`rate_per_minute`), checked on every request of the key.

One process (SQLite queue): a sliding window in memory, the times of the key's admitted
requests in the last 60 s (at most `limit` of them), so a check costs O(1) amortized. Scale-out
(GAZE_QUEUE_URL=redis://...): the API processes share counts in Redis, one counter per key and
minute (INCR + EXPIRE), weighing the previous minute's count by how much of it is still inside
the last 60 s (a sliding window estimate), so a burst across a minute boundary is limited too.
Refused requests are not counted.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from gaze.extras import require_module

WINDOW_SECONDS = 60.0
REDIS_PREFIX = "gaze:rate:"


class RateLimiter(Protocol):
    shared: bool
    """Counts live outside the process (Redis): calls do network I/O."""

    def admit(self, key_id: str, limit: int) -> int | None:
        """Count one request of the key: None when admitted, else the seconds to wait."""
        ...


class MemoryRateLimiter:
    shared = False

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._admitted: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, key_id: str, limit: int) -> int | None:
        now = self._clock()
        with self._lock:
            times = self._admitted.get(key_id)
            if times is None:
                times = self._admitted[key_id] = deque()
            while times and times[0] <= now - WINDOW_SECONDS:
                times.popleft()
            while len(times) > limit:  # the limit was lowered meanwhile
                times.popleft()
            if len(times) >= limit:
                return max(1, math.ceil(times[len(times) - limit] + WINDOW_SECONDS - now))
            times.append(now)
            return None


def sliding_wait(previous: int, current: int, limit: int, elapsed: float) -> int | None:
    """With `current` requests admitted in this minute bucket, `previous` in the one before,
    and `elapsed` seconds into this bucket: None if one more fits, else the seconds until it
    does (the previous bucket weighs by the share of it still inside the last 60 s)."""
    fraction = elapsed / WINDOW_SECONDS
    if previous * (1.0 - fraction) + current + 1 <= limit:
        return None
    if current + 1 <= limit:
        # within this bucket, once enough of the previous one has slid out
        needed = 1.0 - (limit - current - 1) / previous
        return _whole_seconds((needed - fraction) * WINDOW_SECONDS)
    # not before the next bucket, where this bucket's count becomes the previous one
    needed = 1.0 - (limit - 1) / current if current else 0.0
    return _whole_seconds((1.0 - fraction + max(0.0, needed)) * WINDOW_SECONDS)


def _whole_seconds(seconds: float) -> int:
    """Seconds rounded up (after forgetting float noise), at least 1."""
    return max(1, math.ceil(seconds - 1e-6))


class RedisRateLimiter:
    shared = True

    def __init__(self, url: str, clock: Callable[[], float] = time.time) -> None:
        require_module("redis", "scale", "GAZE_QUEUE_URL (Redis)")
        import redis

        self._redis: Any = redis.Redis.from_url(url, socket_timeout=2)
        self._clock = clock

    def admit(self, key_id: str, limit: int) -> int | None:
        now = self._clock()
        bucket = int(now // WINDOW_SECONDS)
        current_key = f"{REDIS_PREFIX}{key_id}:{bucket}"
        with self._redis.pipeline() as pipe:
            pipe.incr(current_key)
            pipe.expire(current_key, int(2 * WINDOW_SECONDS) + 5)
            pipe.get(f"{REDIS_PREFIX}{key_id}:{bucket - 1}")
            counted, _, previous = pipe.execute()
        wait = sliding_wait(int(previous or 0), int(counted) - 1, limit, now % WINDOW_SECONDS)
        if wait is not None:
            self._redis.decr(current_key)
        return wait


def rate_limiter_for(queue_url: str) -> RateLimiter:
    """Shared through Redis when the queue is Redis (several API processes), else in memory."""
    if queue_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisRateLimiter(queue_url)
    return MemoryRateLimiter()
