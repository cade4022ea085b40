"""Pruning what only matters for a while: old job events, idempotency keys, webhook logs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from gaze.db.models import utcnow
from gaze.jobs.context import JobContext
from gaze.jobs.idempotency import IdempotencyKeys
from gaze.webhooks.deliveries import DeliveryStore

WEBHOOK_LOG_DAYS = 7


@dataclass(frozen=True)
class Pruned:
    events: int
    idempotency_keys: int
    webhook_deliveries: int


def prune_old_records(context: JobContext) -> Pruned:
    now = utcnow()
    retention = timedelta(hours=context.settings.events_retention_hours)
    return Pruned(
        events=context.jobs.events.prune(now - retention),
        idempotency_keys=IdempotencyKeys(context.database).prune(),
        webhook_deliveries=DeliveryStore(context.database).prune(
            now - timedelta(days=WEBHOOK_LOG_DAYS)
        ),
    )
