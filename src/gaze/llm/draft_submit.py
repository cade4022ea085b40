"""Queueing a draft job for the API and the UI, and reading how it ended."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from gaze.db.models import JobRow
from gaze.jobs.context import JobContext
from gaze.jobs.kinds import DRAFT
from gaze.jobs.status import CANCELLED, DONE, FAILED
from gaze.jobs.store import NewJob
from gaze.jobs.submission import queue_new_jobs
from gaze.llm.draft_runner import llm_server
from gaze.llm.drafting import DraftTask
from gaze.llm.errors import INVALID_ANSWER_INTRO
from gaze.service_errors import Conflict, NotFound, ServiceError


class LlmNotConfigured(ServiceError):
    status = 503
    default_code = "llm_not_configured"

    def __init__(self) -> None:
        super().__init__(
            "No LLM server is configured: set GAZE_LLM_URL (and GAZE_LLM_MODEL) to an "
            "OpenAI-compatible server to draft with AI."
        )


class DraftFailed(ServiceError):
    """The draft job failed: the model's answer was invalid after a retry, or the LLM server
    failed (502)."""

    status = 502

    def __init__(self, job_id: str, message: str) -> None:
        code = "llm_invalid_answer" if message.startswith(INVALID_ANSWER_INTRO) else "llm_failed"
        super().__init__(f"Draft job {job_id!r} failed: {message}", code=code)


def llm_configured(context: JobContext) -> bool:
    return llm_server(context.settings) is not None


def submit_draft(context: JobContext, task: DraftTask) -> str:
    """Queue the task as a draft job; its id. LlmNotConfigured without an LLM server."""
    if not llm_configured(context):
        raise LlmNotConfigured()
    batch_id = str(uuid.uuid4())
    new_job = NewJob(
        label=task.label,
        spec=task.to_payload(),
        output_folder="",
        batch_id=batch_id,
        kind=DRAFT,
    )
    return queue_new_jobs(context, batch_id, [new_job]).job_ids[0]


@dataclass(frozen=True)
class DraftOutcome:
    """A draft job as far as it got: its result when done, None while it runs."""

    job_id: str
    result: dict[str, Any] | None


def draft_outcome(context: JobContext, job_id: str) -> DraftOutcome:
    """The result of a finished draft job, None while it runs; DraftFailed when it failed,
    Conflict when it was cancelled."""
    job: JobRow | None = context.jobs.get(job_id)
    if job is None or job.kind != DRAFT:
        raise NotFound(f"No draft job with id {job_id!r}.", code="job_not_found")
    if job.status == DONE:
        return DraftOutcome(job_id, job.result)
    if job.status == FAILED:
        raise DraftFailed(job_id, job.error or "no reason recorded")
    if job.status == CANCELLED:
        raise Conflict(f"Draft job {job_id!r} was cancelled.", code="draft_cancelled")
    return DraftOutcome(job_id, None)


def draft_status(context: JobContext, job_id: str) -> dict[str, Any]:
    """What the UI polls: status, progress, the error of a failed draft job and the result
    of a done one."""
    job: JobRow | None = context.jobs.get(job_id)
    if job is None or job.kind != DRAFT:
        raise NotFound(f"No draft job with id {job_id!r}.", code="job_not_found")
    status: dict[str, Any] = {
        "job_id": job.id,
        "status": job.status,
        "progress": round(job.progress or 0.0, 4),
        "error": job.error,
    }
    if job.status == DONE and job.result is not None:
        status["result"] = job.result
    return status
