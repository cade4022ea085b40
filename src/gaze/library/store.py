"""Writing validated library documents (resources, presets, checkpoint settings) to the database."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gaze.db.models import CheckpointRow, PresetRow, ResourceRow, utcnow
from gaze.library.schema import CheckpointSettings, Resource
from gaze.presets.schema import Preset


def _document(model: Resource | Preset | CheckpointSettings) -> dict:  # type: ignore[type-arg]
    return model.model_dump(mode="json")


def _sync_card(row: ResourceRow | PresetRow, item: Resource | Preset) -> None:
    """Copy the columns lists and filters read (slug, name, flags, cover) from the document."""
    now = utcnow()
    row.slug = item.slug
    row.name = item.name
    row.document = _document(item)
    row.is_favourite = item.is_favourite
    row.is_nsfw = item.is_nsfw
    row.cover = item.cover
    row.updated_at = now


def upsert_resource(session: Session, resource: Resource) -> ResourceRow:
    row = session.get(ResourceRow, (resource.category, resource.id))
    if row is None:
        row = ResourceRow(category=resource.category, id=resource.id, created_at=utcnow())
        session.add(row)
    _sync_card(row, resource)
    return row


def upsert_preset(session: Session, preset: Preset) -> PresetRow:
    row = session.get(PresetRow, preset.id)
    if row is None:
        row = PresetRow(id=preset.id, created_at=utcnow())
        session.add(row)
    _sync_card(row, preset)
    return row


def upsert_checkpoint(session: Session, settings: CheckpointSettings) -> CheckpointRow:
    row = session.get(CheckpointRow, settings.path)
    if row is None:
        row = CheckpointRow(path=settings.path)
        session.add(row)
    row.document = _document(settings)
    row.updated_at = utcnow()
    return row
