"""Putting new jobs in the queue: every way of queueing jobs comes here, so the
pending-jobs bound (GAZE_MAX_PENDING_JOBS), the caller's images per day and its right to
`"priority": "high"` hold for all of them, and every job records the API key that made it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from gaze.jobs.context import JobContext
from gaze.jobs.fair_queue import HIGH, NORMAL
from gaze.jobs.kinds import GENERATE
from gaze.jobs.queue_bound import QueueFull, retry_after_seconds
from gaze.jobs.quotas import QuotaExceeded
from gaze.jobs.store import NewJob
from gaze.security.caller import current_caller
from gaze.security.principal import Principal
from gaze.service_errors import Busy, Forbidden, ServiceError

log = logging.getLogger(__name__)


class GenerationRejected(ServiceError):
    """A generation GAZE will not queue (400 unless said)."""


class QueueFullRejected(Busy):
    """The request would take the pending jobs past GAZE_MAX_PENDING_JOBS: 429, Retry-After."""

    def __init__(self, full: QueueFull, retry_after: int) -> None:
        super().__init__(
            f"{full} Try again in about {retry_after} s.",
            code="queue_full",
            headers={"Retry-After": str(retry_after)},
        )
        self.limit = full.limit
        self.pending = full.pending
        self.retry_after = retry_after


class DailyQuotaExceeded(Busy):
    """The caller's key would pass its images per day: 429, Retry-After."""

    def __init__(self, caller: Principal, exceeded: QuotaExceeded) -> None:
        super().__init__(
            f"The API key '{caller.name}' may queue at most {exceeded.limit} images per day "
            f"(any 24 hours); it queued {exceeded.used} in the last 24 hours and this request "
            f"adds {exceeded.wanted}. Nothing was queued. Try again in {exceeded.retry_after} s.",
            code="daily_quota_exceeded",
            headers={"Retry-After": str(exceeded.retry_after)},
        )
        self.retry_after = exceeded.retry_after


class PriorityNotAllowed(Forbidden):
    """`"priority": "high"` from a key not allowed it: 403."""

    def __init__(self, caller: Principal) -> None:
        super().__init__(
            f'The API key \'{caller.name}\' may not ask for "priority": "high" (its '
            'high_priority setting is off); leave priority out or send "normal".',
            code="priority_not_allowed",
        )


@dataclass(frozen=True)
class Submission:
    batch_id: str
    job_ids: list[str]

    def to_json(self) -> dict[str, object]:
        """The 202 body of generate and retry."""
        return {
            "jobs": [{"job_id": job_id, "status": "queued"} for job_id in self.job_ids],
            "batch_id": self.batch_id,
        }


def stamped_by_caller(new_jobs: list[NewJob], caller: Principal, priority: int) -> list[NewJob]:
    """The jobs with the caller's key and the priority, once the caller may have it."""
    if priority == HIGH and not caller.high_priority:
        raise PriorityNotAllowed(caller)
    return [replace(job, api_key_id=caller.key_id, priority=priority) for job in new_jobs]


def check_request_fits_quota(caller: Principal, new_jobs: list[NewJob]) -> None:
    images = sum(1 for job in new_jobs if job.kind == GENERATE)
    if caller.daily_quota is not None and images > caller.daily_quota:
        raise GenerationRejected(
            f"This request asks for {images} images, but the API key '{caller.name}' may queue "
            f"at most {caller.daily_quota} images per day; ask for fewer.",
            code="count_over_daily_quota",
        )


def queue_new_jobs(
    context: JobContext, batch_id: str, new_jobs: list[NewJob], *, priority: int = NORMAL
) -> Submission:
    """Create the jobs for the caller of the request being served (emitting job.queued) and
    put a "run the next job" token per job on the queue. Raises PriorityNotAllowed,
    GenerationRejected, QueueFullRejected, DailyQuotaExceeded."""
    caller = current_caller()
    new_jobs = stamped_by_caller(new_jobs, caller, priority)
    check_request_fits_quota(caller, new_jobs)
    limit = context.settings.max_pending_jobs
    if len(new_jobs) > limit:
        raise GenerationRejected(
            f"This request asks for {len(new_jobs)} images, but at most {limit} jobs may be "
            "pending (GAZE_MAX_PENDING_JOBS); ask for fewer.",
            code="count_over_queue_limit",
        )
    try:
        rows = context.jobs.create(new_jobs, max_pending=limit, daily_quota=caller.daily_quota)
    except QuotaExceeded as exceeded:
        raise DailyQuotaExceeded(caller, exceeded) from None
    except QueueFull as full:
        wait = retry_after_seconds(
            context.jobs.durations.stats().overall, context.settings.worker_count, full.must_leave
        )
        raise QueueFullRejected(full, wait) from None
    queued: list[str] = []
    try:
        for job in rows:
            context.queue.enqueue(job.id)
            queued.append(job.id)
    except Exception as error:
        log.exception("could not put jobs on the queue")
        unqueued = [job.id for job in rows if job.id not in queued]
        context.jobs.fail_unqueued(unqueued, f"Could not put the job on the queue: {error}")
        if not queued:
            raise
    return Submission(batch_id=batch_id, job_ids=[job.id for job in rows])
