"""Slowing down password guessing: after a few wrong passwords, a client waits."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

FREE_FAILURES = 5
WINDOW_SECONDS = 300.0
LOCK_SECONDS = 60.0
MAX_CLIENTS = 10_000


class LoginThrottle:
    """Counts wrong passwords per client address within a window; locks a client out for a
    minute once it passes `FREE_FAILURES`."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> list[float]:
        return [
            moment for moment in self._failures.get(client, []) if now - moment < WINDOW_SECONDS
        ]

    def wait_seconds(self, client: str) -> int:
        """Seconds before this client may try again (0: now)."""
        now = self._clock()
        with self._lock:
            recent = self._recent(client, now)
        if len(recent) < FREE_FAILURES:
            return 0
        remaining = LOCK_SECONDS - (now - recent[-1])
        return max(0, math.ceil(remaining))

    def failed(self, client: str) -> None:
        now = self._clock()
        with self._lock:
            if len(self._failures) >= MAX_CLIENTS and client not in self._failures:
                self._failures.clear()
            self._failures[client] = [*self._recent(client, now), now]

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)
