"""The gallery's images, newest first, filtered and paged by id; or one of them at random."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Text, cast, func, select

from gaze.db.connection import Database
from gaze.db.models import ImageRow
from gaze.gallery.cards import CARD_COLUMNS, ImageCard, image_card
from gaze.gallery.filters import GalleryFilter
from gaze.gallery.visibility import sfw_condition

PAGE_SIZE = 60
SCAN_BATCH = 300
"""Rows read at a time while a resource filter looks for a page's images."""


@dataclass(frozen=True)
class GalleryPage:
    items: list[ImageCard]
    next_before: int | None


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
    if selection.favourites or selection.favourite is True:
        statement = statement.where(ImageRow.is_favourite.is_(True))
    elif selection.favourite is False:
        statement = statement.where(ImageRow.is_favourite.is_(False))
    if selection.since is not None:
        statement = statement.where(ImageRow.created_at >= selection.since)
    if selection.nsfw == "hide":
        statement = statement.where(ImageRow.is_nsfw.is_(False))
    elif selection.nsfw == "only":
        statement = statement.where(ImageRow.is_nsfw.is_(True))
    if selection.sfw_only:
        statement = statement.where(sfw_condition(selection))
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
    columns = (*CARD_COLUMNS, ImageRow.resolution) if resource else CARD_COLUMNS
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


def random_gallery_card(
    database: Database, selection: GalleryFilter, pick: Callable[[int], int] = random.randrange
) -> ImageCard | None:
    """One of the images `selection` matches (its `before` aside), each as likely; None when
    there is none. `pick(n)` chooses an index below n."""
    resource = selection.resource_key()
    columns: tuple[Any, ...] = CARD_COLUMNS
    cards = select(*columns)
    row: Any
    with database.engine.connect() as connection:
        if resource is None:
            count = connection.execute(
                _filtered(select(func.count(ImageRow.id)), selection)
            ).scalar_one()
            if not count:
                return None
            row = connection.execute(
                _filtered(cards, selection).order_by(ImageRow.id).offset(pick(count)).limit(1)
            ).first()
        else:
            candidates = connection.execute(
                _filtered(select(ImageRow.id, ImageRow.resolution), selection)
            ).all()
            ids = [row.id for row in candidates if _uses(row.resolution, *resource)]
            if not ids:
                return None
            row = connection.execute(cards.where(ImageRow.id == ids[pick(len(ids))])).first()
    return None if row is None else image_card(row)
