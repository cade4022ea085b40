"""Presets in the database: rows hold the validated preset document.

Listing, writing and resolving presets is `gaze.presets.service.PresetService`'s work; this
is the one lookup generation needs.
"""

from __future__ import annotations

from sqlalchemy import select

from gaze.db.connection import Database
from gaze.db.models import PresetRow


class PresetStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def by_slug(self, slug: str) -> PresetRow | None:
        with self.database.session() as session:
            return session.execute(
                select(PresetRow).where(PresetRow.slug == slug)
            ).scalar_one_or_none()
