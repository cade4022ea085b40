"""Writing validated library documents (resources, checkpoint settings) to the database, and
the card columns every stored document (a resource, a preset) keeps beside its JSON."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy.orm import Session

from gaze.db.models import CheckpointRow, PresetRow, ResourceRow, utcnow
from gaze.library.schema import CheckpointSettings, Resource


class CardDocument(Protocol):
    """What a stored document shows on its card (and in lists and filters)."""

    slug: str
    name: str
    is_favourite: bool
    is_nsfw: bool
    cover: str | None

    def model_dump(self, *, mode: str) -> dict[str, Any]: ...


def _document(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def sync_card(row: ResourceRow | PresetRow, item: CardDocument) -> None:
    """Copy the columns lists and filters read (slug, name, flags, cover) from the document."""
    now = utcnow()
    row.slug = item.slug
    row.name = item.name
    row.document = item.model_dump(mode="json")
    row.is_favourite = item.is_favourite
    row.is_nsfw = item.is_nsfw
    row.cover = item.cover
    row.updated_at = now


def upsert_resource(session: Session, resource: Resource) -> ResourceRow:
    row = session.get(ResourceRow, (resource.category, resource.id))
    if row is None:
        row = ResourceRow(category=resource.category, id=resource.id, created_at=utcnow())
        session.add(row)
    sync_card(row, resource)
    return row


def upsert_checkpoint(session: Session, settings: CheckpointSettings) -> CheckpointRow:
    row = session.get(CheckpointRow, settings.path)
    if row is None:
        row = CheckpointRow(path=settings.path)
        session.add(row)
    row.document = _document(settings)
    row.updated_at = utcnow()
    return row
