"""Reading and changing job rows; every status change is one guarded UPDATE.

Each change that clients may care about also appends a job event (and the webhook
deliveries it calls for) in the same transaction, so an event exists exactly when the
change was committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Update

from gaze.db.connection import Database
from gaze.db.models import ImageRow, JobRow, utcnow
from gaze.events.store import EventStore, NewEvent
from gaze.events.types import (
    JOB_CANCELLED,
    JOB_DONE,
    JOB_FAILED,
    JOB_PROGRESS,
    JOB_QUEUED,
    JOB_STARTED,
)
from gaze.generation_spec import GenerationSpec
from gaze.jobs.cancellation import LocalCancellations
from gaze.jobs.eta import DurationCache
from gaze.jobs.fair_queue import (
    NORMAL,
    PENDING_ORDER,
    assign_turns,
    claim_update,
    next_pending_id,
)
from gaze.jobs.job_json import JobFields, event_job_json
from gaze.jobs.kinds import GENERATE
from gaze.jobs.polling import POLL_COLUMNS, JobPoller
from gaze.jobs.queue_bound import ensure_room, serialize_new_jobs
from gaze.jobs.quotas import ensure_daily_quota
from gaze.jobs.status import CANCELLED, DONE, FAILED, PENDING, PROCESSING
from gaze.webhooks.outbox import WebhookTarget, queue_deliveries

MAX_ATTEMPTS = 2
"""A job interrupted by a dying worker runs again once; the second interruption fails it."""
CLAIM_ATTEMPTS = 100
"""Picks a worker tries while other workers keep taking the job it picked."""

EVENT_COLUMNS = (*POLL_COLUMNS, JobRow.webhook_url, JobRow.webhook_events)
"""What a job event carries: the polled job JSON plus where its webhooks go."""


@dataclass(frozen=True)
class NewJob:
    label: str
    spec: GenerationSpec | dict[str, Any]
    """A generation's spec; for another kind of job, that job's request (plain JSON)."""
    output_folder: str
    preset_id: str | None = None
    preset_slug: str | None = None
    batch_id: str | None = None
    retry_of: str | None = None
    resolution: dict[str, Any] = field(default_factory=dict)
    webhook_url: str | None = None
    webhook_events: tuple[str, ...] | None = None
    kind: str = GENERATE
    api_key_id: str | None = None
    """The API key that queued it (`default` for the guide's key); None: the web UI."""
    priority: int = NORMAL
    """HIGH (1) runs before every NORMAL (0) pending job (gaze.jobs.fair_queue)."""


@dataclass(frozen=True)
class RecoveredJobs:
    requeued: list[str]
    failed: list[str]
    cancelled: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ProgressAnswer:
    recorded: bool
    cancel_requested: bool


def new_job_id() -> str:
    return str(uuid.uuid4())


class JobStore:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.events = EventStore(database)
        self.cancellations = LocalCancellations()
        self.durations = DurationCache(database)
        self.poller = JobPoller(database)

    # -- transactions that emit events ------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        """A transaction; after it commits, this process's event listeners are woken."""
        with self.database.session() as session:
            yield session
            emitted = bool(session.info.get("emitted"))
        if emitted:
            self.events.committed()

    def _emit(self, session: Session, event_type: str, jobs: Sequence[Any]) -> None:
        if not jobs:
            return
        events = self.events.append(
            session,
            [NewEvent(event_type, job.id, job.batch_id, event_job_json(job)) for job in jobs],
        )
        queue_deliveries(
            session,
            [
                (event, WebhookTarget(job.webhook_url, job.webhook_events))
                for event, job in zip(events, jobs, strict=True)
            ],
        )
        session.info["emitted"] = True

    def _transition(self, session: Session, statement: Update, event_type: str) -> list[Row[Any]]:
        rows = list(session.execute(statement.returning(*EVENT_COLUMNS)).all())
        self._emit(session, event_type, rows)
        return rows

    # -- creating ---------------------------------------------------------------------

    def create(
        self,
        jobs: list[NewJob],
        *,
        max_pending: int | None = None,
        daily_quota: int | None = None,
    ) -> list[JobRow]:
        """Insert the jobs (all of one API key) as pending, each with its round-robin turn
        (emitting job.queued). All or none: with `max_pending`, raises QueueFull if they would
        take the pending jobs past it; with `daily_quota`, QuotaExceeded if their key would
        pass its images per day."""
        now = utcnow()
        rows = [
            JobRow(
                id=new_job_id(),
                label=job.label,
                status=PENDING,
                preset_id=job.preset_id,
                preset_slug=job.preset_slug,
                batch_id=job.batch_id,
                retry_of=job.retry_of,
                kind=job.kind,
                spec=job.spec.to_dict() if isinstance(job.spec, GenerationSpec) else job.spec,
                checkpoint=job.spec.checkpoint if isinstance(job.spec, GenerationSpec) else None,
                resolution=job.resolution,
                output_folder=job.output_folder,
                webhook_url=job.webhook_url,
                webhook_events=list(job.webhook_events) if job.webhook_events else None,
                progress=0.0,
                attempts=0,
                cancel_requested=False,
                api_key_id=job.api_key_id,
                priority=job.priority,
                queue_turn=0,
                # distinct, increasing times: the queue order of one request's images
                created_at=now + timedelta(microseconds=index),
                queued_at=now + timedelta(microseconds=index),
            )
            for index, job in enumerate(jobs)
        ]
        with self._writing() as session:
            serialize_new_jobs(session)
            session.add_all(rows)
            session.flush()
            if max_pending is not None:
                ensure_room(session, max_pending, len(rows))
            if daily_quota is not None and rows and rows[0].api_key_id is not None:
                ids = [row.id for row in rows]
                ensure_daily_quota(session, rows[0].api_key_id, daily_quota, ids, now)
            assign_turns(session, rows)
            session.flush()
            self._emit(session, JOB_QUEUED, rows)
        return rows

    # -- reading ----------------------------------------------------------------------

    def get(self, job_id: str) -> JobRow | None:
        with self.database.session() as session:
            return session.get(JobRow, job_id)

    def batch(self, batch_id: str) -> list[JobRow]:
        with self.database.session() as session:
            return list(
                session.scalars(
                    select(JobRow)
                    .where(JobRow.batch_id == batch_id)
                    .order_by(JobRow.created_at, JobRow.id)
                )
            )

    def cancel_flag(self, job_id: str) -> bool:
        with self.database.engine.connect() as connection:
            return bool(
                connection.execute(
                    select(JobRow.cancel_requested).where(JobRow.id == job_id)
                ).scalar_one_or_none()
            )

    def pending_ids(self) -> list[str]:
        with self.database.session() as session:
            return list(
                session.execute(
                    select(JobRow.id).where(JobRow.status == PENDING).order_by(*PENDING_ORDER)
                ).scalars()
            )

    def running_workers(self) -> dict[str, str | None]:
        """job id -> worker id of every processing job."""
        with self.database.session() as session:
            rows = session.execute(
                select(JobRow.id, JobRow.worker_id).where(JobRow.status == PROCESSING)
            ).all()
        return {job_id: worker for job_id, worker in rows}

    # -- a worker running a job -------------------------------------------------------

    def claim(self, job_id: str, worker_id: str) -> JobRow | None:
        """Move a pending job to processing for this worker; None if it is not pending."""
        with self.database.session() as session:
            claimed = session.execute(claim_update(JobRow.id == job_id, worker_id)).first()
            return session.get(JobRow, job_id) if claimed else None

    def claim_next(self, worker_id: str) -> JobRow | None:
        """Claim the first pending job in the fair order (gaze.jobs.fair_queue) for this
        worker, in one UPDATE; None when nothing is pending. Another worker may take the same
        job between the pick and the guard: then this one picks again."""
        dialect = self.database.engine.dialect.name
        for _ in range(CLAIM_ATTEMPTS):
            with self.database.session() as session:
                claimed = session.execute(
                    claim_update(JobRow.id == next_pending_id(dialect).scalar_subquery(), worker_id)
                ).first()
                if claimed is not None:
                    return session.get(JobRow, claimed.id)
                if not session.scalar(select(JobRow.id).where(JobRow.status == PENDING).limit(1)):
                    return None
        return None

    def mark_started(self, job_id: str, worker_id: str, backend: str) -> bool:
        """Record the backend the job now runs on; emits job.started."""
        with self._writing() as session:
            return bool(
                self._transition(
                    session,
                    update(JobRow)
                    .where(_owned_running(job_id, worker_id))
                    .values(backend=backend, heartbeat_at=utcnow()),
                    JOB_STARTED,
                )
            )

    def record_progress(self, job_id: str, fraction: float) -> ProgressAnswer:
        """Store progress and a heartbeat (emits job.progress); says whether cancel was asked."""
        with self._writing() as session:
            rows = self._transition(
                session,
                update(JobRow)
                .where(and_(JobRow.id == job_id, JobRow.status == PROCESSING))
                .values(progress=max(0.0, min(1.0, fraction)), heartbeat_at=utcnow()),
                JOB_PROGRESS,
            )
        return ProgressAnswer(
            recorded=bool(rows), cancel_requested=bool(rows and rows[0].cancel_requested)
        )

    def heartbeat(self, job_id: str) -> None:
        with self.database.session() as session:
            session.execute(
                update(JobRow)
                .where(and_(JobRow.id == job_id, JobRow.status == PROCESSING))
                .values(heartbeat_at=utcnow())
            )

    def finish(
        self, job_id: str, worker_id: str, result: dict[str, Any], image: ImageRow | None
    ) -> bool:
        """Mark done and add the gallery row (if the job made an image) in one transaction.

        False when this worker no longer owns the running job (it was cancelled, or recovered
        and handed to another worker), so one job never completes twice.
        """
        with self._writing() as session:
            changed = self._transition(
                session,
                update(JobRow)
                .where(_owned_running(job_id, worker_id))
                .values(
                    status=DONE,
                    result=result,
                    progress=1.0,
                    backend=image.backend if image else JobRow.backend,
                    finished_at=utcnow(),
                ),
                JOB_DONE,
            )
            if changed and image is not None:
                session.add(image)
            return bool(changed)

    def fail(self, job_id: str, worker_id: str, error: str) -> None:
        with self._writing() as session:
            self._transition(
                session,
                update(JobRow)
                .where(_owned_running(job_id, worker_id))
                .values(status=FAILED, error=error, finished_at=utcnow()),
                JOB_FAILED,
            )

    def cancel_running(self, job_id: str, worker_id: str) -> None:
        with self._writing() as session:
            self._transition(
                session,
                update(JobRow)
                .where(_owned_running(job_id, worker_id))
                .values(status=CANCELLED, finished_at=utcnow()),
                JOB_CANCELLED,
            )

    # -- cancelling from outside ------------------------------------------------------

    def cancel_pending(self, job_ids: Sequence[str]) -> list[str]:
        """Cancel those of `job_ids` that are still pending; returns their ids."""
        if not job_ids:
            return []
        with self._writing() as session:
            rows = self._transition(
                session,
                update(JobRow)
                .where(and_(JobRow.id.in_(list(job_ids)), JobRow.status == PENDING))
                .values(status=CANCELLED, finished_at=utcnow()),
                JOB_CANCELLED,
            )
        return [row.id for row in rows]

    def cancel_all_pending(self) -> int:
        with self._writing() as session:
            rows = self._transition(
                session,
                update(JobRow)
                .where(JobRow.status == PENDING)
                .values(status=CANCELLED, finished_at=utcnow()),
                JOB_CANCELLED,
            )
        return len(rows)

    def request_cancel(self, job_ids: Sequence[str]) -> list[str]:
        """Flag running jobs to stop; their worker ends them `cancelled`. Returns their ids."""
        if not job_ids:
            return []
        with self.database.session() as session:
            rows = session.execute(
                update(JobRow)
                .where(and_(JobRow.id.in_(list(job_ids)), JobRow.status == PROCESSING))
                .values(cancel_requested=True)
                .returning(JobRow.id)
            ).all()
        flagged = [row.id for row in rows]
        for job_id in flagged:
            self.cancellations.trigger(job_id)
        return flagged

    def fail_unqueued(self, job_ids: list[str], error: str) -> None:
        """Fail pending jobs that could not be put on the queue."""
        with self._writing() as session:
            self._transition(
                session,
                update(JobRow)
                .where(and_(JobRow.id.in_(job_ids), JobRow.status == PENDING))
                .values(status=FAILED, error=error, finished_at=utcnow()),
                JOB_FAILED,
            )

    # -- recovery ---------------------------------------------------------------------

    def recover_interrupted(
        self, stale_before: datetime, dead_workers: frozenset[str] = frozenset()
    ) -> RecoveredJobs:
        """Jobs left `processing` by a dead worker (known dead, or silent since `stale_before`):
        queued again once, failed with an explanation the second time, cancelled when a
        cancel had been asked for."""
        requeued: list[str] = []
        failed: list[str] = []
        cancelled: list[str] = []
        with self._writing() as session:
            rows = session.execute(
                select(JobRow.id, JobRow.attempts, JobRow.worker_id, JobRow.cancel_requested).where(
                    and_(
                        JobRow.status == PROCESSING,
                        or_(JobRow.heartbeat_at < stale_before, JobRow.worker_id.in_(dead_workers)),
                    )
                )
            ).all()
            for job_id, attempts, worker_id, cancel_requested in rows:
                guard = update(JobRow).where(_owned_running(job_id, worker_id))
                if cancel_requested:
                    event, values = JOB_CANCELLED, {"status": CANCELLED, "finished_at": utcnow()}
                    cancelled.append(job_id)
                elif attempts < MAX_ATTEMPTS:
                    event = JOB_QUEUED
                    values = {
                        "status": PENDING,
                        "worker_id": None,
                        "progress": 0.0,
                        "backend": None,
                        "queued_at": utcnow(),
                    }
                    requeued.append(job_id)
                else:
                    event = JOB_FAILED
                    values = {
                        "status": FAILED,
                        "finished_at": utcnow(),
                        "error": (
                            f"The worker stopped while generating this image, {attempts} times; "
                            "giving up so that it does not block the queue."
                        ),
                    }
                    failed.append(job_id)
                self._transition(session, guard.values(**values), event)
        return RecoveredJobs(requeued=requeued, failed=failed, cancelled=cancelled)


def _owned_running(job_id: str, worker_id: str | None) -> Any:
    return and_(JobRow.id == job_id, JobRow.status == PROCESSING, JobRow.worker_id == worker_id)


def stale_cutoff(seconds: float) -> datetime:
    return utcnow() - timedelta(seconds=seconds)


__all__ = ["JobFields", "JobStore", "NewJob", "ProgressAnswer", "RecoveredJobs", "new_job_id"]
