"""Moving a library resource to another category (an outfit that really is a look), with the
presets that use it, in one database transaction.

The resource keeps what the target category's schema has (`gaze.library.category_move`). Its
users decide whether the move may happen:

- presets whose slots name it: refused (409, naming every one) unless ``update_presets``, which
  moves it in each preset from the old category's slot to the new one's:
  a fixed slot frees the old slot and becomes a fixed slot of the target when that slot is off
  (for detailers, also when the target is a fixed list with the same fields: the id joins it);
  a list pool loses the id, which joins the target's list pool when the target is one (a pool
  left empty is treated as a fixed slot, since it always picked the resource). A preset that
  cannot be changed cleanly (target slot in use, a detailer count the pool cannot fill) refuses
  the whole move, naming the preset and why;
- characters wearing an outfit in their wardrobe: always refused, naming them (their wardrobe
  needs an outfit; the user decides what they wear instead).

A dry run answers the same (or refuses the same) and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gaze.db.connection import Database
from gaze.db.models import PresetRow, ResourceRow
from gaze.library.category_move import (
    MappedResource,
    category_holder,
    map_to_category,
    movable_category,
    move_resource_row,
)
from gaze.library.fields import describe_errors
from gaze.library.schema import Character, Resource
from gaze.library.service import mentions
from gaze.presets.schema import MAX_DETAILERS, Preset
from gaze.presets.store import upsert_preset
from gaze.presets.usage import presets_with_resource
from gaze.service_errors import Conflict, Invalid, NotFound

_BODY_FIELDS = ("to", "update_presets", "dry_run", "new_id")


@dataclass(frozen=True)
class MoveRequest:
    category: str
    resource_id: str
    """The resource's id (or slug) in `category`."""
    to: str
    new_id: str | None = None
    """The id in the target category; None keeps the id."""
    update_presets: bool = False
    dry_run: bool = False

    @classmethod
    def from_json(cls, category: str, resource_id: str, body: Any) -> MoveRequest:
        """The request of a JSON body ``{"to", "update_presets", "dry_run", "new_id"}``;
        Invalid names every problem."""
        if not isinstance(body, dict):
            raise Invalid(["(body): must be a JSON object"], code="invalid_request")
        problems = [f"{key}: unknown field" for key in body if key not in _BODY_FIELDS]
        to = body.get("to")
        if not isinstance(to, str) or not to:
            problems.append("to: required, the category to move the resource to")
        new_id = body.get("new_id")
        if new_id is not None and (not isinstance(new_id, str) or not new_id):
            problems.append("new_id: must be a non-empty string (or null to keep the id)")
        for flag in ("update_presets", "dry_run"):
            if not isinstance(body.get(flag, False), bool):
                problems.append(f"{flag}: must be true or false")
        if problems:
            raise Invalid(problems, code="invalid_request")
        return cls(
            category=category,
            resource_id=resource_id,
            to=str(to),
            new_id=new_id,
            update_presets=body.get("update_presets", False),
            dry_run=body.get("dry_run", False),
        )


@dataclass(frozen=True)
class PresetUpdate:
    id: str
    slug: str
    name: str
    changes: list[str]
    """What changes in the preset, one line each."""


@dataclass(frozen=True)
class MoveOutcome:
    category: str
    """Where the resource is (or, in a dry run, would be)."""
    resource: dict[str, Any]
    kept: list[str]
    dropped: list[str]
    presets_updated: list[PresetUpdate]
    dry_run: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "resource": self.resource,
            "kept": self.kept,
            "dropped": self.dropped,
            "presets_updated": [
                {
                    "id": preset.id,
                    "slug": preset.slug,
                    "name": preset.name,
                    "changes": preset.changes,
                }
                for preset in self.presets_updated
            ],
            "dry_run": self.dry_run,
        }


def move_resource(database: Database, request: MoveRequest) -> MoveOutcome:
    """Move (or with ``dry_run``, say what moving would do); see the module docstring.
    Invalid (400), NotFound (404) or Conflict (409) name the problem."""
    source = movable_category(request.category, "category")
    target = movable_category(request.to, "to")
    if source == target:
        raise Invalid([f"to: the resource is already one of the {source}"], code="same_category")
    with database.session() as session:
        row = _resource_row(session, source, request.resource_id)
        mapped = map_to_category(row.document, source, target, request.new_id)
        moved = mapped.resource
        _ensure_free(session, target, moved)
        _ensure_not_worn(session, source, row.id)
        updates = _preset_updates(session, source, target, row.id, mapped, request.update_presets)
        if not request.dry_run:
            move_resource_row(session, source, row.id, moved)
            for preset, _ in updates:
                upsert_preset(session, preset)
    return MoveOutcome(
        category=target,
        resource=moved.model_dump(mode="json"),
        kept=mapped.kept,
        dropped=mapped.dropped,
        presets_updated=[
            PresetUpdate(preset.id, preset.slug, preset.name, changes)
            for preset, changes in updates
        ],
        dry_run=request.dry_run,
    )


def _resource_row(session: Session, category: str, key: str) -> ResourceRow:
    for column in (ResourceRow.id, ResourceRow.slug):
        row = session.execute(
            select(ResourceRow).where(ResourceRow.category == category, column == key)
        ).scalar_one_or_none()
        if row is not None:
            return row
    noun = category[:-1]
    raise NotFound(f"No {noun} with id {key!r}.", code=f"{noun}_not_found")


def _ensure_free(session: Session, target: str, moved: Resource) -> None:
    holder = category_holder(session, target, moved)
    if holder is None:
        return
    noun = target[:-1]
    clash = "id" if holder == moved.id else f"slug {moved.slug!r}"
    raise Conflict(
        f"The {target} already have a {noun} with the {clash}: {holder!r}; "
        "give the moved resource a new_id.",
        code="already_exists",
    )


def _ensure_not_worn(session: Session, source: str, resource_id: str) -> None:
    if source != "outfits":
        return
    wearers = []
    for character in session.execute(
        select(ResourceRow.id, ResourceRow.document)
        .where(ResourceRow.category == "characters", mentions(ResourceRow.document, resource_id))
        .order_by(ResourceRow.id)
    ).all():
        wardrobe = Character.model_validate(character.document).wardrobe
        wearers += [
            f"character {character.id!r} (wardrobe outfit {name!r})"
            for name, outfit in wardrobe.items()
            if outfit.outfit_id == resource_id
        ]
    if wearers:
        raise Conflict(
            f"The outfit {resource_id!r} is worn by {', '.join(wearers)}; change their "
            "wardrobes first.",
            code="worn_by_characters",
        )


def _preset_updates(
    session: Session,
    source: str,
    target: str,
    old_id: str,
    mapped: MappedResource,
    update_presets: bool,
) -> list[tuple[Preset, list[str]]]:
    users = presets_with_resource(session, source, old_id)
    if not users:
        return []
    noun = source[:-1]
    if not update_presets:
        named = ", ".join(f"preset {user.id!r} ({user.name})" for user in users)
        raise Conflict(
            f"The {noun} {old_id!r} is used by {named}; move it with update_presets to "
            "change them too, or change them first.",
            code="used_by_presets",
        )
    updates: list[tuple[Preset, list[str]]] = []
    problems: list[str] = []
    for user in users:
        stored = session.get(PresetRow, user.id)
        assert stored is not None
        preset = Preset.model_validate(stored.document)
        try:
            updates.append(moved_in_preset(preset, source, target, old_id, mapped.resource))
        except PresetNotMovable as refusal:
            problems.append(f"preset {preset.id!r} ({preset.name}): {refusal}")
    if problems:
        raise Conflict(
            f"The {noun} {old_id!r} cannot be moved in every preset: " + "; ".join(problems),
            code="preset_conflict",
        )
    return updates


class PresetNotMovable(Exception):
    """Why a preset cannot follow the move cleanly."""


@dataclass
class _Placement:
    """How the resource was in the source slot: ``fixed`` (with its fields) or ``pool``."""

    kind: str
    fields: list[str] | None = None


def moved_in_preset(
    preset: Preset, source: str, target: str, old_id: str, moved: Resource
) -> tuple[Preset, list[str]]:
    """The preset with the resource moved from its `source` slot to its `target` slot, and
    what changed; PresetNotMovable says why it cannot be done cleanly."""
    document = preset.model_dump(mode="json")
    changes: list[str] = []
    placement = _take_out(document, source, old_id, moved, changes)
    _put_in(document, target, moved.id, placement, changes)
    try:
        return Preset.model_validate(document), changes
    except ValidationError as error:
        raise PresetNotMovable("; ".join(describe_errors(error))) from None


def _take_out(
    document: dict[str, Any], source: str, old_id: str, moved: Resource, changes: list[str]
) -> _Placement:
    slot = dict(document[source])
    if slot["mode"] == "fixed":
        ids = slot.get("ids") or []
        if old_id in ids:
            remaining = [each for each in ids if each != old_id]
            if remaining:
                document[source] = {**slot, "ids": remaining}
                changes.append(f"{source}: {old_id!r} taken out of the fixed {source}")
                return _Placement("fixed", slot.get("fields"))
        document[source] = {"mode": "none"}
        outfit = slot.get("outfit")
        worn = f" (its wardrobe outfit {outfit!r} is no longer chosen)" if outfit else ""
        changes.append(f"{source}: fixed {old_id!r} taken out, the slot is off{worn}")
        return _Placement("fixed", slot.get("fields"))
    pool = dict(slot["pool"])
    remaining = [each for each in pool["ids"] if each != old_id]
    if not remaining:
        document[source] = {"mode": "none"}
        changes.append(f"{source}: the pool held only {old_id!r}; the slot is off")
        addresses = set(moved.field_addresses())
        fields = [each for each in slot.get("fields") or [] if each in addresses]
        return _Placement("fixed", fields or None)
    count = slot.get("count", 1)
    if count > len(remaining):
        raise PresetNotMovable(
            f"its {source} pool would keep {len(remaining)} id(s), fewer than it picks ({count})"
        )
    document[source] = {**slot, "pool": {**pool, "ids": remaining}}
    changes.append(f"{source}: {old_id!r} taken out of the random pool")
    return _Placement("pool")


def _put_in(
    document: dict[str, Any],
    target: str,
    new_id: str,
    placement: _Placement,
    changes: list[str],
) -> None:
    slot = dict(document[target])
    mode = slot["mode"]
    if placement.kind == "pool":
        pool = slot.get("pool") or {}
        if mode == "random" and pool.get("kind") == "list" and new_id not in pool["ids"]:
            document[target] = {**slot, "pool": {**pool, "ids": [*pool["ids"], new_id]}}
            changes.append(f"{target}: {new_id!r} added to the random pool")
        else:
            changes.append(f"{target}: {new_id!r} not added (the slot has no list pool)")
        return
    if mode == "none":
        fixed: dict[str, Any] = {"mode": "fixed", "id": new_id}
        if placement.fields is not None:
            fixed["fields"] = placement.fields
        document[target] = fixed
        changes.append(f"{target}: fixed {new_id!r}")
        return
    if target == "detailers" and mode == "fixed":
        ids = slot.get("ids") or [slot["id"]]
        if slot.get("fields") == placement.fields and new_id not in ids:
            if len(ids) >= MAX_DETAILERS:
                raise PresetNotMovable(f"its fixed detailers are full ({MAX_DETAILERS})")
            document[target] = {**slot, "id": None, "ids": [*ids, new_id]}
            changes.append(f"detailers: {new_id!r} added to the fixed detailers")
            return
    raise PresetNotMovable(f"its {target} slot is already used ({_described(slot)})")


def _described(slot: dict[str, Any]) -> str:
    if slot["mode"] == "fixed":
        ids = slot.get("ids") or [slot.get("id")]
        return "fixed " + ", ".join(repr(each) for each in ids)
    pool = slot.get("pool") or {"kind": "all"}
    if pool.get("kind") == "list":
        return "random from " + ", ".join(repr(each) for each in pool["ids"])
    if pool.get("kind") == "tag":
        return f"random by tag {pool['key']}:{pool['value']}"
    return "random from all"
