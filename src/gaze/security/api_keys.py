"""The REST API key: generated once, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from gaze.db.connection import Database
from gaze.db.models import SettingRow, utcnow

API_KEY_HASH = "api_key_sha256"
API_KEY_CREATED = "api_key_created_at"
KEY_PREFIX = "gz_"


@dataclass(frozen=True)
class ApiKeyInfo:
    exists: bool
    created_at: datetime | None


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def regenerate_api_key(database: Database) -> str:
    """Replace the stored key with a new one and return it (the only time it is visible)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    with database.session() as session:
        for name, value in ((API_KEY_HASH, key_digest(key)), (API_KEY_CREATED, now.isoformat())):
            row = session.get(SettingRow, name)
            if row is None:
                session.add(SettingRow(key=name, value=value, updated_at=now))
            else:
                row.value, row.updated_at = value, now
    return key


def stored_key_hash(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return connection.execute(
            select(SettingRow.value).where(SettingRow.key == API_KEY_HASH)
        ).scalar_one_or_none()


def api_key_matches(candidate: str, stored_hash: str | None) -> bool:
    """Constant-time comparison of a presented key against the stored hash."""
    expected = stored_hash or "0" * 64
    matched = hmac.compare_digest(key_digest(candidate), expected)
    return matched and stored_hash is not None


def api_key_info(database: Database) -> ApiKeyInfo:
    with database.session() as session:
        created = session.get(SettingRow, API_KEY_CREATED)
        has_hash = session.get(SettingRow, API_KEY_HASH) is not None
    return ApiKeyInfo(
        exists=has_hash,
        created_at=datetime.fromisoformat(created.value) if created else None,
    )
