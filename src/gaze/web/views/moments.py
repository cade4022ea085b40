"""Moments as people read them, and as `<time datetime>` wants them."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """Stored moments are naive UTC; give them their zone."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def machine_time(moment: datetime | None) -> str:
    """'2026-11-28T20:01:26Z' ('' for none), for `<time datetime>` and scripts."""
    if moment is None:
        return ""
    return as_utc(moment).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def readable_time(moment: datetime | None) -> str:
    """'28 Nov 2026, 20:01 UTC' ('—' for none)."""
    if moment is None:
        return "—"
    utc = as_utc(moment)
    return f"{utc.day} {utc:%b %Y, %H:%M} UTC"
