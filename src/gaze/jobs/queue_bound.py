"""The bound on pending jobs (GAZE_MAX_PENDING_JOBS), checked in the transaction that inserts.

Guarantee: new jobs never take the number of pending jobs past the limit, however many
requests arrive at once. The count is taken after the request's own rows are inserted, while
the transaction holds the database's write lock (SQLite: the INSERT takes it, and SQLite has
one writer at a time) or a transaction-scoped advisory lock (PostgreSQL), so concurrent
submissions count one after another. Jobs put back in the queue by crash recovery are not
refused and may briefly exceed the limit; nothing already queued is ever dropped.
"""

from __future__ import annotations

import math

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from gaze.db.models import JobRow
from gaze.jobs.status import PENDING

NEW_JOBS_LOCK = 0x6A0B5
"""PostgreSQL advisory lock key held while a transaction inserts new jobs."""
DEFAULT_RETRY_AFTER_SECONDS = 30
MAX_RETRY_AFTER_SECONDS = 3600


class QueueFull(Exception):
    def __init__(self, limit: int, pending: int, wanted: int) -> None:
        super().__init__(
            f"The queue is full: {pending} jobs are pending, this request adds {wanted}, and at "
            f"most {limit} may be pending (GAZE_MAX_PENDING_JOBS). Nothing was queued."
        )
        self.limit = limit
        self.pending = pending
        self.wanted = wanted

    @property
    def must_leave(self) -> int:
        """How many pending jobs must start (or be cancelled) before this request fits."""
        return self.pending + self.wanted - self.limit


def serialize_new_jobs(session: Session) -> None:
    """Make concurrent inserts of new jobs wait for each other (PostgreSQL; on SQLite the
    INSERT's write lock does it)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": NEW_JOBS_LOCK})


def ensure_room(session: Session, limit: int, wanted: int) -> None:
    """Raise QueueFull if, with the `wanted` rows just inserted, more than `limit` jobs are
    pending. Call it after the insert, in the same transaction."""
    pending = session.scalar(select(func.count()).where(JobRow.status == PENDING)) or 0
    if pending > limit:
        raise QueueFull(limit, pending - wanted, wanted)


def retry_after_seconds(seconds_per_job: float | None, workers: int, must_leave: int) -> int:
    """When a refused request may fit: the time `workers` need to start `must_leave` jobs."""
    if not seconds_per_job:
        return DEFAULT_RETRY_AFTER_SECONDS
    estimate = math.ceil(must_leave * seconds_per_job / max(1, workers))
    return max(1, min(MAX_RETRY_AFTER_SECONDS, estimate))
