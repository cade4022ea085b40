"""Job rows the queue page and the preset page show."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from gaze.db.connection import Database
from gaze.db.models import JobRow
from gaze.jobs.status import PENDING


def job_rows(database: Database, job_ids: Sequence[str]) -> list[JobRow]:
    """The jobs with these ids, in the order asked."""
    if not job_ids:
        return []
    with database.session() as session:
        rows = {
            row.id: row for row in session.scalars(select(JobRow).where(JobRow.id.in_(job_ids)))
        }
    return [rows[job_id] for job_id in job_ids if job_id in rows]


def next_pending_jobs(database: Database, limit: int) -> list[JobRow]:
    """The first `limit` pending jobs in queue order."""
    with database.session() as session:
        return list(
            session.scalars(
                select(JobRow)
                .where(JobRow.status == PENDING)
                .order_by(JobRow.queued_at, JobRow.id)
                .limit(limit)
            )
        )
