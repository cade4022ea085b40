"""The choices of the gallery's filter bar: presets and checkpoints that have images."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import distinct, select

from gaze.db.connection import Database
from gaze.db.models import ImageRow, PresetRow, ResourceRow
from gaze.gallery.filters import GalleryFilter

MAX_RESOURCE_CHOICES = 2000


@dataclass(frozen=True)
class GalleryOptions:
    presets: list[tuple[str, str]]
    """(preset id, name) of the presets with images, by name."""
    checkpoints: list[str]
    resources: list[tuple[str, str]]
    """("category:id", "Name (category)") to filter on, by name."""
    resource_label: str
    """The resource filtered on, for people ('' when none)."""


def gallery_options(database: Database, selection: GalleryFilter) -> GalleryOptions:
    with database.engine.connect() as connection:
        preset_ids = select(distinct(ImageRow.preset_id)).where(ImageRow.preset_id.is_not(None))
        presets = connection.execute(
            select(PresetRow.id, PresetRow.name)
            .where(PresetRow.id.in_(preset_ids))
            .order_by(PresetRow.name, PresetRow.id)
        ).all()
        checkpoints = connection.execute(
            select(distinct(ImageRow.checkpoint))
            .where(ImageRow.checkpoint.is_not(None))
            .order_by(ImageRow.checkpoint)
        ).scalars()
        checkpoint_list = [path for path in checkpoints if path]
        resources = [
            (f"{row.category}:{row.id}", f"{row.name} ({row.category[:-1]})")
            for row in connection.execute(
                select(ResourceRow.category, ResourceRow.id, ResourceRow.name)
                .order_by(ResourceRow.name, ResourceRow.category, ResourceRow.id)
                .limit(MAX_RESOURCE_CHOICES)
            )
        ]
        label = ""
        resource = selection.resource_key()
        if resource is not None:
            name = connection.execute(
                select(ResourceRow.name).where(
                    ResourceRow.category == resource[0], ResourceRow.id == resource[1]
                )
            ).scalar_one_or_none()
            label = f"{resource[0][:-1]}: {name or resource[1]}"
    known = [(row.id, row.name) for row in presets]
    if selection.preset and selection.preset not in {preset_id for preset_id, _ in known}:
        known.insert(0, (selection.preset, selection.preset))
    return GalleryOptions(
        presets=known, checkpoints=checkpoint_list, resources=resources, resource_label=label
    )
