"""Recent images standing in for a missing cover (shown dimmed on the cards)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select

from gaze.db.connection import Database
from gaze.db.models import ImageRow

RESOURCE_SCAN = 400
"""How many of the newest images are searched for a picture of a resource."""


def latest_image_per_preset(database: Database, preset_ids: Collection[str]) -> dict[str, str]:
    """preset id -> relative path of its newest image, for presets that have one."""
    if not preset_ids:
        return {}
    newest = (
        select(func.max(ImageRow.id))
        .where(ImageRow.preset_id.in_(list(preset_ids)))
        .group_by(ImageRow.preset_id)
    )
    with database.engine.connect() as connection:
        rows = connection.execute(
            select(ImageRow.preset_id, ImageRow.relative_path).where(ImageRow.id.in_(newest))
        ).all()
    return {row.preset_id: row.relative_path for row in rows if row.preset_id}


def latest_image_per_resource(
    database: Database, category: str, resource_ids: Collection[str]
) -> dict[str, str]:
    """resource id -> relative path of the newest of the recent images that used it."""
    wanted = set(resource_ids)
    if not wanted:
        return {}
    found: dict[str, str] = {}
    with database.engine.connect() as connection:
        rows = connection.execute(
            select(ImageRow.relative_path, ImageRow.resolution)
            .order_by(ImageRow.id.desc())
            .limit(RESOURCE_SCAN)
        ).all()
    for row in rows:
        picks = (row.resolution or {}).get(category) or []
        for pick in picks if isinstance(picks, list) else []:
            resource_id = pick.get("id") if isinstance(pick, dict) else None
            if resource_id in wanted and resource_id not in found:
                found[resource_id] = row.relative_path
        if len(found) == len(wanted):
            break
    return found
