"""Putting new jobs in the queue: every way of queueing jobs comes here, so the
pending-jobs bound (GAZE_MAX_PENDING_JOBS) holds for all of them."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from gaze.jobs.context import JobContext
from gaze.jobs.queue_bound import QueueFull, retry_after_seconds
from gaze.jobs.store import NewJob
from gaze.service_errors import Busy, ServiceError

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


def queue_new_jobs(context: JobContext, batch_id: str, new_jobs: list[NewJob]) -> Submission:
    """Create the jobs (emitting job.queued) and put their ids on the queue."""
    limit = context.settings.max_pending_jobs
    if len(new_jobs) > limit:
        raise GenerationRejected(
            f"This request asks for {len(new_jobs)} images, but at most {limit} jobs may be "
            "pending (GAZE_MAX_PENDING_JOBS); ask for fewer.",
            code="count_over_queue_limit",
        )
    try:
        rows = context.jobs.create(new_jobs, max_pending=limit)
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
