"""Presets in the database: rows hold the validated preset document.

Listing, writing and resolving presets is `gaze.presets.service.PresetService`'s work; this
is the lookup generation needs, and the writing of a preset row.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaze.db.connection import Database
from gaze.db.models import PresetRow, utcnow
from gaze.library.store import sync_card
from gaze.presets.schema import Preset


class PresetStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def by_slug(self, slug: str) -> PresetRow | None:
        with self.database.session() as session:
            return session.execute(
                select(PresetRow).where(PresetRow.slug == slug)
            ).scalar_one_or_none()


def upsert_preset(session: Session, preset: Preset) -> PresetRow:
    row = session.get(PresetRow, preset.id)
    if row is None:
        row = PresetRow(id=preset.id, created_at=utcnow())
        session.add(row)
    sync_card(row, preset)
    return row
