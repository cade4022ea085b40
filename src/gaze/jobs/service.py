"""What the API, the web UI and the CLI do with jobs: look, list, cancel, retry, clear.

Every function takes the process's JobContext and raises service errors (gaze.service_errors)
for the caller to turn into HTTP answers or messages; none of them knows about HTTP.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from gaze.db.models import JobRow
from gaze.engines.model_lists import preflight_problem
from gaze.generation_spec import GenerationSpec
from gaze.jobs.context import JobContext
from gaze.jobs.eta import Forecast, forecast_queue
from gaze.jobs.job_json import job_json
from gaze.jobs.kinds import RETRYABLE_KINDS
from gaze.jobs.listing import DEFAULT_LIMIT, JobFilter, page_of_jobs
from gaze.jobs.status import ACTIVE, CANCELLED, DONE, FAILED, PENDING, PROCESSING
from gaze.jobs.store import NewJob
from gaze.jobs.submission import GenerationRejected, Submission, queue_new_jobs
from gaze.security.principal import Principal
from gaze.service_errors import Conflict, NotFound
from gaze.webhooks.deliveries import DeliveryStore

STATUSES = (PENDING, PROCESSING, DONE, FAILED, CANCELLED)


class JobNotFound(NotFound):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"No job with id {job_id!r}.", code="job_not_found")
        self.job_id = job_id


class BatchNotFound(NotFound):
    def __init__(self, batch_id: str) -> None:
        super().__init__(f"No batch with id {batch_id!r}.", code="batch_not_found")
        self.batch_id = batch_id


class JobStillActive(Conflict):
    def __init__(self, job_id: str, status: str) -> None:
        super().__init__(
            f"Job {job_id!r} is {status}; only a finished job (done, failed or cancelled) "
            "can be retried. Cancel it first.",
            code="job_active",
        )
        self.job_id = job_id


@dataclass(frozen=True)
class JobPage:
    jobs: list[dict[str, Any]]
    next_cursor: str | None


@dataclass(frozen=True)
class QueueOverview:
    pending: int
    processing: int

    def to_json(self) -> dict[str, int]:
        return {"pending": self.pending, "processing": self.processing}


@dataclass(frozen=True)
class BatchView:
    batch_id: str
    jobs: list[dict[str, Any]]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for job in self.jobs:
            counts[job["status"]] = counts.get(job["status"], 0) + 1
        return counts

    @property
    def status(self) -> str:
        """processing while any job is active, else done when all are, else the mix's worst."""
        counts = self.counts
        if counts[PENDING] or counts[PROCESSING]:
            return PROCESSING if counts[PROCESSING] or counts[DONE] else PENDING
        if counts[FAILED]:
            return FAILED
        if counts[CANCELLED] and not counts[DONE]:
            return CANCELLED
        return DONE

    def to_json(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "status": self.status,
            "total": len(self.jobs),
            "counts": self.counts,
            "jobs": self.jobs,
        }


# -- looking ----------------------------------------------------------------------------


def parallel_workers(context: JobContext) -> int:
    return context.settings.worker_count


def forecasts(context: JobContext, up_to: JobRow | None = None) -> dict[str, Forecast]:
    return forecast_queue(
        context.database, context.jobs.durations.stats(), parallel_workers(context), up_to=up_to
    )


def live_job_json(context: JobContext, job: JobRow) -> dict[str, Any]:
    """The job with its queue position and ETA (computed only while it is active)."""
    if job.status not in ACTIVE:
        return job_json(job)
    forecast = forecasts(context, up_to=job if job.status == PENDING else None).get(job.id)
    if forecast is None:
        return job_json(job)
    return job_json(job, queue_position=forecast.queue_position, eta_seconds=forecast.eta_seconds)


def jobs_json(context: JobContext, jobs: Sequence[JobRow]) -> list[dict[str, Any]]:
    known = forecasts(context) if any(job.status in ACTIVE for job in jobs) else {}
    answers = []
    for job in jobs:
        forecast = known.get(job.id) if job.status in ACTIVE else None
        answers.append(
            job_json(
                job,
                queue_position=forecast.queue_position if forecast else None,
                eta_seconds=forecast.eta_seconds if forecast else None,
            )
        )
    return answers


def may_see(viewer: Principal | None, job: JobRow) -> bool:
    """Ownership: a key that is not admin sees only the jobs it made (None: no check, for
    the web UI and the CLI, which act as the admin)."""
    return viewer is None or viewer.may_see_job_of(job.api_key_id)


def get_job(context: JobContext, job_id: str, viewer: Principal | None = None) -> JobRow:
    """The job; JobNotFound also when `viewer` may not see it (another key's job)."""
    job = context.jobs.get(job_id)
    if job is None or not may_see(viewer, job):
        raise JobNotFound(job_id)
    return job


def batch_rows(context: JobContext, batch_id: str, viewer: Principal | None = None) -> list[JobRow]:
    """The batch's jobs `viewer` may see; BatchNotFound when none."""
    rows = [job for job in context.jobs.batch(batch_id) if may_see(viewer, job)]
    if not rows:
        raise BatchNotFound(batch_id)
    return rows


def list_jobs(
    context: JobContext,
    status: str | Sequence[str] | None = None,
    preset: str | None = None,
    batch_id: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    viewer: Principal | None = None,
) -> JobPage:
    """Newest first. `status` may be one status or several; a `viewer` that is not admin
    lists only its own jobs. Raises InvalidCursor."""
    statuses = [status] if isinstance(status, str) else list(status) if status else None
    only_key = viewer is not None and not viewer.is_admin
    page = page_of_jobs(
        context.database,
        JobFilter(
            statuses=statuses,
            preset=preset,
            batch_id=batch_id,
            only_key=only_key,
            key_id=viewer.key_id if viewer is not None and only_key else None,
        ),
        limit,
        cursor,
    )
    return JobPage(jobs=jobs_json(context, page.rows), next_cursor=page.next_cursor)


def batch_view(context: JobContext, batch_id: str, viewer: Principal | None = None) -> BatchView:
    rows = batch_rows(context, batch_id, viewer)
    return BatchView(batch_id=batch_id, jobs=jobs_json(context, rows))


def queue_overview(context: JobContext) -> QueueOverview:
    with context.database.engine.connect() as connection:
        rows = connection.execute(
            select(JobRow.status, func.count())
            .where(JobRow.status.in_((PENDING, PROCESSING)))
            .group_by(JobRow.status)
        ).all()
    counts = {status: int(count) for status, count in rows}
    return QueueOverview(pending=counts.get(PENDING, 0), processing=counts.get(PROCESSING, 0))


def webhook_deliveries(
    context: JobContext, job_id: str, viewer: Principal | None = None
) -> list[dict[str, Any]]:
    get_job(context, job_id, viewer)
    return DeliveryStore(context.database).for_job(job_id)


# -- changing ---------------------------------------------------------------------------


def _cancel(context: JobContext, job_ids: Sequence[str]) -> None:
    """Pending jobs end `cancelled` now; running ones are told to stop."""
    context.jobs.cancel_pending(job_ids)
    context.jobs.request_cancel(job_ids)


def cancel_job(context: JobContext, job_id: str, viewer: Principal | None = None) -> JobRow:
    """Cancel one job. A finished job is left as it is (cancel is idempotent); a running one
    is stopped on its backend by its worker, which then marks it `cancelled`."""
    job = get_job(context, job_id, viewer)
    if job.status in ACTIVE:
        _cancel(context, [job_id])
        job = get_job(context, job_id)
    return job


def cancel_batch(context: JobContext, batch_id: str, viewer: Principal | None = None) -> BatchView:
    rows = batch_rows(context, batch_id, viewer)
    _cancel(context, [job.id for job in rows if job.status in ACTIVE])
    return batch_view(context, batch_id, viewer)


def clear_pending(context: JobContext) -> int:
    """Cancel every pending job; returns how many. Running jobs go on."""
    return context.jobs.cancel_all_pending()


def retry_job(context: JobContext, job_id: str, viewer: Principal | None = None) -> Submission:
    """Queue the job's exact generation again (same resolved spec and seed), as a new job
    with `retry_of` set, in a batch of its own."""
    job = get_job(context, job_id, viewer)
    if job.status in ACTIVE:
        raise JobStillActive(job_id, job.status)
    if job.kind not in RETRYABLE_KINDS:
        raise Conflict(
            f"Job {job_id!r} is a {job.kind} job; only image generations can be retried "
            "(ask for a new draft instead).",
            code="job_not_retryable",
        )
    spec = GenerationSpec.from_dict(job.spec)
    problem = preflight_problem(spec, context.model_lists())
    if problem:
        raise GenerationRejected(f"job {job_id!r}: {problem}", code="model_not_available")
    batch_id = str(uuid.uuid4())
    retry = NewJob(
        label=job.label,
        spec=spec,
        output_folder=job.output_folder,
        preset_id=job.preset_id,
        preset_slug=job.preset_slug,
        batch_id=batch_id,
        retry_of=job.id,
        resolution=dict(job.resolution or {}),
        webhook_url=job.webhook_url,
        webhook_events=tuple(job.webhook_events) if job.webhook_events else None,
    )
    return queue_new_jobs(context, batch_id, [retry])


SNAPSHOT_LIMIT = 500


def event_snapshot(
    context: JobContext, job_id: str | None = None, batch_id: str | None = None
) -> dict[str, Any]:
    """What an event stream starts with: the watched job or batch, or every active job
    (up to 500, oldest first), and the queue's counts. Raises JobNotFound, BatchNotFound."""
    if job_id is not None:
        job = get_job(context, job_id)
        if batch_id is not None and job.batch_id != batch_id:
            raise BatchNotFound(batch_id)
        jobs = [live_job_json(context, job)]
    elif batch_id is not None:
        jobs = batch_view(context, batch_id).jobs
    else:
        with context.database.session() as session:
            rows = list(
                session.scalars(
                    select(JobRow)
                    .where(JobRow.status.in_((PENDING, PROCESSING)))
                    .order_by(JobRow.queued_at, JobRow.id)
                    .limit(SNAPSHOT_LIMIT)
                )
            )
        jobs = jobs_json(context, rows)
    return {"jobs": jobs, "queue": queue_overview(context).to_json()}
