"""An image as a card of the gallery's grid, and the columns a card is read from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gaze.db.models import ImageRow


@dataclass(frozen=True)
class ImageCard:
    id: int
    relative_path: str
    width: int
    height: int
    seed: str
    preset_id: str | None
    is_favourite: bool
    is_nsfw: bool
    created_at: datetime


CARD_COLUMNS = (
    ImageRow.id,
    ImageRow.relative_path,
    ImageRow.width,
    ImageRow.height,
    ImageRow.seed,
    ImageRow.preset_id,
    ImageRow.is_favourite,
    ImageRow.is_nsfw,
    ImageRow.created_at,
)


def image_card(row: Any) -> ImageCard:
    """The card of a row read with (at least) `CARD_COLUMNS`."""
    return ImageCard(
        id=row.id,
        relative_path=row.relative_path,
        width=row.width,
        height=row.height,
        seed=row.seed,
        preset_id=row.preset_id,
        is_favourite=bool(row.is_favourite),
        is_nsfw=bool(row.is_nsfw),
        created_at=row.created_at,
    )
