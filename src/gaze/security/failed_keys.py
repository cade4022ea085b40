"""Rate limiting of wrong API keys per client address, without ever refusing the right key."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from gaze.security.client_address import limiter_key
from gaze.security.failure_window import RecentFailures

MAX_FAILURES = 10
WINDOW_SECONDS = 60.0


class FailedKeyLimiter:
    """At most `max_failures` wrong keys per address (IPv6: per /64) in any `window` seconds."""

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.failures = RecentFailures(window, keep=max_failures, clock=clock)

    def retry_after(self, address: str) -> int | None:
        """Seconds until this address may try a key again, or None when it is not limited."""
        recent = self.failures.recent(limiter_key(address))
        if len(recent) < self.max_failures:
            return None
        waited = self.failures.clock() - recent[0]
        return max(1, math.ceil(self.failures.window - waited))

    def record_failure(self, address: str) -> None:
        self.failures.record(limiter_key(address))
