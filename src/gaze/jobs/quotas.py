"""A key's images per day (`daily_quota`): image jobs it queued in the last 24 hours.

Every image job (`kind` generate: generations, compositions, grid cells, retries, variations,
upscales, inpaints) an API key queued counts, whatever became of it; drafts do not. The count
is taken in the transaction that inserts the new jobs, after the insert, while new jobs are
serialized (gaze.jobs.queue_bound), so concurrent requests of one key never pass the quota.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from gaze.db.models import JobRow
from gaze.events.timestamps import as_utc
from gaze.jobs.kinds import GENERATE

QUOTA_WINDOW = timedelta(hours=24)


class QuotaExceeded(Exception):
    def __init__(self, limit: int, used: int, wanted: int, retry_after: int) -> None:
        super().__init__(f"{used} images queued in the last 24 hours, {wanted} more asked")
        self.limit = limit
        self.used = used
        self.wanted = wanted
        self.retry_after = retry_after


def _window(key_id: str, now: datetime) -> ColumnElement[bool]:
    return and_(
        JobRow.api_key_id == key_id,
        JobRow.kind == GENERATE,
        JobRow.created_at > now - QUOTA_WINDOW,
    )


def ensure_daily_quota(
    session: Session, key_id: str, limit: int, new_ids: list[str], now: datetime
) -> None:
    """Raise QuotaExceeded if, with the image jobs `new_ids` just inserted, the key has
    queued more than `limit` in the 24 hours before `now`."""
    window = _window(key_id, now)
    counted = session.scalar(select(func.count()).where(window)) or 0
    if counted <= limit:
        return
    new_images = (
        session.scalar(select(func.count()).where(and_(window, JobRow.id.in_(new_ids)))) or 0
    )
    used = counted - new_images
    must_age_out = counted - limit
    oldest_needed = session.scalar(
        select(JobRow.created_at)
        .where(and_(window, JobRow.id.not_in(new_ids)))
        .order_by(JobRow.created_at)
        .offset(must_age_out - 1)
        .limit(1)
    )
    if oldest_needed is None:
        retry_after = math.ceil(QUOTA_WINDOW.total_seconds())
    else:
        free_at = as_utc(oldest_needed) + QUOTA_WINDOW
        retry_after = max(1, math.ceil((free_at - as_utc(now)).total_seconds()))
    raise QuotaExceeded(limit, used, new_images, retry_after)
