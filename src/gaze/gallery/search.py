"""Images found by the text of their prompt."""

from __future__ import annotations

from sqlalchemy import Text, cast, select

from gaze.db.connection import Database
from gaze.db.models import ImageRow
from gaze.gallery.cards import CARD_COLUMNS, ImageCard, image_card


def images_by_prompt(database: Database, text: str, limit: int) -> list[ImageCard]:
    """The newest images whose generation (prompt, negative, LoRAs) mentions `text`."""
    needle = text.strip()
    if not needle:
        return []
    with database.engine.connect() as connection:
        rows = connection.execute(
            select(*CARD_COLUMNS)
            .where(cast(ImageRow.spec, Text).icontains(needle, autoescape=True))
            .order_by(ImageRow.id.desc())
            .limit(limit)
        ).all()
    return [image_card(row) for row in rows]
