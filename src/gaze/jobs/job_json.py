"""The JSON a job is reported as: the guide's fields first, then GAZE's additions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gaze.db.models import JobRow
from gaze.jobs.status import DONE


def iso_utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def job_json(job: JobRow) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": job.id,
        "label": job.label,
        "status": job.status,
        "error": job.error,
    }
    if job.status == DONE and job.result is not None:
        body["result"] = job.result
    body.update(
        progress=round(job.progress or 0.0, 4),
        preset=job.preset_slug,
        batch_id=job.batch_id,
        retry_of=job.retry_of,
        backend=job.backend,
        created_at=iso_utc(job.created_at),
        started_at=iso_utc(job.started_at),
        finished_at=iso_utc(job.finished_at),
    )
    return body
