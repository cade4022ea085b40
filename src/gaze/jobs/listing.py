"""Listing jobs newest first, filtered, with opaque keyset cursors."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, or_, select

from gaze.db.connection import Database
from gaze.db.models import JobRow
from gaze.events.timestamps import as_utc
from gaze.outside_json import load_json
from gaze.service_errors import ServiceError

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


class InvalidCursor(ServiceError):
    default_code = "invalid_cursor"


@dataclass(frozen=True)
class JobFilter:
    statuses: Sequence[str] | None = None
    preset: str | None = None
    batch_id: str | None = None
    only_key: bool = False
    """Only the jobs made by the key `key_id` (a caller that is not admin)."""
    key_id: str | None = None


@dataclass(frozen=True)
class JobRowsPage:
    rows: list[JobRow]
    next_cursor: str | None


def encode_cursor(row: JobRow) -> str:
    raw = json.dumps([as_utc(row.created_at).isoformat(), row.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, job_id = load_json(raw)
        if not isinstance(job_id, str):
            raise TypeError("job id")
        return as_utc(datetime.fromisoformat(created)), job_id
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as error:
        raise InvalidCursor(f"cursor {cursor!r} is not one this server handed out") from error


def page_of_jobs(
    database: Database, where: JobFilter, limit: int, cursor: str | None
) -> JobRowsPage:
    conditions: list[ColumnElement[bool]] = []
    if where.statuses:
        conditions.append(JobRow.status.in_(list(where.statuses)))
    if where.preset is not None:
        conditions.append(JobRow.preset_slug == where.preset)
    if where.batch_id is not None:
        conditions.append(JobRow.batch_id == where.batch_id)
    if where.only_key:
        owned = where.key_id is not None
        conditions.append(JobRow.api_key_id == where.key_id if owned else false())
    if cursor is not None:
        created, job_id = decode_cursor(cursor)
        conditions.append(
            or_(JobRow.created_at < created, and_(JobRow.created_at == created, JobRow.id < job_id))
        )
    statement = (
        select(JobRow)
        .where(and_(True, *conditions))
        .order_by(JobRow.created_at.desc(), JobRow.id.desc())
        .limit(limit + 1)
    )
    with database.session() as session:
        rows = list(session.scalars(statement))
    more = len(rows) > limit
    rows = rows[:limit]
    return JobRowsPage(rows=rows, next_cursor=encode_cursor(rows[-1]) if more and rows else None)
