"""The gallery's images (ImageRow), newest first, filtered and paged by id."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select, Text, cast, select

from gaze.db.connection import Database
from gaze.db.models import ImageRow, PresetRow
from gaze.web.views.moments import machine_time, readable_time

PAGE_SIZE = 60
SCAN_BATCH = 300
"""Rows read at a time while a resource filter looks for a page's images."""


@dataclass(frozen=True)
class GalleryFilter:
    preset: str = ""
    """A preset id."""
    resource: str = ""
    """``category:id``."""
    checkpoint: str = ""
    favourites: bool = False
    nsfw: str = "all"
    before: int | None = None

    @property
    def active(self) -> bool:
        return (
            bool(self.preset or self.resource or self.checkpoint or self.favourites)
            or self.nsfw != "all"
        )

    def query(self, **changes: Any) -> str:
        values: dict[str, Any] = {
            "preset": self.preset,
            "resource": self.resource,
            "checkpoint": self.checkpoint,
            "fav": "1" if self.favourites else "",
            "nsfw": "" if self.nsfw == "all" else self.nsfw,
        }
        values.update(changes)
        return urlencode({key: value for key, value in values.items() if value})

    def resource_key(self) -> tuple[str, str] | None:
        category, separator, resource_id = self.resource.partition(":")
        return (category, resource_id) if separator and category and resource_id else None


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


@dataclass(frozen=True)
class GalleryPage:
    items: list[ImageCard]
    next_before: int | None


_CARD_COLUMNS = (
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


def card_columns() -> tuple[Any, ...]:
    return _CARD_COLUMNS


def image_card(row: Any) -> ImageCard:
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


def _uses(resolution: dict[str, Any] | None, category: str, resource_id: str) -> bool:
    picks = (resolution or {}).get(category)
    if not isinstance(picks, list):
        picks = []
    if any(isinstance(pick, dict) and pick.get("id") == resource_id for pick in picks):
        return True
    if category == "outfits":  # a wardrobe outfit worn by a character
        for pick in (resolution or {}).get("characters") or []:
            outfit = pick.get("outfit") if isinstance(pick, dict) else None
            if isinstance(outfit, dict) and outfit.get("outfit_id") == resource_id:
                return True
    return False


def _filtered(statement: Select[Any], selection: GalleryFilter) -> Select[Any]:
    if selection.preset:
        statement = statement.where(ImageRow.preset_id == selection.preset)
    if selection.checkpoint:
        statement = statement.where(ImageRow.checkpoint == selection.checkpoint)
    if selection.favourites:
        statement = statement.where(ImageRow.is_favourite.is_(True))
    if selection.nsfw == "hide":
        statement = statement.where(ImageRow.is_nsfw.is_(False))
    elif selection.nsfw == "only":
        statement = statement.where(ImageRow.is_nsfw.is_(True))
    resource = selection.resource_key()
    if resource is not None:
        statement = statement.where(
            cast(ImageRow.resolution, Text).contains(json.dumps(resource[1]), autoescape=True)
        )
    return statement


def gallery_page(
    database: Database, selection: GalleryFilter, limit: int = PAGE_SIZE
) -> GalleryPage:
    """Up to `limit` images older than `selection.before`, newest first."""
    resource = selection.resource_key()
    columns = (*_CARD_COLUMNS, ImageRow.resolution) if resource else _CARD_COLUMNS
    statement = _filtered(select(*columns), selection).order_by(ImageRow.id.desc())
    found: list[ImageCard] = []
    before = selection.before
    batch = SCAN_BATCH if resource else limit + 1
    with database.engine.connect() as connection:
        while True:
            query = statement if before is None else statement.where(ImageRow.id < before)
            rows = connection.execute(query.limit(batch)).all()
            for row in rows:
                if resource and not _uses(row.resolution, *resource):
                    continue
                found.append(image_card(row))
                if len(found) > limit:
                    break
            if len(found) > limit or len(rows) < batch:
                break
            before = rows[-1].id
    if len(found) > limit:
        return GalleryPage(found[:limit], found[limit - 1].id)
    return GalleryPage(found, None)


def preset_images(database: Database, preset_id: str, limit: int) -> list[ImageCard]:
    return gallery_page(database, GalleryFilter(preset=preset_id), limit).items


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

    def to_json(self) -> dict[str, Any]:
        spec = self.spec
        picks = []
        for category, chosen in self.resolution.items():
            if isinstance(chosen, list):
                for pick in chosen:
                    if isinstance(pick, dict) and pick.get("id"):
                        picks.append(
                            {"category": category, "id": pick["id"], "name": pick.get("name")}
                        )
        card = self.card
        return {
            "id": card.id,
            "url": "/static/uploads/" + card.relative_path,
            "relative_path": card.relative_path,
            "file_name": card.relative_path.rsplit("/", 1)[-1],
            "width": card.width,
            "height": card.height,
            "seed": card.seed,
            "is_favourite": card.is_favourite,
            "is_nsfw": card.is_nsfw,
            "created_at": card.created_at.isoformat() if card.created_at else None,
            "created_iso": machine_time(card.created_at),
            "created_label": readable_time(card.created_at),
            "preset": {"id": card.preset_id, "slug": self.preset_slug, "name": self.preset_name}
            if card.preset_id
            else None,
            "checkpoint": self.checkpoint or spec.get("checkpoint"),
            "backend": self.backend,
            "job_id": self.job_id,
            "prompt": spec.get("positive", ""),
            "negative": spec.get("negative", ""),
            "loras": [
                {
                    "name": lora.get("name"),
                    "model_weight": lora.get("model_weight"),
                    "clip_weight": lora.get("clip_weight"),
                }
                for lora in spec.get("loras") or []
                if isinstance(lora, dict)
            ],
            "parameters": {
                key: spec.get(key)
                for key in ("steps", "cfg", "sampler", "scheduler", "clip_skip", "vae")
                if spec.get(key) is not None
            },
            "picks": picks,
        }


def image_detail(database: Database, image_id: int) -> ImageDetail | None:
    with database.engine.connect() as connection:
        row = connection.execute(
            select(
                *_CARD_COLUMNS,
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
