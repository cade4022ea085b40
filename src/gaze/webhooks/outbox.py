"""Queueing webhook deliveries in the transaction that records the event."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from gaze.db.models import WebhookDeliveryRow, utcnow
from gaze.events.types import (
    JOB_CANCELLED,
    JOB_DONE,
    JOB_FAILED,
    JOB_QUEUED,
    JOB_STARTED,
    JobEvent,
)

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"

DEFAULT_WEBHOOK_EVENTS = (JOB_QUEUED, JOB_STARTED, JOB_DONE, JOB_FAILED, JOB_CANCELLED)
"""Without `webhook_events` a job reports every event except `job.progress`."""


@dataclass(frozen=True)
class WebhookTarget:
    url: str | None
    events: Sequence[str] | None

    def wants(self, event_type: str) -> bool:
        if not self.url:
            return False
        return event_type in (self.events if self.events is not None else DEFAULT_WEBHOOK_EVENTS)


def webhook_body(event: JobEvent) -> str:
    """The exact text POSTed (and signed) for an event."""
    return event.envelope_json


def queue_deliveries(session: Session, events: Sequence[tuple[JobEvent, WebhookTarget]]) -> int:
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "job_id": event.job_id,
            "event_id": event.id,
            "event": event.type,
            "url": target.url,
            "body": webhook_body(event),
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "log": [],
            "created_at": now,
        }
        for event, target in events
        if target.wants(event.type)
    ]
    if rows:
        session.execute(insert(WebhookDeliveryRow), rows)
    return len(rows)
