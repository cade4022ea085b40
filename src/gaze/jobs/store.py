"""Reading and changing job rows; every status change is one guarded UPDATE."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update

from gaze.db.connection import Database
from gaze.db.models import ImageRow, JobRow, utcnow
from gaze.generation_spec import GenerationSpec
from gaze.jobs.status import CANCELLED, DONE, FAILED, PENDING, PROCESSING

MAX_ATTEMPTS = 2
"""A job interrupted by a dying worker runs again once; the second interruption fails it."""


@dataclass(frozen=True)
class NewJob:
    label: str
    spec: GenerationSpec
    output_folder: str
    preset_id: str | None = None
    preset_slug: str | None = None
    batch_id: str | None = None
    retry_of: str | None = None
    resolution: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecoveredJobs:
    requeued: list[str]
    failed: list[str]


def new_job_id() -> str:
    return str(uuid.uuid4())


class JobStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def create(self, jobs: list[NewJob]) -> list[JobRow]:
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
                spec=job.spec.to_dict(),
                resolution=job.resolution,
                output_folder=job.output_folder,
                progress=0.0,
                attempts=0,
                cancel_requested=False,
                created_at=now,
            )
            for job in jobs
        ]
        with self.database.session() as session:
            session.add_all(rows)
        return rows

    def get(self, job_id: str) -> JobRow | None:
        with self.database.session() as session:
            return session.get(JobRow, job_id)

    def claim(self, job_id: str, worker_id: str) -> JobRow | None:
        """Move a pending job to processing for this worker; None if it is not pending."""
        now = utcnow()
        with self.database.session() as session:
            claimed = session.execute(
                update(JobRow)
                .where(and_(JobRow.id == job_id, JobRow.status == PENDING))
                .values(
                    status=PROCESSING,
                    worker_id=worker_id,
                    started_at=now,
                    heartbeat_at=now,
                    progress=0.0,
                    attempts=JobRow.attempts + 1,
                )
            ).rowcount
            return session.get(JobRow, job_id) if claimed else None

    def set_backend(self, job_id: str, backend: str) -> None:
        self._update_running(job_id, backend=backend)

    def record_progress(self, job_id: str, fraction: float) -> bool:
        """Store progress and a heartbeat; returns whether the job was asked to cancel."""
        with self.database.session() as session:
            session.execute(
                update(JobRow)
                .where(and_(JobRow.id == job_id, JobRow.status == PROCESSING))
                .values(progress=max(0.0, min(1.0, fraction)), heartbeat_at=utcnow())
            )
            return bool(
                session.execute(
                    select(JobRow.cancel_requested).where(JobRow.id == job_id)
                ).scalar_one_or_none()
            )

    def heartbeat(self, job_id: str) -> None:
        self._update_running(job_id, heartbeat_at=utcnow())

    def finish(self, job_id: str, worker_id: str, result: dict[str, Any], image: ImageRow) -> bool:
        """Mark done and add the gallery row in one transaction.

        False when this worker no longer owns the running job (it was cancelled, or recovered
        and handed to another worker), so one job never completes twice.
        """
        with self.database.session() as session:
            changed = session.execute(
                update(JobRow)
                .where(_owned_running(job_id, worker_id))
                .values(
                    status=DONE,
                    result=result,
                    progress=1.0,
                    backend=image.backend,
                    finished_at=utcnow(),
                )
            ).rowcount
            if changed:
                session.add(image)
            return bool(changed)

    def fail(self, job_id: str, worker_id: str, error: str) -> None:
        with self.database.session() as session:
            session.execute(
                update(JobRow)
                .where(_owned_running(job_id, worker_id))
                .values(status=FAILED, error=error, finished_at=utcnow())
            )

    def cancel_running(self, job_id: str, worker_id: str) -> None:
        with self.database.session() as session:
            session.execute(
                update(JobRow)
                .where(_owned_running(job_id, worker_id))
                .values(status=CANCELLED, finished_at=utcnow())
            )

    def fail_unqueued(self, job_ids: list[str], error: str) -> None:
        """Fail pending jobs that could not be put on the queue."""
        with self.database.session() as session:
            session.execute(
                update(JobRow)
                .where(and_(JobRow.id.in_(job_ids), JobRow.status == PENDING))
                .values(status=FAILED, error=error, finished_at=utcnow())
            )

    def pending_ids(self) -> list[str]:
        with self.database.session() as session:
            return list(
                session.execute(
                    select(JobRow.id).where(JobRow.status == PENDING).order_by(JobRow.created_at)
                ).scalars()
            )

    def running_workers(self) -> dict[str, str | None]:
        """job id -> worker id of every processing job."""
        with self.database.session() as session:
            rows = session.execute(
                select(JobRow.id, JobRow.worker_id).where(JobRow.status == PROCESSING)
            ).all()
        return {job_id: worker for job_id, worker in rows}

    def recover_interrupted(
        self, stale_before: datetime, dead_workers: frozenset[str] = frozenset()
    ) -> RecoveredJobs:
        """Jobs left `processing` by a dead worker (known dead, or silent since `stale_before`):
        queued again once, failed with an explanation the second time."""
        requeued: list[str] = []
        failed: list[str] = []
        with self.database.session() as session:
            rows = session.execute(
                select(JobRow.id, JobRow.attempts, JobRow.worker_id).where(
                    and_(
                        JobRow.status == PROCESSING,
                        or_(JobRow.heartbeat_at < stale_before, JobRow.worker_id.in_(dead_workers)),
                    )
                )
            ).all()
            for job_id, attempts, worker_id in rows:
                guard = _owned_running(job_id, worker_id)
                if attempts < MAX_ATTEMPTS:
                    values: dict[str, Any] = {"status": PENDING, "worker_id": None, "progress": 0.0}
                    requeued.append(job_id)
                else:
                    values = {
                        "status": FAILED,
                        "finished_at": utcnow(),
                        "error": (
                            f"The worker stopped while generating this image, {attempts} times; "
                            "giving up so that it does not block the queue."
                        ),
                    }
                    failed.append(job_id)
                session.execute(update(JobRow).where(guard).values(**values))
        return RecoveredJobs(requeued=requeued, failed=failed)

    def _update_running(self, job_id: str, **values: Any) -> None:
        with self.database.session() as session:
            session.execute(
                update(JobRow)
                .where(and_(JobRow.id == job_id, JobRow.status == PROCESSING))
                .values(**values)
            )


def _owned_running(job_id: str, worker_id: str | None) -> Any:
    return and_(JobRow.id == job_id, JobRow.status == PROCESSING, JobRow.worker_id == worker_id)


def stale_cutoff(seconds: float) -> datetime:
    return utcnow() - timedelta(seconds=seconds)
