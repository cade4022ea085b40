"""Every API key as admins see it (the API's /keys, Settings, `gaze apikey list`): the guide's
default key first, read-only, then the named keys; never a secret."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from gaze.db.connection import Database
from gaze.db.models import JobRow
from gaze.security.api_keys import api_key_info
from gaze.security.named_keys import get_named_key, iso_utc, list_named_keys
from gaze.security.principal import DEFAULT_KEY_ID, DEFAULT_PRINCIPAL, ordered_scopes


def default_key_entry(database: Database) -> dict[str, Any] | None:
    """The guide's key as a read-only entry (None before one was made). Its use is not
    counted: `request_count` and `last_used_at` are null."""
    info = api_key_info(database)
    if not info.exists:
        return None
    with database.session() as session:
        job_count = session.scalar(select(func.count()).where(JobRow.api_key_id == DEFAULT_KEY_ID))
    return {
        "id": DEFAULT_KEY_ID,
        "name": DEFAULT_PRINCIPAL.name,
        "scopes": ordered_scopes(set(DEFAULT_PRINCIPAL.scopes)),
        "sfw_only": False,
        "daily_quota": None,
        "rate_per_minute": None,
        "high_priority": DEFAULT_PRINCIPAL.high_priority,
        "created_at": iso_utc(info.created_at),
        "last_used_at": None,
        "request_count": None,
        "job_count": job_count or 0,
        "revoked": False,
        "revoked_at": None,
        "read_only": True,
    }


def key_entry(database: Database, key_id: str) -> dict[str, Any] | None:
    """One key by id ("default" for the guide's key); None when there is none."""
    if key_id == DEFAULT_KEY_ID:
        return default_key_entry(database)
    key = get_named_key(database, key_id)
    return None if key is None else {**key.to_json(), "read_only": False}


def key_entries(database: Database, *, include_revoked: bool = True) -> list[dict[str, Any]]:
    """The default key (when made), then the named keys, oldest first."""
    default = default_key_entry(database)
    named = [
        {**key.to_json(), "read_only": False}
        for key in list_named_keys(database, include_revoked=include_revoked)
    ]
    return ([default] if default else []) + named
