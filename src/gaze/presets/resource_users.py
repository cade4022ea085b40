"""What still uses a library resource, for people: the presets whose slots use it and, for an
outfit, the characters wearing it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from gaze.db.connection import Database
from gaze.db.models import ResourceRow
from gaze.library.schema import Character
from gaze.library.service import mentions
from gaze.presets.usage import presets_with_resource


@dataclass(frozen=True)
class ResourceUser:
    kind: str
    """``preset`` or ``character``."""
    name: str
    slug: str


def resource_users(database: Database, category: str, resource_id: str) -> list[ResourceUser]:
    """The presets using the resource, then (for an outfit) the characters wearing it."""
    with database.session() as session:
        presets = presets_with_resource(session, category, resource_id)
        found = [
            ResourceUser("preset", preset.name, preset.slug)
            for preset in sorted(presets, key=lambda preset: (preset.name, preset.id))
        ]
        if category != "outfits":
            return found
        characters = session.execute(
            select(ResourceRow.slug, ResourceRow.name, ResourceRow.document)
            .where(
                ResourceRow.category == "characters",
                mentions(ResourceRow.document, resource_id),
            )
            .order_by(ResourceRow.name, ResourceRow.id)
        ).all()
        for character in characters:
            wardrobe = Character.model_validate(character.document).wardrobe
            if any(outfit.outfit_id == resource_id for outfit in wardrobe.values()):
                found.append(ResourceUser("character", character.name, character.slug))
    return found
