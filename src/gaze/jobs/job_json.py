"""The JSON a job is reported as: the guide's fields first, then GAZE's additions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from gaze.events.timestamps import iso_utc
from gaze.jobs.status import DONE

__all__ = ["JobFields", "iso_utc", "job_json"]


class JobFields(Protocol):
    """What job_json reads: a JobRow, or a Core row of the same columns."""

    @property
    def id(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def error(self) -> str | None: ...
    @property
    def result(self) -> dict[str, Any] | None: ...
    @property
    def progress(self) -> float: ...
    @property
    def preset_slug(self) -> str | None: ...
    @property
    def batch_id(self) -> str | None: ...
    @property
    def retry_of(self) -> str | None: ...
    @property
    def backend(self) -> str | None: ...
    @property
    def cancel_requested(self) -> bool: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def started_at(self) -> datetime | None: ...
    @property
    def finished_at(self) -> datetime | None: ...


def job_json(
    job: JobFields, *, queue_position: int | None = None, eta_seconds: float | None = None
) -> dict[str, Any]:
    """The guide's `id, label, status, error, result` (result only when done), then the rest.

    `queue_position` and `eta_seconds` change without the job changing; callers that know
    them pass them in (GET /job, lists). Event payloads carry the job without them.
    """
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
        queue_position=queue_position,
        eta_seconds=eta_seconds,
        preset=job.preset_slug,
        batch_id=job.batch_id,
        retry_of=job.retry_of,
        backend=job.backend,
        cancel_requested=bool(job.cancel_requested),
        created_at=iso_utc(job.created_at),
        started_at=iso_utc(job.started_at),
        finished_at=iso_utc(job.finished_at),
    )
    return body


def event_job_json(job: JobFields) -> dict[str, Any]:
    """The job inside an event: everything except the fields that change by themselves."""
    body = job_json(job)
    del body["queue_position"], body["eta_seconds"]
    return body
