"""Requests per minute: the in-memory sliding window of one process, and the counts several API
processes share in Redis (two limiters on one real Redis database stand for two processes)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devkit.services import scratch_redis_url
from gaze.security.rate_limits import MemoryRateLimiter, RedisRateLimiter, sliding_wait


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_memory_window_admits_the_limit_per_60_seconds_and_says_when() -> None:
    clock = Clock(1000.0)
    limiter = MemoryRateLimiter(clock)
    for second in range(3):
        clock.now = 1000.0 + second * 10
        assert limiter.admit("key", 3) is None
    clock.now = 1025.0
    assert limiter.admit("key", 3) == 35, "the first request leaves the window at 1060"
    assert limiter.admit("other", 3) is None, "each key its own window"
    clock.now = 1060.0
    assert limiter.admit("key", 3) is None
    assert limiter.admit("key", 3) == 10, "refused requests were not counted"
    assert limiter.admit("key", 1) == 60, "a lowered limit counts the newest admitted only"


@given(
    previous=st.integers(0, 50),
    current=st.integers(0, 50),
    limit=st.integers(1, 40),
    elapsed=st.floats(0, 59.99),
)
def test_the_sliding_estimate_waits_exactly_until_one_more_fits(
    previous: int, current: int, limit: int, elapsed: float
) -> None:
    def fits(previous: int, current: int, elapsed: float) -> bool:
        return previous * (1 - elapsed / 60) + current + 1 <= limit + 1e-9

    wait = sliding_wait(previous, current, limit, elapsed)
    if fits(previous, current, elapsed):
        assert wait is None
        return
    assert wait is not None and wait >= 1
    later = elapsed + wait
    if later < 60:
        assert fits(previous, current, later), "after the wait it fits"
    else:
        assert fits(current, 0, later - 60), "in the next minute, with this one as previous"


@pytest.fixture
def redis_url() -> Iterator[str]:
    with scratch_redis_url() as url:
        yield url


def test_api_processes_share_a_keys_count_in_redis(redis_url: str) -> None:
    clock = Clock(6000.0 + 10)  # ten seconds into a minute
    first, second = RedisRateLimiter(redis_url, clock), RedisRateLimiter(redis_url, clock)
    assert [first.admit("key", 4), second.admit("key", 4)] == [None, None]
    assert [first.admit("key", 4), second.admit("key", 4)] == [None, None]
    wait = first.admit("key", 4)
    assert wait == 65, "four in this minute: until a quarter of the next has passed"
    assert second.admit("key", 4) == 65
    assert second.admit("another key", 4) is None
    clock.now = 6000.0 + 60 + 30  # half of the last minute is still inside the window
    assert first.admit("key", 4) is None, "2 estimated from the last minute, plus this one"
    assert second.admit("key", 4) is None
    assert first.admit("key", 4) == 15, "4 * 0.5 + 2 is the limit: wait until 0.25 is left"
