"""Which gallery image each finished job made (for opening it in the lightbox), and what the
image picked (the character, outfit... each slot chose), for result tiles."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import select

from gaze.db.connection import Database
from gaze.db.models import ImageRow


def image_ids_of_jobs(database: Database, job_ids: Collection[str]) -> dict[str, int]:
    """job id -> image id, for the jobs whose image is in the gallery."""
    return {
        job_id: facts["image_id"]
        for job_id, facts in image_facts_of_jobs(database, job_ids).items()
    }


def picks_of(resolution: Mapping[str, Any]) -> list[dict[str, str]]:
    """What each slot of a resolution chose: [{category, id, name}], wardrobe outfits named
    after their character (``Aria Vale (casual)``)."""
    picks = []
    for category, chosen in resolution.items():
        if not isinstance(chosen, list):
            continue
        for pick in chosen:
            if not isinstance(pick, dict) or not pick.get("id"):
                continue
            name = str(pick.get("name") or pick["id"])
            outfit = pick.get("outfit")
            if isinstance(outfit, dict) and outfit.get("key"):
                name += f" ({outfit['key']})"
            picks.append({"category": category, "id": str(pick["id"]), "name": name})
    return picks


def image_facts_of_jobs(database: Database, job_ids: Collection[str]) -> dict[str, dict[str, Any]]:
    """job id -> {image_id, seed, picks} for the jobs whose image is in the gallery."""
    if not job_ids:
        return {}
    with database.engine.connect() as connection:
        rows = connection.execute(
            select(ImageRow.job_id, ImageRow.id, ImageRow.seed, ImageRow.resolution).where(
                ImageRow.job_id.in_(list(job_ids))
            )
        ).all()
    return {
        row.job_id: {
            "image_id": row.id,
            "seed": row.seed,
            "picks": picks_of(row.resolution or {}),
        }
        for row in rows
        if row.job_id
    }
