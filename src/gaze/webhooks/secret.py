"""The webhook signing secret, kept in the settings table; shown on the Settings page."""

from __future__ import annotations

import secrets

from sqlalchemy.exc import IntegrityError

from gaze.db.connection import Database
from gaze.db.models import SettingRow, utcnow

WEBHOOK_SECRET = "webhook_secret"
SECRET_PREFIX = "whsec_"


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def webhook_secret(database: Database) -> str:
    """The current secret, created on first use."""
    with database.session() as session:
        row = session.get(SettingRow, WEBHOOK_SECRET)
        if row is not None:
            return row.value
    try:
        with database.session() as session:
            value = _new_secret()
            session.add(SettingRow(key=WEBHOOK_SECRET, value=value, updated_at=utcnow()))
        return value
    except IntegrityError:  # another process created it first
        with database.session() as session:
            row = session.get(SettingRow, WEBHOOK_SECRET)
            assert row is not None
            return row.value


def regenerate_webhook_secret(database: Database) -> str:
    """Replace the secret at once (deliveries from now on are signed with the new one)."""
    value = _new_secret()
    now = utcnow()
    with database.session() as session:
        row = session.get(SettingRow, WEBHOOK_SECRET)
        if row is None:
            session.add(SettingRow(key=WEBHOOK_SECRET, value=value, updated_at=now))
        else:
            row.value, row.updated_at = value, now
    return value
