"""Changing gallery images: favourite and NSFW flags, and deletion (row, file, thumbnails)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update

from gaze.db.connection import Database
from gaze.db.models import ImageRow
from gaze.media.storage import delete_image
from gaze.media.thumbnails import ThumbnailStore


def set_image_flags(
    database: Database, image_id: int, favourite: bool | None, nsfw: bool | None
) -> tuple[bool, bool] | None:
    """Set the flags given (None keeps one); the image's (favourite, nsfw), None if missing."""
    values: dict[str, bool] = {}
    if favourite is not None:
        values["is_favourite"] = favourite
    if nsfw is not None:
        values["is_nsfw"] = nsfw
    with database.session() as session:
        if values:
            session.execute(update(ImageRow).where(ImageRow.id == image_id).values(**values))
        row = session.execute(
            select(ImageRow.is_favourite, ImageRow.is_nsfw).where(ImageRow.id == image_id)
        ).first()
    return None if row is None else (bool(row.is_favourite), bool(row.is_nsfw))


def delete_gallery_image(
    database: Database, media_dir: Path, thumbnails: ThumbnailStore, image_id: int
) -> bool:
    """Remove the image from the gallery, its file from the media folder and its cached
    thumbnails."""
    with database.session() as session:
        row = session.get(ImageRow, image_id)
        if row is None:
            return False
        relative_path = row.relative_path
        session.delete(row)
    delete_image(media_dir, relative_path)
    thumbnails.forget(relative_path)
    return True
