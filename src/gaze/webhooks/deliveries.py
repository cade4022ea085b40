"""The webhook delivery log: what is due, who is sending it, and how each attempt went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, delete, or_, select, update

from gaze.db.connection import Database
from gaze.db.models import WebhookDeliveryRow, utcnow
from gaze.events.timestamps import iso_utc
from gaze.webhooks.outbox import DELIVERED, FAILED, PENDING


@dataclass(frozen=True)
class DueDelivery:
    id: int
    job_id: str
    event_id: int
    event: str
    url: str
    body: str
    attempts: int


@dataclass(frozen=True)
class AttemptOutcome:
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float

    @property
    def succeeded(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300

    def to_json(self, attempt: int) -> dict[str, Any]:
        return {
            "attempt": attempt,
            "at": iso_utc(self.at),
            "status_code": self.status_code,
            "error": self.error,
            "duration_ms": round(self.duration_ms, 1),
        }


class DeliveryStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def claim_due(self, limit: int, lease_seconds: float) -> list[DueDelivery]:
        """Pending deliveries whose time has come, leased to the caller for `lease_seconds`
        (another worker process takes them over if this one dies while sending)."""
        now = utcnow()
        free = or_(
            WebhookDeliveryRow.claimed_until.is_(None), WebhookDeliveryRow.claimed_until < now
        )
        due = and_(
            WebhookDeliveryRow.status == PENDING, WebhookDeliveryRow.next_attempt_at <= now, free
        )
        claimed: list[DueDelivery] = []
        row_id = WebhookDeliveryRow.id
        with self.database.engine.begin() as connection:
            rows = connection.execute(
                select(
                    row_id,
                    WebhookDeliveryRow.job_id,
                    WebhookDeliveryRow.event_id,
                    WebhookDeliveryRow.event,
                    WebhookDeliveryRow.url,
                    WebhookDeliveryRow.body,
                    WebhookDeliveryRow.attempts,
                )
                .where(due)
                .order_by(row_id)
                .limit(limit)
            ).all()
            for row in rows:
                taken = cast(
                    CursorResult[Any],
                    connection.execute(
                        update(WebhookDeliveryRow)
                        .where(and_(row_id == row.id, due))
                        .values(claimed_until=now + timedelta(seconds=lease_seconds))
                    ),
                ).rowcount
                if taken:
                    claimed.append(DueDelivery(*row))
        return claimed

    def record(
        self,
        delivery: DueDelivery,
        outcome: AttemptOutcome,
        *,
        max_attempts: int,
        retry_seconds: float,
    ) -> str:
        """Log one attempt; schedule the next with exponential backoff. Returns the status."""
        attempt = delivery.attempts + 1
        if outcome.succeeded:
            status, next_at, delivered = DELIVERED, None, outcome.at
        elif attempt >= max_attempts:
            status, next_at, delivered = FAILED, None, None
        else:
            delay = retry_seconds * 2 ** (attempt - 1)
            status, next_at, delivered = PENDING, utcnow() + timedelta(seconds=delay), None
        with self.database.session() as session:
            row = session.get(WebhookDeliveryRow, delivery.id)
            if row is None:
                return status
            row.attempts = attempt
            row.status = status
            row.next_attempt_at = next_at
            row.delivered_at = delivered
            row.claimed_until = None
            row.last_status_code = outcome.status_code
            row.last_error = outcome.error
            row.log = [*(row.log or []), outcome.to_json(attempt)]
        return status

    def next_due(self) -> datetime | None:
        with self.database.engine.connect() as connection:
            return connection.execute(
                select(WebhookDeliveryRow.next_attempt_at)
                .where(WebhookDeliveryRow.status == PENDING)
                .order_by(WebhookDeliveryRow.next_attempt_at)
                .limit(1)
            ).scalar_one_or_none()

    def for_job(self, job_id: str) -> list[dict[str, Any]]:
        with self.database.session() as session:
            rows = session.execute(
                select(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.job_id == job_id)
                .order_by(WebhookDeliveryRow.id)
            ).scalars()
            return [delivery_json(row) for row in rows]

    def prune(self, before: datetime) -> int:
        with self.database.session() as session:
            return cast(
                CursorResult[Any],
                session.execute(
                    delete(WebhookDeliveryRow).where(
                        and_(
                            WebhookDeliveryRow.created_at < before,
                            WebhookDeliveryRow.status != PENDING,
                        )
                    )
                ),
            ).rowcount


def delivery_json(row: WebhookDeliveryRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "event": row.event,
        "event_id": row.event_id,
        "url": row.url,
        "status": row.status,
        "attempts": row.attempts,
        "last_status_code": row.last_status_code,
        "last_error": row.last_error,
        "created_at": iso_utc(row.created_at),
        "next_attempt_at": iso_utc(row.next_attempt_at),
        "delivered_at": iso_utc(row.delivered_at),
        "log": list(row.log or []),
    }
