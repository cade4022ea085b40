"""The resources an editor offers to choose from, with their fields (``section::key``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from gaze.db.connection import Database
from gaze.db.models import ResourceRow
from gaze.library.fields import FIELD_SEPARATOR, IDENTITY_SECTION
from gaze.library.schema import CATEGORIES


@dataclass(frozen=True)
class ResourceChoice:
    id: str
    name: str
    fields: list[str]
    default_fields: list[str]
    wardrobe: list[str]


@dataclass
class CategoryChoices:
    resources: list[ResourceChoice] = field(default_factory=list)
    all_fields: list[str] = field(default_factory=list)
    tag_keys: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            choice.id: {
                "fields": choice.fields,
                "defaults": choice.default_fields,
                "wardrobe": choice.wardrobe,
            }
            for choice in self.resources
        }


def field_addresses(document: dict[str, Any]) -> list[str]:
    """Every ``section::key`` of a resource document (identity first for characters)."""
    addresses = [
        f"{IDENTITY_SECTION}{FIELD_SEPARATOR}{key}" for key in document.get("identity") or {}
    ]
    for section, values in (document.get("fields") or {}).items():
        if isinstance(values, dict):
            addresses += [f"{section}{FIELD_SEPARATOR}{key}" for key in values]
    return addresses


def resource_choices(database: Database) -> dict[str, CategoryChoices]:
    """Per category: its resources by name, the union of their fields, their tag keys."""
    choices = {category: CategoryChoices() for category in CATEGORIES}
    with database.engine.connect() as connection:
        rows = connection.execute(
            select(ResourceRow.category, ResourceRow.id, ResourceRow.name, ResourceRow.document)
            .where(ResourceRow.category.in_(CATEGORIES))
            .order_by(ResourceRow.name, ResourceRow.id)
        ).all()
    for row in rows:
        document = row.document or {}
        addresses = field_addresses(document)
        entry = choices[row.category]
        entry.resources.append(
            ResourceChoice(
                id=row.id,
                name=row.name,
                fields=addresses,
                default_fields=list(document.get("default_fields") or []),
                wardrobe=list(document.get("wardrobe") or {}),
            )
        )
        for address in addresses:
            if address not in entry.all_fields:
                entry.all_fields.append(address)
        for key in document.get("tags") or {}:
            if key not in entry.tag_keys:
                entry.tag_keys.append(key)
    for entry in choices.values():
        entry.all_fields.sort()
        entry.tag_keys.sort()
    return choices
