"""Images as the REST API reports them: the card plus the preset's slug and name, the positive
prompt and the job, read for a whole page in one query."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select

from gaze.db.connection import Database
from gaze.db.models import ImageRow, PresetRow
from gaze.gallery.cards import ImageCard


@dataclass(frozen=True)
class ImageRecord:
    card: ImageCard
    preset_slug: str | None
    preset_name: str | None
    prompt: str
    job_id: str | None


def image_records(database: Database, cards: Sequence[ImageCard]) -> list[ImageRecord]:
    """The records of `cards`, in their order; a card whose image was deleted meanwhile is
    left out."""
    if not cards:
        return []
    with database.engine.connect() as connection:
        rows = connection.execute(
            select(
                ImageRow.id,
                ImageRow.spec,
                ImageRow.job_id,
                PresetRow.slug.label("preset_slug"),
                PresetRow.name.label("preset_name"),
            )
            .outerjoin(PresetRow, PresetRow.id == ImageRow.preset_id)
            .where(ImageRow.id.in_([card.id for card in cards]))
        ).all()
    found = {row.id: row for row in rows}
    records = []
    for card in cards:
        row = found.get(card.id)
        if row is None:
            continue
        spec = row.spec if isinstance(row.spec, dict) else {}
        records.append(
            ImageRecord(
                card=card,
                preset_slug=row.preset_slug,
                preset_name=row.preset_name,
                prompt=str(spec.get("positive") or ""),
                job_id=row.job_id,
            )
        )
    return records


def preset_id_for(database: Database, id_or_slug: str) -> str:
    """The id of the preset with this id or slug; the text itself when no preset has it (the
    images of a deleted preset keep its id)."""
    with database.engine.connect() as connection:
        found = connection.execute(
            select(PresetRow.id)
            .where(or_(PresetRow.id == id_or_slug, PresetRow.slug == id_or_slug))
            .order_by((PresetRow.id == id_or_slug).desc())
            .limit(1)
        ).scalar_one_or_none()
    return found or id_or_slug
