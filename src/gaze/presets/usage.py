"""Which presets use a library resource: what forbids deleting it (`LibraryService` asks)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaze.db.models import PresetRow
from gaze.library.service import mentions
from gaze.presets.references import uses_resource
from gaze.presets.schema import Preset


def presets_using(session: Session, category: str, resource_id: str) -> list[str]:
    """``preset 'x' (X)`` for each preset whose slots use the resource."""
    found = []
    presets = session.execute(
        select(PresetRow.id, PresetRow.name, PresetRow.document)
        .where(mentions(PresetRow.document, resource_id))
        .order_by(PresetRow.id)
    ).all()
    for preset in presets:
        if uses_resource(Preset.model_validate(preset.document), category, resource_id):
            found.append(f"preset {preset.id!r} ({preset.name})")
    return found
