"""Answers about active jobs, cached per process and dropped by the job events that change them.

`GET /api/v1/job/<id>` of a pending or processing job costs several queries (the row, the
queue forecast). Clients poll it in loops, and on PostgreSQL each query is a round trip, so an
API process keeps the answers it built and reuses them until an event says they changed.
Events come from this process's broker (`gaze.events.broker`), which learns of other
processes' events by LISTEN/NOTIFY: once an event has reached the process, no answer from
before it is served again.

    cache = status_cache_of(runtime.jobs.events)   # one per process
    cache.follow(poll_seconds)                      # on the event loop, before each use
    cached = cache.answer(job_id)                   # a CachedAnswer, or None: build it
    if cached is None:
        ticket = cache.ticket(job_id)               # BEFORE reading the database
        body, owner = build_answer_from_the_database()
        cache.keep(job_id, ticket, body, owner)     # kept unless an event came meanwhile

What drops answers: an event of the job drops its own answer; an event that changes a status
(anything but `job.progress`) drops every answer, since queue positions and ETAs move. Changes
that emit no event (a cancel request's flag, a deletion) show within `max_age_seconds`, which
also bounds how far a cached ETA drifts; `forget(job_id)` drops one answer at once in this
process. While the broker cannot read events (the database is down), nothing is served or kept.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from gaze.events.broker import EventBroker, broker_for
from gaze.events.store import EventStore
from gaze.events.types import JOB_PROGRESS, JobEvent

MAX_AGE_SECONDS = 1.0
CACHE_SIZE = 4096
REMEMBERED_INVALIDATIONS = 16384
"""Jobs whose latest invalidation is remembered one by one; older ones count as just now."""
DEFAULT_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class CachedAnswer:
    body: bytes
    """The answer, ready to send."""
    owner: str | None
    """Whose job it is (an API key id), for the caller to check before sending it."""
    kept_at: float


_caches: weakref.WeakKeyDictionary[EventStore, JobStatusCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def status_cache_of(store: EventStore) -> JobStatusCache:
    """The process's cache for the jobs whose events `store` holds, created on first use."""
    with _caches_lock:
        cache = _caches.get(store)
        if cache is None:
            cache = _caches[store] = JobStatusCache(store)
        return cache


class JobStatusCache:
    def __init__(
        self,
        store: EventStore,
        *,
        max_age_seconds: float = MAX_AGE_SECONDS,
        size: int = CACHE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.max_age_seconds = max_age_seconds
        self._size = size
        self._clock = clock
        self._lock = threading.Lock()
        self._answers: OrderedDict[str, CachedAnswer] = OrderedDict()
        self._sequence = 0
        """Counts invalidations; a ticket is its value when the answer's reads began."""
        self._dropped_at: OrderedDict[str, int] = OrderedDict()
        self._all_dropped_at = 0
        self._broker: EventBroker | None = None
        self.invalidations = 0
        """Events that dropped answers (read by tests and benchmarks)."""

    # -- following the events ----------------------------------------------------------

    def follow(self, poll_seconds: float = DEFAULT_POLL_SECONDS) -> None:
        """Observe the running event loop's broker (cheap when already done). Call it on the
        event loop, before `answer`: a cache nobody keeps current serves nothing."""
        broker = broker_for(self.store, poll_seconds)
        if broker is self._broker and broker.running:
            return
        with self._lock:
            self._drop_all()
            self._broker = broker
        broker.observe(self)

    def stop(self) -> None:
        """Stop observing (on the event loop's thread); the cache serves nothing afterwards."""
        broker, self._broker = self._broker, None
        if broker is not None:
            broker.unobserve(self)
        self.lost()

    @property
    def following(self) -> bool:
        """The cache hears every event as the broker reads it, so its answers are current."""
        broker = self._broker
        return broker is not None and broker.running and broker.healthy and broker.loop.is_running()

    def delivered(self, event: JobEvent) -> None:
        """An event reached this process: drop the answers it may change."""
        with self._lock:
            self.invalidations += 1
            if event.type == JOB_PROGRESS:
                self._drop(event.job_id)
            else:
                self._drop_all()

    def lost(self) -> None:
        with self._lock:
            self._drop_all()

    # -- answers -----------------------------------------------------------------------

    def answer(self, job_id: str) -> CachedAnswer | None:
        """The cached answer, if one is current; None means: build it (see `ticket`)."""
        if not self.following:
            return None
        with self._lock:
            kept = self._answers.get(job_id)
            if kept is None:
                return None
            if self._clock() - kept.kept_at > self.max_age_seconds:
                del self._answers[job_id]
                return None
            self._answers.move_to_end(job_id)
            return kept

    def ticket(self, job_id: str) -> int:
        """Take before reading what the answer is built from; pass to `keep`."""
        with self._lock:
            return self._sequence

    def keep(self, job_id: str, ticket: int, body: bytes, owner: str | None = None) -> bool:
        """Cache the answer `body` (of `owner`'s job), unless an event that could change it
        arrived since `ticket` was taken (the answer may be older than that event) or the
        cache is not following."""
        if not self.following:
            return False
        with self._lock:
            dropped_at = max(self._all_dropped_at, self._dropped_at.get(job_id, 0))
            if dropped_at > ticket:
                return False
            self._answers[job_id] = CachedAnswer(body, owner, self._clock())
            self._answers.move_to_end(job_id)
            while len(self._answers) > self._size:
                self._answers.popitem(last=False)
            return True

    def forget(self, job_id: str) -> None:
        """Drop one job's answer now (it was deleted, or changed without an event)."""
        with self._lock:
            self._drop(job_id)

    def __len__(self) -> int:
        with self._lock:
            return len(self._answers)

    # -- under the lock ----------------------------------------------------------------

    def _drop(self, job_id: str) -> None:
        self._sequence += 1
        self._answers.pop(job_id, None)
        self._dropped_at[job_id] = self._sequence
        self._dropped_at.move_to_end(job_id)
        if len(self._dropped_at) > REMEMBERED_INVALIDATIONS:
            # forgetting one job's invalidation: count every job as invalidated now
            self._dropped_at.popitem(last=False)
            self._all_dropped_at = self._sequence

    def _drop_all(self) -> None:
        self._sequence += 1
        self._answers.clear()
        self._dropped_at.clear()
        self._all_dropped_at = self._sequence
