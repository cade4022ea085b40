"""Named API keys: made with scopes and limits, shown once, stored as a hash, revocable.

Every change bumps a version row, so each process's `KeyRegistry` reloads the keys within
its refresh interval (revocation across API processes)."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gaze.db.connection import Database
from gaze.db.models import ApiKeyRow, JobRow, SettingRow, utcnow
from gaze.security.api_keys import KEY_PREFIX, key_digest
from gaze.security.principal import SCOPES, Principal, ordered_scopes

KEYS_VERSION = "api_keys_version"
MAX_NAME_LENGTH = 100


class KeyProblem(ValueError):
    """A key request GAZE refuses (400), naming the field."""


@dataclass(frozen=True)
class KeyLimits:
    scopes: frozenset[str]
    sfw_only: bool = False
    daily_quota: int | None = None
    rate_per_minute: int | None = None
    high_priority: bool = False


@dataclass(frozen=True)
class NamedKey:
    id: str
    name: str
    scopes: list[str]
    sfw_only: bool
    daily_quota: int | None
    rate_per_minute: int | None
    high_priority: bool
    created_at: datetime
    last_used_at: datetime | None
    request_count: int
    revoked_at: datetime | None
    job_count: int = field(default=0)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "scopes": self.scopes,
            "sfw_only": self.sfw_only,
            "daily_quota": self.daily_quota,
            "rate_per_minute": self.rate_per_minute,
            "high_priority": self.high_priority,
            "created_at": iso_utc(self.created_at),
            "last_used_at": iso_utc(self.last_used_at),
            "request_count": self.request_count,
            "job_count": self.job_count,
            "revoked": self.revoked_at is not None,
            "revoked_at": iso_utc(self.revoked_at),
        }


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC ending in Z, as the API's other times (SQLite returns naive ones)."""
    if moment is None:
        return None
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat().replace("+00:00", "Z")


def checked_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise KeyProblem("name: give the key a name (1-100 characters).")
    name = re.sub(r"\s+", " ", name.strip())
    if len(name) > MAX_NAME_LENGTH or any(ord(char) < 32 for char in name):
        raise KeyProblem("name: at most 100 printable characters.")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800" in JSON)
        raise KeyProblem("name: not valid Unicode text.") from None
    return name


def checked_scopes(scopes: object) -> frozenset[str]:
    if not isinstance(scopes, list | tuple | set | frozenset) or not scopes:
        raise KeyProblem(f"scopes: a non-empty list of {', '.join(SCOPES)}.")
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown:
        raise KeyProblem(f"scopes: unknown scope {unknown[0]!r}; use {', '.join(SCOPES)}.")
    return frozenset(scopes)


def checked_limit(name: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000_000:
        raise KeyProblem(f"{name}: a whole number from 1 to 10000000, or null for no limit.")
    return value


def bump_keys_version(session: Session) -> None:
    now = utcnow()
    row = session.get(SettingRow, KEYS_VERSION)
    version = uuid.uuid4().hex
    if row is None:
        session.add(SettingRow(key=KEYS_VERSION, value=version, updated_at=now))
    else:
        row.value, row.updated_at = version, now


def create_named_key(database: Database, name: str, limits: KeyLimits) -> tuple[NamedKey, str]:
    """Store a new key and return it with its secret (the only time the secret is seen)."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKeyRow(
        id=uuid.uuid4().hex,
        name=checked_name(name),
        key_hash=key_digest(secret),
        scopes=ordered_scopes(checked_scopes(list(limits.scopes))),
        sfw_only=limits.sfw_only,
        daily_quota=checked_limit("daily_quota", limits.daily_quota),
        rate_per_minute=checked_limit("rate_per_minute", limits.rate_per_minute),
        high_priority=limits.high_priority,
        created_at=utcnow(),
        request_count=0,
    )
    with database.session() as session:
        session.add(row)
        bump_keys_version(session)
        session.flush()
        key = _named_key(row, 0)
    return key, secret


def list_named_keys(database: Database, *, include_revoked: bool = True) -> list[NamedKey]:
    with database.session() as session:
        counts = dict(
            session.execute(
                select(JobRow.api_key_id, func.count())
                .where(JobRow.api_key_id.is_not(None))
                .group_by(JobRow.api_key_id)
            ).all()
        )
        query = select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.id)
        if not include_revoked:
            query = query.where(ApiKeyRow.revoked_at.is_(None))
        return [_named_key(row, counts.get(row.id, 0)) for row in session.scalars(query)]


def get_named_key(database: Database, key_id: str) -> NamedKey | None:
    with database.session() as session:
        row = session.get(ApiKeyRow, key_id)
        if row is None:
            return None
        count = session.scalar(select(func.count()).where(JobRow.api_key_id == key_id)) or 0
        return _named_key(row, count)


def update_named_key(database: Database, key_id: str, changes: dict[str, Any]) -> NamedKey | None:
    """Change a key's name, scopes or limits (fields absent from `changes` stay)."""
    checks = {
        "name": checked_name,
        "scopes": lambda value: ordered_scopes(checked_scopes(value)),
        "sfw_only": lambda value: _checked_flag("sfw_only", value),
        "high_priority": lambda value: _checked_flag("high_priority", value),
        "daily_quota": lambda value: checked_limit("daily_quota", value),
        "rate_per_minute": lambda value: checked_limit("rate_per_minute", value),
    }
    unknown = [name for name in changes if name not in checks]
    if unknown:
        raise KeyProblem(f"{unknown[0]}: not a field of a key; change {', '.join(checks)}.")
    checked = {name: checks[name](value) for name, value in changes.items()}
    with database.session() as session:
        row = session.get(ApiKeyRow, key_id)
        if row is None:
            return None
        for name, value in checked.items():
            setattr(row, name, value)
        bump_keys_version(session)
    return get_named_key(database, key_id)


def revoke_named_key(database: Database, key_id: str) -> bool:
    """Revoke a key at once; False when there is no such key."""
    with database.session() as session:
        row = session.get(ApiKeyRow, key_id)
        if row is None:
            return False
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        bump_keys_version(session)
    return True


def record_key_use(database: Database, uses: dict[str, tuple[datetime, int]]) -> None:
    """Add the requests counted in memory since the last call, with their last times."""
    if not uses:
        return
    with database.session() as session:
        for key_id, (last_used, count) in uses.items():
            session.execute(
                update(ApiKeyRow)
                .where(ApiKeyRow.id == key_id)
                .values(last_used_at=last_used, request_count=ApiKeyRow.request_count + count)
            )


def active_principals(session: Session) -> dict[str, Principal]:
    """Every unrevoked key's principal by its hash."""
    rows = session.scalars(select(ApiKeyRow).where(ApiKeyRow.revoked_at.is_(None)))
    return {
        row.key_hash: Principal(
            key_id=row.id,
            name=row.name,
            scopes=frozenset(row.scopes),
            sfw_only=row.sfw_only,
            daily_quota=row.daily_quota,
            rate_per_minute=row.rate_per_minute,
            high_priority=row.high_priority,
        )
        for row in rows
    }


def _checked_flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise KeyProblem(f"{name}: true or false.")
    return value


def _named_key(row: ApiKeyRow, job_count: int) -> NamedKey:
    return NamedKey(
        id=row.id,
        name=row.name,
        scopes=list(row.scopes),
        sfw_only=row.sfw_only,
        daily_quota=row.daily_quota,
        rate_per_minute=row.rate_per_minute,
        high_priority=row.high_priority,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        request_count=row.request_count,
        revoked_at=row.revoked_at,
        job_count=job_count,
    )
