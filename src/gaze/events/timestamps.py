"""Timestamps as the database returns them (naive on SQLite, aware on PostgreSQL), in UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; naive ones (SQLite) are read as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC ending in Z, e.g. ``2026-11-26T09:00:00.123456Z``."""
    if moment is None:
        return None
    return as_utc(moment).isoformat().replace("+00:00", "Z")
