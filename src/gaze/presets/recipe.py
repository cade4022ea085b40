"""A recipe: a preset that is not saved, as the compose endpoints take it.

A recipe has the fields of a preset (`gaze.presets.schema.Preset`) without needing an id or a
name; its slots may be written as a preset's (``"characters": {...}``) or in the shorthand of
slot overrides (`gaze.presets.slot_overrides`), either beside the other fields or in a
``"slots"`` object: ``{"slots": {"characters": "nova_quinn", "scenes": null}, "checkpoint": ...}``.
Problems are `Invalid` (code ``invalid_recipe``), each naming ``recipe.<field>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from gaze.library.fields import describe_errors, slug_from_id
from gaze.library.schema import CATEGORIES, PROMPT_ORDER
from gaze.library.view import LibraryView
from gaze.presets.schema import Preset, Slot
from gaze.presets.slot_overrides import fixed_names, slot_problems, unknown_slot_ids
from gaze.service_errors import Invalid

RECIPE_ID = "composed"
RECIPE_NAME = "Composed"
COMPOSED_FOLDER = "composed"


def recipe_preset(recipe: Any, where: str = "recipe") -> Preset:
    """The preset a recipe describes, with the slot shorthand expanded."""
    if not isinstance(recipe, Mapping):
        raise Invalid([f"{where}: must be a JSON object"], code="invalid_recipe")
    document = dict(recipe)
    problems: list[str] = []
    slots: dict[str, Slot] = {}
    shorthand = document.pop("slots", None)
    if shorthand is not None and not isinstance(shorthand, Mapping):
        problems.append(f"{where}.slots: must be an object of slots by category")
        shorthand = None
    for category, value in (shorthand or {}).items():
        if category not in CATEGORIES:
            problems.append(f"{where}.slots.{category}: unknown category")
        elif category in document:
            problems.append(f"{where}.slots.{category}: given twice (also as {where}.{category})")
        else:
            slot, found = slot_problems(category, value, f"{where}.slots.{category}")
            problems += found
            if slot is not None:
                slots[category] = slot
    for category in CATEGORIES:
        value = document.get(category)
        if category in document and (value is None or isinstance(value, str)):
            slot, found = slot_problems(category, document.pop(category), f"{where}.{category}")
            problems += found
            if slot is not None:
                slots[category] = slot
    document.setdefault("id", RECIPE_ID)
    document.setdefault("name", RECIPE_NAME)
    for category, slot in slots.items():
        document[category] = slot.model_dump()
    if problems:
        raise Invalid(problems, code="invalid_recipe")
    try:
        return Preset.model_validate(document)
    except ValidationError as error:
        lines = [f"{where}.{line}" for line in describe_errors(error)]
        raise Invalid(lines, code="invalid_recipe") from None


def recipe_slots(preset: Preset) -> dict[str, Slot]:
    return {category: preset.slot(category) for category in CATEGORIES}


def recipe_reference_problems(preset: Preset, library: LibraryView) -> list[str]:
    """One line per resource id of the recipe the library lacks."""
    return unknown_slot_ids(recipe_slots(preset), library, where="recipe")


def composed_label(preset: Preset, library: LibraryView) -> str:
    """``Composed: <names of the fixed slots' resources>``, or ``Composed: random``."""
    names = fixed_names(((category, preset.slot(category)) for category in PROMPT_ORDER), library)
    return f"Composed: {', '.join(names) if names else 'random'}"


def preset_from_recipe(recipe: Any, name: Any, preset_id: Any = None) -> dict[str, Any]:
    """A preset document to save: the recipe (shorthand expanded) with a name and an id
    (given, or made from the name)."""
    document = dict(recipe) if isinstance(recipe, Mapping) else recipe
    preset = recipe_preset(document)
    saved = preset.model_dump(mode="json", exclude={"slug"})
    saved["name"] = name
    if preset_id is None and preset.id != RECIPE_ID:
        preset_id = preset.id
    if preset_id is None and isinstance(name, str):
        preset_id = slug_from_id(name.strip().lower().replace(" ", "_")) or None
    saved["id"] = preset_id
    return saved
