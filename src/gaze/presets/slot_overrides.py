"""Slot overrides of a request (``"slots": {"characters": "nova_quinn", "scenes": null}``):
a string fixes the slot to that id (for detailers a one-item fixed slot), an object is a full
slot as `gaze.presets.schema` defines it, null turns the slot off; categories not named keep
the preset's. Problems are `Invalid` (400), one line each, naming ``<where>.<category>...``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from gaze.library.fields import describe_errors
from gaze.library.schema import CATEGORIES
from gaze.library.view import LibraryView
from gaze.presets.schema import CharacterSlot, DetailerSlot, Slot
from gaze.service_errors import Invalid

SLOT_MODELS: dict[str, type[Slot]] = {"characters": CharacterSlot, "detailers": DetailerSlot}


def slot_model(category: str) -> type[Slot]:
    """The slot class of a category."""
    return SLOT_MODELS.get(category, Slot)


def slot_problems(category: str, value: Any, where: str) -> tuple[Slot | None, list[str]]:
    """One slot from its shorthand or full form, or the problems (each naming `where`)."""
    model = slot_model(category)
    if value is None:
        document: Any = {"mode": "none"}
    elif isinstance(value, str):
        document = {"mode": "fixed", "id": value}
    elif isinstance(value, Mapping):
        document = dict(value)
    else:
        return None, [f"{where}: must be a resource id, a slot object or null"]
    try:
        return model.model_validate(document), []
    except ValidationError as error:
        lines = describe_errors(error)
        if isinstance(value, str):
            return None, [f"{where}: {line.split(': ', 1)[-1]}" for line in lines]
        return None, [f"{where}.{line}" for line in lines]


def parse_slot_overrides(value: Any, where: str = "slots") -> dict[str, Slot]:
    """The slots a request replaces, by category; Invalid (code ``invalid_slots``) names every
    problem: an unknown category, a bad shorthand or slot object."""
    if not isinstance(value, Mapping):
        raise Invalid(
            [f'{where}: must be an object such as {{"characters": "an_id", "scenes": null}}'],
            code="invalid_slots",
        )
    problems: list[str] = []
    slots: dict[str, Slot] = {}
    for category, slot_value in value.items():
        if category not in CATEGORIES:
            problems.append(f"{where}.{category}: unknown category; known: {', '.join(CATEGORIES)}")
            continue
        slot, found = slot_problems(category, slot_value, f"{where}.{category}")
        problems += found
        if slot is not None:
            slots[category] = slot
    if problems:
        raise Invalid(problems, code="invalid_slots")
    return slots


def slot_ids(slot: Slot) -> list[str]:
    """Every resource id a slot names: its fixed id(s) and a list pool's ids."""
    ids: list[str] = []
    if slot.mode == "fixed":
        ids += slot.fixed_ids() if isinstance(slot, DetailerSlot) else [slot.id or ""]
    if slot.mode == "random" and slot.pool is not None and slot.pool.kind == "list":
        ids += slot.pool.ids
    return ids


def unknown_slot_ids(
    slots: Mapping[str, Slot], library: LibraryView, where: str = "slots"
) -> list[str]:
    """One line per id the library lacks (all of them, not just the first)."""
    return [
        f"{where}.{category}: unknown {category} id {resource_id!r}"
        for category, slot in slots.items()
        for resource_id in slot_ids(slot)
        if library.get(category, resource_id) is None
    ]


def fixed_names(slots: Iterable[tuple[str, Slot]], library: LibraryView) -> list[str]:
    """The names of the resources that fixed slots name, in the given order."""
    names: list[str] = []
    for category, slot in slots:
        if slot.mode != "fixed":
            continue
        ids = slot.fixed_ids() if isinstance(slot, DetailerSlot) else [slot.id or ""]
        for resource_id in ids:
            resource = library.get(category, resource_id)
            names.append(resource.name if resource is not None else resource_id)
    return names
