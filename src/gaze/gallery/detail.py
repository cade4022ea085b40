"""One image with everything known of it: its card, generation spec, picks and preset."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from gaze.db.connection import Database
from gaze.db.models import ImageRow, PresetRow
from gaze.gallery.cards import CARD_COLUMNS, ImageCard, image_card


@dataclass(frozen=True)
class ImageDetail:
    card: ImageCard
    checkpoint: str | None
    backend: str | None
    job_id: str | None
    spec: dict[str, Any]
    resolution: dict[str, Any]
    preset_name: str | None
    preset_slug: str | None


def image_detail(database: Database, image_id: int) -> ImageDetail | None:
    with database.engine.connect() as connection:
        row = connection.execute(
            select(
                *CARD_COLUMNS,
                ImageRow.checkpoint,
                ImageRow.backend,
                ImageRow.job_id,
                ImageRow.spec,
                ImageRow.resolution,
                PresetRow.name.label("preset_name"),
                PresetRow.slug.label("preset_slug"),
            )
            .outerjoin(PresetRow, PresetRow.id == ImageRow.preset_id)
            .where(ImageRow.id == image_id)
        ).first()
    if row is None:
        return None
    return ImageDetail(
        card=image_card(row),
        checkpoint=row.checkpoint,
        backend=row.backend,
        job_id=row.job_id,
        spec=row.spec or {},
        resolution=row.resolution or {},
        preset_name=row.preset_name,
        preset_slug=row.preset_slug,
    )
