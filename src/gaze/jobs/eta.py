"""Queue positions and ETAs, from how long recent jobs took per backend and checkpoint.

A running job's remaining time comes from its progress (or, before sampling starts, from
the typical duration on its backend and checkpoint). Pending jobs are forecast by handing
the queue, in order, to `parallel` workers that free up as running jobs end.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select

from gaze.db.connection import Database
from gaze.db.models import JobRow, utcnow
from gaze.events.timestamps import as_utc
from gaze.jobs.fair_queue import PENDING_ORDER, ahead_of_or_same
from gaze.jobs.kinds import GENERATE
from gaze.jobs.status import DONE, PENDING, PROCESSING

RECENT_JOBS = 50
STATS_TTL_SECONDS = 5.0
MIN_PROGRESS_FOR_EXTRAPOLATION = 0.1


@dataclass(frozen=True)
class DurationStats:
    """Mean seconds from start to finish of recent done jobs, at several granularities."""

    by_backend_checkpoint: dict[tuple[str | None, str | None], float]
    by_checkpoint: dict[str | None, float]
    by_backend: dict[str | None, float]
    overall: float | None

    def expected(self, backend: str | None, checkpoint: str | None) -> float | None:
        for value in (
            self.by_backend_checkpoint.get((backend, checkpoint)) if backend else None,
            self.by_checkpoint.get(checkpoint),
            self.by_backend.get(backend) if backend else None,
            self.overall,
        ):
            if value is not None:
                return value
        return None


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def read_duration_stats(database: Database, recent: int = RECENT_JOBS) -> DurationStats:
    with database.engine.connect() as connection:
        rows = connection.execute(
            select(JobRow.backend, JobRow.checkpoint, JobRow.started_at, JobRow.finished_at)
            .where(
                and_(
                    JobRow.status == DONE,
                    JobRow.kind == GENERATE,
                    JobRow.started_at.is_not(None),
                    JobRow.finished_at.is_not(None),
                )
            )
            .order_by(JobRow.finished_at.desc())
            .limit(recent)
        ).all()
    pairs: dict[tuple[str | None, str | None], list[float]] = defaultdict(list)
    checkpoints: dict[str | None, list[float]] = defaultdict(list)
    backends: dict[str | None, list[float]] = defaultdict(list)
    everything: list[float] = []
    for backend, checkpoint, started, finished in rows:
        if started is None or finished is None:
            continue
        seconds = (as_utc(finished) - as_utc(started)).total_seconds()
        if seconds < 0:
            continue
        pairs[(backend, checkpoint)].append(seconds)
        checkpoints[checkpoint].append(seconds)
        backends[backend].append(seconds)
        everything.append(seconds)
    return DurationStats(
        by_backend_checkpoint={key: _mean(values) for key, values in pairs.items()},
        by_checkpoint={key: _mean(values) for key, values in checkpoints.items()},
        by_backend={key: _mean(values) for key, values in backends.items()},
        overall=_mean(everything) if everything else None,
    )


class DurationCache:
    """DurationStats re-read at most every few seconds, so polling stays cheap."""

    def __init__(self, database: Database, ttl: float = STATS_TTL_SECONDS) -> None:
        self.database = database
        self.ttl = ttl
        self._lock = threading.Lock()
        self._stats: DurationStats | None = None
        self._read_at = 0.0

    def stats(self) -> DurationStats:
        with self._lock:
            if self._stats is None or time.monotonic() - self._read_at > self.ttl:
                self._stats = read_duration_stats(self.database)
                self._read_at = time.monotonic()
            return self._stats


@dataclass(frozen=True)
class Forecast:
    queue_position: int | None
    eta_seconds: float | None


def running_remaining(
    stats: DurationStats,
    *,
    backend: str | None,
    checkpoint: str | None,
    progress: float,
    started_at: datetime | None,
    now: datetime,
) -> float | None:
    elapsed = (now - as_utc(started_at)).total_seconds() if started_at else 0.0
    if progress >= MIN_PROGRESS_FOR_EXTRAPOLATION and elapsed > 0:
        return elapsed * (1.0 - progress) / progress
    expected = stats.expected(backend, checkpoint)
    if expected is None:
        return None
    return max(0.0, expected - elapsed)


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def forecast_queue(
    database: Database,
    stats: DurationStats,
    parallel: int,
    *,
    up_to: JobRow | None = None,
) -> dict[str, Forecast]:
    """Position and ETA of every running and pending job, pending ones in the order workers
    take them (gaze.jobs.fair_queue: priority, round-robin turn, then queued time); only up
    to `up_to`, when given, since later ones cannot delay it."""
    now = utcnow()
    pending_filter = JobRow.status == PENDING
    if up_to is not None and up_to.queued_at is not None:
        pending_filter = and_(pending_filter, ahead_of_or_same(up_to))
    with database.engine.connect() as connection:
        running = connection.execute(
            select(
                JobRow.id, JobRow.backend, JobRow.checkpoint, JobRow.progress, JobRow.started_at
            ).where(JobRow.status == PROCESSING)
        ).all()
        pending = connection.execute(
            select(JobRow.id, JobRow.checkpoint).where(pending_filter).order_by(*PENDING_ORDER)
        ).all()
    forecasts: dict[str, Forecast] = {}
    free_at: list[float] = []
    unknown = False
    for job_id, backend, checkpoint, progress, started_at in running:
        remaining = running_remaining(
            stats,
            backend=backend,
            checkpoint=checkpoint,
            progress=progress or 0.0,
            started_at=started_at,
            now=now,
        )
        forecasts[job_id] = Forecast(queue_position=None, eta_seconds=_seconds(remaining))
        if remaining is None:
            unknown = True
        free_at.append(remaining or 0.0)
    workers = max(1, parallel, len(running))
    free_at += [0.0] * (workers - len(free_at))
    heapq.heapify(free_at)
    for position, (job_id, checkpoint) in enumerate(pending, start=1):
        expected = stats.expected(None, checkpoint)
        if expected is None:
            unknown = True
        start = heapq.heappop(free_at)
        finish = start + (expected or 0.0)
        heapq.heappush(free_at, finish)
        forecasts[job_id] = Forecast(
            queue_position=position, eta_seconds=None if unknown else _seconds(finish)
        )
    return forecasts
