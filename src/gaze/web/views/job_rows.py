"""Job rows the queue page and the preset page show, their seeds and their batches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

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


@dataclass
class BatchGroup:
    """Jobs of one generate request, in the order the list shows them."""

    batch_id: str | None
    jobs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def short_id(self) -> str:
        return (self.batch_id or "")[:8]


def group_by_batch(jobs: Sequence[dict[str, Any]]) -> list[BatchGroup]:
    """Jobs grouped by batch, each group where its first job is; jobs without one stand alone."""
    groups: list[BatchGroup] = []
    by_batch: dict[str, BatchGroup] = {}
    for job in jobs:
        batch_id = job.get("batch_id")
        if batch_id is None:
            groups.append(BatchGroup(None, [job]))
            continue
        if batch_id not in by_batch:
            by_batch[batch_id] = BatchGroup(batch_id)
            groups.append(by_batch[batch_id])
        by_batch[batch_id].jobs.append(job)
    return groups
