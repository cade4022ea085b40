"""A character's wardrobe as form rows <-> the document's ``wardrobe`` and ``active_outfit``.

Rows are ``w.<n>.name``, ``w.<n>.outfit_id`` (an outfits resource; blank: the row's own
prompt text) and ``w.<n>.fields`` (the own prompt text: one ``key: prompt text`` a line; a
line without a key is ``outfit``). ``active_outfit`` names the row worn (its ``<n>``). A row
without a name is dropped, so a blank row adds an outfit and clearing a name removes one.
``wardrobe_form`` marks a form that shows the wardrobe (every row removed: no wardrobe).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

FormValues = Mapping[str, Sequence[str]]
LOOSE_KEY = "outfit"


def _one(values: FormValues, name: str) -> str:
    found = values.get(name) or []
    return found[-1].strip() if found else ""


def parse_outfit_lines(text: str) -> dict[str, str]:
    """``top: green cloak`` lines -> {"top": "green cloak"}; prompt commas stay in the text."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        if not colon or " " in key.strip():
            key, value = LOOSE_KEY, line
        key = key.strip()
        name, number = key, 2
        while name in fields:
            name, number = f"{key}_{number}", number + 1
        fields[name] = value.strip()
    return fields


def outfit_lines(fields: Mapping[str, Any]) -> str:
    return "\n".join(
        f"{key}: {', '.join(value) if isinstance(value, list) else value}"
        for key, value in fields.items()
    )


def wardrobe_from_form(values: FormValues) -> tuple[dict[str, Any], str | None] | None:
    """(wardrobe, active outfit) the rows describe; None when the form has no wardrobe."""
    if not _one(values, "wardrobe_form"):
        return None
    rows: list[str] = []
    for key in values:
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "w" and parts[1] not in rows:
            rows.append(parts[1])
    wardrobe: dict[str, Any] = {}
    names: dict[str, str] = {}
    for row in rows:
        name = _one(values, f"w.{row}.name")
        if not name:
            continue
        names[row] = name
        outfit_id = _one(values, f"w.{row}.outfit_id")
        if outfit_id:
            wardrobe[name] = {"outfit_id": outfit_id}
        else:
            wardrobe[name] = {"fields": parse_outfit_lines(_one(values, f"w.{row}.fields"))}
    chosen = names.get(_one(values, "active_outfit"))
    if chosen is None and wardrobe:
        chosen = next(iter(wardrobe))
    return wardrobe, chosen


def wardrobe_rows(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows the form shows for a stored wardrobe."""
    active = document.get("active_outfit")
    rows = []
    for name, outfit in (document.get("wardrobe") or {}).items():
        outfit = outfit if isinstance(outfit, Mapping) else {}
        rows.append(
            {
                "name": name,
                "outfit_id": outfit.get("outfit_id") or "",
                "fields": outfit_lines(outfit.get("fields") or {}),
                "active": name == active,
            }
        )
    return rows
