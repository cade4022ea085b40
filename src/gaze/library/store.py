"""Writing validated library documents (resources, presets, checkpoint settings) to the database."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gaze.db.models import CheckpointRow, PresetRow, ResourceRow, utcnow
from gaze.library.schema import CheckpointSettings, Resource
from gaze.presets.schema import Preset


def _document(model: Resource | Preset | CheckpointSettings) -> dict:  # type: ignore[type-arg]
    return model.model_dump(mode="json")


def upsert_resource(session: Session, resource: Resource) -> ResourceRow:
    row = session.get(ResourceRow, (resource.category, resource.id))
    now = utcnow()
    if row is None:
        row = ResourceRow(category=resource.category, id=resource.id, created_at=now)
        session.add(row)
    row.slug = resource.slug
    row.name = resource.name
    row.document = _document(resource)
    row.is_favourite = resource.is_favourite
    row.is_nsfw = resource.is_nsfw
    row.cover = resource.cover
    row.updated_at = now
    return row


def upsert_preset(session: Session, preset: Preset) -> PresetRow:
    row = session.get(PresetRow, preset.id)
    now = utcnow()
    if row is None:
        row = PresetRow(id=preset.id, created_at=now)
        session.add(row)
    row.slug = preset.slug
    row.name = preset.name
    row.document = _document(preset)
    row.is_favourite = preset.is_favourite
    row.is_nsfw = preset.is_nsfw
    row.cover = preset.cover
    row.updated_at = now
    return row


def upsert_checkpoint(session: Session, settings: CheckpointSettings) -> CheckpointRow:
    row = session.get(CheckpointRow, settings.path)
    if row is None:
        row = CheckpointRow(path=settings.path)
        session.add(row)
    row.document = _document(settings)
    row.updated_at = utcnow()
    return row
