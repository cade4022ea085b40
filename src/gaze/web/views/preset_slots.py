"""A preset's slots described for people: "Aria Vale", "random from 2", "tag scene_type=outdoor"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gaze.library.schema import CATEGORIES

NameOf = Callable[[str, str], str]
"""(category, id) -> display name (the id when unknown)."""


@dataclass(frozen=True)
class SlotSummary:
    category: str
    mode: str
    what: str
    detail: str
    fields: str

    @property
    def used(self) -> bool:
        return self.mode != "none"


def _names(category: str, ids: list[str], name_of: NameOf) -> str:
    names = [name_of(category, resource_id) for resource_id in ids]
    return ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")


def slot_summary(category: str, slot: dict[str, Any], name_of: NameOf) -> SlotSummary:
    mode = slot.get("mode", "none")
    fields = slot.get("fields")
    fields_text = "default fields" if fields is None else ", ".join(fields) or "no fields"
    if mode == "none":
        return SlotSummary(category, mode, "not used", "", "")
    if mode == "fixed":
        ids = slot.get("ids") or ([slot["id"]] if slot.get("id") else [])
        detail = f"outfit: {slot['outfit']}" if slot.get("outfit") else ""
        return SlotSummary(category, mode, _names(category, ids, name_of), detail, fields_text)
    pool = slot.get("pool") or {"kind": "all"}
    count = slot.get("count", 1)
    several = f"{count} " if count and count > 1 else ""
    if pool.get("kind") == "list":
        ids = pool.get("ids") or []
        what = f"random {several}of {len(ids)}"
        detail = _names(category, ids, name_of)
    elif pool.get("kind") == "tag":
        what = f"random {several}with a tag"
        detail = f"{pool.get('key')} = {pool.get('value')}"
    else:
        what = f"random {several}from all"
        detail = ""
    return SlotSummary(category, mode, what, detail, fields_text)


def preset_slots(document: dict[str, Any], name_of: NameOf) -> list[SlotSummary]:
    return [
        slot_summary(category, document.get(category) or {"mode": "none"}, name_of)
        for category in CATEGORIES
    ]


def named_ids(document: dict[str, Any]) -> dict[str, set[str]]:
    """category -> the resource ids the preset names (fixed ids and list pools)."""
    named: dict[str, set[str]] = {}
    for category in CATEGORIES:
        slot = document.get(category) or {}
        ids = set(slot.get("ids") or [])
        if slot.get("id"):
            ids.add(slot["id"])
        pool = slot.get("pool") or {}
        ids.update(pool.get("ids") or [])
        if ids:
            named[category] = ids
    return named
