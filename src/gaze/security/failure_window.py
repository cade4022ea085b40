"""Wrong attempts (keys, passwords) per client within a sliding window, in bounded memory.

A client's entry expires on its own once its newest failure is older than the window, however
many clients were seen: entries are kept in order of their newest failure, so expiring is
popping from the front. Each entry holds at most `keep` moments. `max_keys` is a last-resort
bound for floods of fresh addresses inside one window: the client quiet for longest goes first.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

MAX_KEYS = 100_000


class RecentFailures:
    def __init__(
        self,
        window: float,
        keep: int,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self.window = window
        self.keep = keep
        self.clock = clock
        self.max_keys = max_keys
        self._by_key: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _expire(self, now: float) -> None:
        while self._by_key:
            key, moments = next(iter(self._by_key.items()))
            if now - moments[-1] < self.window:
                return
            del self._by_key[key]

    def recent(self, key: str) -> list[float]:
        """The moments of `key`'s failures within the window (at most `keep`), oldest first."""
        now = self.clock()
        with self._lock:
            self._expire(now)
            moments = self._by_key.get(key, ())
            return [moment for moment in moments if now - moment < self.window]

    def record(self, key: str) -> None:
        now = self.clock()
        with self._lock:
            self._expire(now)
            moments = self._by_key.pop(key, None) or deque(maxlen=self.keep)
            moments.append(now)
            self._by_key[key] = moments
            while len(self._by_key) > self.max_keys:
                self._by_key.popitem(last=False)

    def forget(self, key: str) -> None:
        with self._lock:
            self._by_key.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            self._expire(self.clock())
            return len(self._by_key)
