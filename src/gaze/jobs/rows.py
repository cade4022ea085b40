"""Job rows read for the UI: by id in the order asked, the next pending ones, their seeds and
kinds."""

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


def seeds_of_jobs(database: Database, job_ids: Sequence[str]) -> dict[str, int]:
    """The seed each job generates with (from its resolved spec), by job id."""
    seeds: dict[str, int] = {}
    for row in job_rows(database, job_ids):
        seed = (row.spec or {}).get("seed")
        if isinstance(seed, int):
            seeds[row.id] = seed
    return seeds


def kinds_of_jobs(database: Database, job_ids: Sequence[str]) -> dict[str, str]:
    """Each job's kind (`gaze.jobs.kinds`), by job id."""
    if not job_ids:
        return {}
    with database.session() as session:
        rows = session.execute(select(JobRow.id, JobRow.kind).where(JobRow.id.in_(job_ids)))
        return {job_id: kind for job_id, kind in rows}
