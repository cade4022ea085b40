"""Moving a resource to another category, as the library sees it: the document mapped onto the
target category's schema (what is kept, what is dropped), and the row moved in the database.

Prompt fields keep their ``section::key`` addresses: a character's ``identity`` section becomes
an ordinary ``identity`` section elsewhere, and an ``identity`` section becomes a character's
identity, so ``default_fields`` and presets' chosen fields stay valid. What the target's schema
has no place for (a character's wardrobe, a detailer's prompt tags) is dropped and reported.
Who else uses the resource (presets, wardrobes) is the presets layer's business.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gaze.db.models import ResourceRow
from gaze.library.fields import IDENTITY_SECTION, describe_errors
from gaze.library.schema import CATEGORIES, Resource, resource_model_for
from gaze.library.store import upsert_resource
from gaze.service_errors import Invalid

MOVABLE_CATEGORIES: tuple[str, ...] = tuple(
    category
    for category in CATEGORIES
    if category in ("characters", "looks", "outfits", "actions", "styles", "scenes", "detailers")
)
"""The categories a resource can move between: those whose resources fill a preset's slot."""

_NOT_REPORTED = ("id", "slug", "fields")


@dataclass(frozen=True)
class MappedResource:
    """A resource as it would be in the target category."""

    resource: Resource
    kept: list[str]
    """What it keeps: prompt field addresses (``section::key``), then other non-empty fields."""
    dropped: list[str]
    """What the target has no place for: ``prompt_tags``, ``wardrobe.<outfit>``,
    ``active_outfit``..."""


def movable_category(category: str, role: str) -> str:
    """`category` when a resource can move from or to it; Invalid naming `role` otherwise."""
    if category not in MOVABLE_CATEGORIES:
        raise Invalid(
            [f"{role}: {category!r} is not one of {', '.join(MOVABLE_CATEGORIES)}"],
            code="unknown_category",
        )
    return category


def map_to_category(
    document: Mapping[str, Any], source: str, target: str, new_id: str | None = None
) -> MappedResource:
    """The resource of `source` described by `document`, as a resource of `target` (under
    `new_id` when given). Invalid when the stored document or the new id is not valid."""
    source_model = resource_model_for(source)
    target_model = resource_model_for(target)
    try:
        original = source_model.model_validate(dict(document))
    except ValidationError as error:
        raise Invalid(describe_errors(error), intro="The stored resource is not valid: ") from None
    data = original.model_dump(mode="json")
    if new_id is not None:
        data["id"] = new_id
        data.pop("slug", None)
    data["fields"] = _moved_sections(data, source, target)
    dropped: list[str] = []
    for key in list(data):
        if key not in target_model.model_fields:
            dropped += _reported(key, data.pop(key), source_model.model_fields[key].default)
    try:
        moved = target_model.model_validate(data)
    except ValidationError as error:
        raise Invalid(describe_errors(error), intro=f"Cannot be one of the {target}: ") from None
    return MappedResource(moved, _kept(moved, target_model), dropped)


def _moved_sections(data: dict[str, Any], source: str, target: str) -> dict[str, Any]:
    """The target's ``fields``; a character's identity moves between ``identity`` and
    ``fields.identity`` (taken out of `data` when the target is a character)."""
    fields = dict(data.get("fields") or {})
    if source == "characters" and target != "characters":
        identity = data.pop(IDENTITY_SECTION, None)
        if identity:
            fields = {IDENTITY_SECTION: identity, **fields}
    elif target == "characters" and IDENTITY_SECTION in fields:
        data[IDENTITY_SECTION] = fields.pop(IDENTITY_SECTION)
    return fields


def _reported(key: str, value: Any, default: Any) -> list[str]:
    if value == default or value in ([], {}, None, ""):
        return []
    if isinstance(value, Mapping):
        return [f"{key}.{name}" for name in value]
    return [key]


def _kept(moved: Resource, model: type[Resource]) -> list[str]:
    addresses = moved.field_addresses()
    others = [
        key
        for key, field in model.model_fields.items()
        if key not in _NOT_REPORTED
        and key != IDENTITY_SECTION
        and getattr(moved, key) not in (field.default, [], {}, None, "")
    ]
    return addresses + others


def category_holder(session: Session, category: str, resource: Resource) -> str | None:
    """The id of the resource of `category` whose id or slug `resource` would take, or None."""
    holder = session.execute(
        select(ResourceRow.id).where(
            ResourceRow.category == category,
            (ResourceRow.id == resource.id) | (ResourceRow.slug == resource.slug),
        )
    ).first()
    return None if holder is None else str(holder.id)


def move_resource_row(
    session: Session, source: str, resource_id: str, moved: Resource
) -> ResourceRow:
    """Replace the row (`source`, `resource_id`) by `moved`'s row in its category, keeping
    when it was created; within the caller's transaction."""
    row = session.get(ResourceRow, (source, resource_id))
    if row is None:
        raise ValueError(f"no row {source}/{resource_id}")
    created_at = row.created_at
    session.delete(row)
    session.flush()
    new_row = upsert_resource(session, moved)
    new_row.created_at = created_at
    return new_row
