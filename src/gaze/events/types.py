"""The job events GAZE emits, and the envelope they travel in (SSE data, webhook body)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from gaze.events.timestamps import iso_utc

JOB_QUEUED = "job.queued"
JOB_STARTED = "job.started"
JOB_PROGRESS = "job.progress"
JOB_DONE = "job.done"
JOB_FAILED = "job.failed"
JOB_CANCELLED = "job.cancelled"

EVENT_TYPES = (JOB_QUEUED, JOB_STARTED, JOB_PROGRESS, JOB_DONE, JOB_FAILED, JOB_CANCELLED)


@dataclass(frozen=True)
class JobEvent:
    """One event; `id` grows with every event of every job and is the SSE event id."""

    id: int
    type: str
    job_id: str
    batch_id: str | None
    job: dict[str, Any]
    created_at: datetime

    def envelope(self) -> dict[str, Any]:
        """What subscribers and webhooks receive: the event and the job as it was then."""
        return {
            "id": self.id,
            "type": self.type,
            "created_at": iso_utc(self.created_at),
            "job": self.job,
        }

    @cached_property
    def envelope_json(self) -> str:
        """The envelope as compact JSON, encoded once however many subscribers send it."""
        return json.dumps(self.envelope(), ensure_ascii=False, separators=(",", ":"))


MAX_EVENT_ID = 2**63 - 1
"""Event ids are database row ids: signed 64-bit integers."""


def event_id_or_none(text: str) -> int | None:
    """The event id written in `text` (ASCII digits, 0..MAX_EVENT_ID), or None."""
    if text.isascii() and text.isdigit() and int(text) <= MAX_EVENT_ID:
        return int(text)
    return None
