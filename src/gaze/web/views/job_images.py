"""Which gallery image each finished job made (for opening it in the lightbox)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select

from gaze.db.connection import Database
from gaze.db.models import ImageRow


def image_ids_of_jobs(database: Database, job_ids: Collection[str]) -> dict[str, int]:
    """job id -> image id, for the jobs whose image is in the gallery."""
    if not job_ids:
        return {}
    with database.engine.connect() as connection:
        rows = connection.execute(
            select(ImageRow.job_id, ImageRow.id).where(ImageRow.job_id.in_(list(job_ids)))
        ).all()
    return {row.job_id: row.id for row in rows if row.job_id}
