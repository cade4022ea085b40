"""The library editor's form fields <-> a resource document.

Field names: ``id`` (new resources), ``name``, ``description``, ``tags`` (``key: value``
lines), ``is_favourite``, ``is_nsfw``; prompt sections ``s.<n>.name``, each field row
``f.<r>.section`` (the section's ``<n>``), ``f.<r>.key``, ``f.<r>.value`` and
``f.<r>.default`` (checked: a default field); ``lora.file``, ``lora.weight_mode`` (fixed,
range), ``lora.weight``, ``lora.min``, ``lora.max``, ``lora.clip_weight``,
``lora.triggers`` (comma-separated); detailers ``prompt_tags``; characters
``active_outfit``. A section named ``identity`` is a character's identity.

A character's wardrobe rows are read by `gaze.web.wardrobe_form`. What the form does not show
(the cover) is kept from the stored document; everything can also be edited as JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gaze.library.fields import FIELD_SEPARATOR, IDENTITY_SECTION
from gaze.web.preset_form import parse_tags, tags_text
from gaze.web.wardrobe_form import wardrobe_from_form, wardrobe_rows

FormValues = Mapping[str, Sequence[str]]


def _one(values: FormValues, name: str) -> str:
    found = values.get(name) or []
    return found[-1] if found else ""


def _number(text: str) -> Any:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _sections(values: FormValues) -> tuple[dict[str, dict[str, str]], list[str]]:
    """({section: {key: value}}, default field addresses), in form order."""
    names: dict[str, str] = {}
    rows: dict[str, dict[str, str]] = {}
    order: list[str] = []
    for key in values:
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "s" and parts[2] == "name":
            names[parts[1]] = _one(values, key).strip()
        elif len(parts) == 3 and parts[0] == "f":
            if parts[1] not in rows:
                rows[parts[1]] = {}
                order.append(parts[1])
            rows[parts[1]][parts[2]] = _one(values, key)
    sections: dict[str, dict[str, str]] = {}
    defaults: list[str] = []
    for row_id in order:
        row = rows[row_id]
        section = names.get(row.get("section", ""), "")
        field_key = row.get("key", "").strip()
        if not section or not field_key:
            continue
        sections.setdefault(section, {})[field_key] = row.get("value", "").strip()
        if row.get("default"):
            defaults.append(f"{section}{FIELD_SEPARATOR}{field_key}")
    for section in names.values():
        if section:
            sections.setdefault(section, {})
    return sections, defaults


def _lora(values: FormValues) -> dict[str, Any] | None:
    file = _one(values, "lora.file").strip()
    if not file:
        return None
    lora: dict[str, Any] = {"file": file}
    if _one(values, "lora.weight_mode") == "range":
        lora["weight"] = {
            "min": _number(_one(values, "lora.min")),
            "max": _number(_one(values, "lora.max")),
        }
    else:
        weight = _number(_one(values, "lora.weight"))
        lora["weight"] = 1.0 if weight is None else weight
    clip = _number(_one(values, "lora.clip_weight"))
    if clip is not None:
        lora["clip_weight"] = clip
    triggers = _split_list(_one(values, "lora.triggers"))
    if triggers:
        lora["triggers"] = triggers
    return lora


def resource_document(
    category: str, values: FormValues, stored: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The resource document the form describes, on top of the stored one (if any)."""
    document: dict[str, Any] = dict(stored or {})
    if stored is None:
        document["id"] = _one(values, "id").strip()
    document.pop("slug", None)
    document["name"] = _one(values, "name").strip()
    document["description"] = _one(values, "description").strip()
    document["tags"] = parse_tags(_one(values, "tags"))
    document["is_favourite"] = _one(values, "is_favourite") in ("1", "on")
    document["is_nsfw"] = _one(values, "is_nsfw") in ("1", "on")
    sections, defaults = _sections(values)
    if category == "characters":
        document["identity"] = sections.pop(IDENTITY_SECTION, {})
        outfit = _one(values, "active_outfit").strip()
        document["active_outfit"] = outfit or None
        from_rows = wardrobe_from_form(values)
        if from_rows is not None:
            document["wardrobe"], document["active_outfit"] = from_rows
    document["fields"] = sections
    document["default_fields"] = defaults
    document["lora"] = _lora(values)
    if category == "detailers":
        document["prompt_tags"] = _split_list(_one(values, "prompt_tags"))
    return document


def _shown(value: Any) -> str:
    return ", ".join(value) if isinstance(value, list) else str(value)


def resource_editor_state(category: str, document: Mapping[str, Any]) -> dict[str, Any]:
    """What the editor shows: sections of rows (key, value, default), the LoRA, the rest."""
    defaults = set(document.get("default_fields") or [])
    sections_in: list[tuple[str, Mapping[str, Any]]] = []
    if category == "characters":
        sections_in.append((IDENTITY_SECTION, document.get("identity") or {}))
    sections_in += list((document.get("fields") or {}).items())
    sections = [
        {
            "name": name,
            "rows": [
                {
                    "key": key,
                    "value": _shown(value),
                    "default": f"{name}{FIELD_SEPARATOR}{key}" in defaults,
                }
                for key, value in values.items()
            ],
        }
        for name, values in sections_in
    ]
    lora = document.get("lora") or {}
    weight = lora.get("weight", 1.0)
    ranged = isinstance(weight, dict)
    return {
        "id": document.get("id", ""),
        "name": document.get("name", ""),
        "description": document.get("description", ""),
        "tags": tags_text(document.get("tags") or {}),
        "is_favourite": bool(document.get("is_favourite")),
        "is_nsfw": bool(document.get("is_nsfw")),
        "sections": sections,
        "lora": {
            "file": lora.get("file", ""),
            "weight_mode": "range" if ranged else "fixed",
            "weight": "" if ranged else weight,
            "min": weight.get("min", "") if ranged else "",
            "max": weight.get("max", "") if ranged else "",
            "clip_weight": "" if lora.get("clip_weight") is None else lora["clip_weight"],
            "triggers": ", ".join(lora.get("triggers") or []),
        },
        "prompt_tags": ", ".join(document.get("prompt_tags") or []),
        "wardrobe": list(document.get("wardrobe") or {}),
        "wardrobe_rows": wardrobe_rows(document),
        "active_outfit": document.get("active_outfit") or "",
    }
