"""Presets in the database: rows hold the validated preset document."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select

from gaze.db.connection import Database
from gaze.db.models import PresetRow


class PresetCard(NamedTuple):
    id: str
    slug: str
    name: str
    cover: str | None


class PresetStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def cards(self) -> list[PresetCard]:
        """Every preset's id, slug, name and cover, favourites first, then by name."""
        with self.database.engine.connect() as connection:
            rows = connection.execute(
                select(PresetRow.id, PresetRow.slug, PresetRow.name, PresetRow.cover).order_by(
                    PresetRow.is_favourite.desc(), PresetRow.name, PresetRow.id
                )
            ).all()
        return [PresetCard(row.id, row.slug, row.name, row.cover) for row in rows]

    def by_slug(self, slug: str) -> PresetRow | None:
        with self.database.session() as session:
            return session.execute(
                select(PresetRow).where(PresetRow.slug == slug)
            ).scalar_one_or_none()
