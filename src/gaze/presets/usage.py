"""Which presets use a library resource: what forbids deleting it (`LibraryService` asks), and
what the library pages list as its users."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaze.db.models import PresetRow
from gaze.library.service import mentions
from gaze.presets.references import uses_resource
from gaze.presets.schema import Preset


@dataclass(frozen=True)
class PresetUsingResource:
    id: str
    slug: str
    name: str


def presets_with_resource(
    session: Session, category: str, resource_id: str
) -> list[PresetUsingResource]:
    """The presets whose slots use the resource, by id."""
    rows = session.execute(
        select(PresetRow.id, PresetRow.slug, PresetRow.name, PresetRow.document)
        .where(mentions(PresetRow.document, resource_id))
        .order_by(PresetRow.id)
    ).all()
    return [
        PresetUsingResource(row.id, row.slug, row.name)
        for row in rows
        if uses_resource(Preset.model_validate(row.document), category, resource_id)
    ]


def presets_using(session: Session, category: str, resource_id: str) -> list[str]:
    """``preset 'x' (X)`` for each preset whose slots use the resource."""
    return [
        f"preset {preset.id!r} ({preset.name})"
        for preset in presets_with_resource(session, category, resource_id)
    ]
