"""What a preset refers to in the library, and which of those references are missing."""

from __future__ import annotations

from gaze.library.schema import CATEGORIES, Character
from gaze.library.view import LibraryView
from gaze.presets.schema import CharacterSlot, DetailerSlot, Preset, Slot


def slot_resource_ids(slot: Slot) -> list[str]:
    """The resource ids a slot names: a fixed slot's id (or ids), a list pool's ids."""
    if slot.mode == "fixed":
        return slot.fixed_ids() if isinstance(slot, DetailerSlot) else [slot.id or ""]
    if slot.mode == "random" and slot.pool is not None and slot.pool.kind == "list":
        return list(slot.pool.ids)
    return []


def uses_resource(preset: Preset, category: str, resource_id: str) -> bool:
    """True if the preset names this resource (a random pool over all or a tag does not)."""
    return resource_id in slot_resource_ids(preset.slot(category))


def _location(category: str, slot: Slot, index: int) -> str:
    if slot.mode == "random":
        return f"{category}.pool.ids[{index}]"
    if isinstance(slot, DetailerSlot) and slot.ids:
        return f"{category}.ids[{index}]"
    return f"{category}.id"


def missing_references(preset: Preset, library: LibraryView) -> list[str]:
    """One line per resource, field or wardrobe outfit the preset names that the library
    lacks, e.g. ``"scenes.id: no scene with id 'beach'"``. Random pools over the whole
    category or a tag, and checkpoints (which live on the backends), are not checked."""
    problems: list[str] = []
    for category in CATEGORIES:
        slot = preset.slot(category)
        for index, resource_id in enumerate(slot_resource_ids(slot)):
            resource = library.get(category, resource_id)
            where = _location(category, slot, index)
            if resource is None:
                problems.append(f"{where}: no {category[:-1]} with id {resource_id!r}")
                continue
            if slot.mode == "fixed" and slot.fields is not None:
                for address in slot.fields:
                    if resource.field_value(address) is None:
                        problems.append(
                            f"{category}.fields: {resource_id!r} has no field {address!r}"
                        )
            if (
                isinstance(slot, CharacterSlot)
                and slot.outfit is not None
                and isinstance(resource, Character)
                and slot.outfit not in resource.wardrobe
            ):
                known = ", ".join(repr(name) for name in resource.wardrobe) or "none"
                problems.append(
                    f"characters.outfit: {resource_id!r} has no outfit {slot.outfit!r} "
                    f"(outfits: {known})"
                )
    return problems
