"""The preset editor's form fields <-> a preset document.

Field names: ``id``, ``name``, ``description``; per category ``<category>.mode`` (none, fixed,
random), ``.id``, ``.ids`` (detailers, several), ``.outfit`` (characters), ``.pool`` (all,
list, tag), ``.pool_ids``, ``.pool_key``, ``.pool_value``, ``.count`` (detailers),
``.fields_mode`` (default, choose) and ``.fields``; then ``checkpoint``, ``checkpoint_pool``,
``size_mode`` (checkpoint, orientation, custom), ``orientation``, ``width``, ``height``,
``steps``, ``cfg``, ``sampler``, ``scheduler``, ``clip_skip``, ``prompt_weighting`` (blank
inherits), the hires pass (``hires.enabled``, ``hires.scale``, ``hires.denoise``,
``hires.steps``, ``hires.upscaler``, ``hires.sampler``, ``hires.scheduler``; blank steps,
sampler and scheduler: the first pass's), the preset's own LoRAs (rows of ``loras.file``,
``loras.weight`` — a number or ``min..max`` —, ``loras.clip_weight`` and ``loras.triggers``,
comma-separated; a row without a file is skipped), ``positive``, ``negative``, ``tags`` (one
``key: value`` a line), ``is_favourite``, ``is_nsfw``.

Values that cannot be read (a width that is not a number) are passed on as they are, so the
service reports them with the document's other problems.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gaze.library.schema import CATEGORIES

FormValues = Mapping[str, Sequence[str]]
"""Every value of every field (multi-selects and checkboxes give several)."""

SAMPLING_FIELDS = ("steps", "cfg", "sampler", "scheduler", "clip_skip", "prompt_weighting")
HIRES_DEFAULTS: dict[str, Any] = {"scale": 1.5, "denoise": 0.5, "upscaler": "latent"}
"""What the editor offers when a preset has no hires pass yet."""


def _one(values: FormValues, name: str) -> str:
    found = values.get(name) or []
    return found[-1].strip() if found else ""


def _many(values: FormValues, name: str) -> list[str]:
    seen: list[str] = []
    for value in values.get(name) or []:
        value = value.strip()
        if value and value not in seen:
            seen.append(value)
    return seen


def _number(text: str, kind: type[int] | type[float]) -> Any:
    if text == "":
        return None
    try:
        return kind(text)
    except ValueError:
        return text


def parse_tags(text: str) -> dict[str, str | list[str]]:
    """``key: value`` lines -> {key: value}; a value with commas is a list (``outfit_type:
    casual, outdoor``). A line without ':' becomes ``key: ''`` (refused by the service with a
    clear message)."""
    tags: dict[str, str | list[str]] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, _, value = line.partition(":")
        parts = [part.strip() for part in value.split(",") if part.strip()]
        tags[key.strip()] = parts if len(parts) > 1 else value.strip()
    return tags


def tags_text(tags: Mapping[str, Any]) -> str:
    lines = []
    for key, value in tags.items():
        shown = ", ".join(value) if isinstance(value, list) else value
        lines.append(f"{key}: {shown}")
    return "\n".join(lines)


def _slot(values: FormValues, category: str) -> dict[str, Any]:
    prefix = f"{category}."
    mode = _one(values, prefix + "mode") or "none"
    slot: dict[str, Any] = {"mode": mode}
    if mode == "none":
        return slot
    if mode == "fixed":
        if category == "detailers":
            ids = _many(values, prefix + "ids")
            if len(ids) == 1:
                slot["id"] = ids[0]
            elif ids:
                slot["ids"] = ids
        else:
            slot["id"] = _one(values, prefix + "id") or None
        if category == "characters" and _one(values, prefix + "outfit"):
            slot["outfit"] = _one(values, prefix + "outfit")
    elif mode == "random":
        kind = _one(values, prefix + "pool") or "all"
        if kind == "list":
            slot["pool"] = {"kind": "list", "ids": _many(values, prefix + "pool_ids")}
        elif kind == "tag":
            slot["pool"] = {
                "kind": "tag",
                "key": _one(values, prefix + "pool_key") or None,
                "value": _one(values, prefix + "pool_value") or None,
            }
        if category == "detailers":
            count = _number(_one(values, prefix + "count"), int)
            if count not in (None, 1):
                slot["count"] = count
    if _one(values, prefix + "fields_mode") == "choose":
        slot["fields"] = _many(values, prefix + "fields")
    return slot


def _hires(values: FormValues) -> dict[str, Any] | None:
    """The hires pass the ``hires.*`` fields describe; None when it is not enabled."""
    if _one(values, "hires.enabled") not in ("1", "on"):
        return None
    hires: dict[str, Any] = {}
    for name, kind in (("scale", float), ("denoise", float), ("steps", int)):
        number = _number(_one(values, f"hires.{name}"), kind)
        if number is not None:
            hires[name] = number
    hires["upscaler"] = _one(values, "hires.upscaler") or HIRES_DEFAULTS["upscaler"]
    for name in ("sampler", "scheduler"):
        if _one(values, f"hires.{name}"):
            hires[name] = _one(values, f"hires.{name}")
    return hires


def _hires_state(hires: Any) -> dict[str, Any]:
    shown = {**HIRES_DEFAULTS, **hires} if isinstance(hires, Mapping) else HIRES_DEFAULTS
    return {
        "enabled": isinstance(hires, Mapping),
        "scale": "" if shown.get("scale") is None else shown["scale"],
        "denoise": "" if shown.get("denoise") is None else shown["denoise"],
        "steps": "" if shown.get("steps") is None else shown["steps"],
        "upscaler": shown.get("upscaler") or "",
        "sampler": shown.get("sampler") or "",
        "scheduler": shown.get("scheduler") or "",
    }


LORA_ROW_FIELDS = ("file", "weight", "clip_weight", "triggers")
BLANK_LORA_ROWS = 2
"""Empty rows the editor offers below the preset's LoRAs (a form without scripts)."""


def _lora_weight(text: str) -> Any:
    low, separator, high = text.partition("..")
    if separator:
        return {"min": _number(low.strip(), float), "max": _number(high.strip(), float)}
    return _number(text, float)


def _loras(values: FormValues) -> list[dict[str, Any]]:
    """The LoRA rows (the ``loras.*`` fields, one value per row) that name a file."""
    columns = {name: list(values.get(f"loras.{name}") or []) for name in LORA_ROW_FIELDS}
    loras: list[dict[str, Any]] = []
    for row, file in enumerate(columns["file"]):
        cells = {
            name: (column[row].strip() if row < len(column) else "")
            for name, column in columns.items()
        }
        if not file.strip():
            continue
        lora: dict[str, Any] = {"file": file.strip()}
        if cells["weight"]:
            lora["weight"] = _lora_weight(cells["weight"])
        if cells["clip_weight"]:
            lora["clip_weight"] = _number(cells["clip_weight"], float)
        triggers = [word.strip() for word in cells["triggers"].split(",") if word.strip()]
        if triggers:
            lora["triggers"] = triggers
        loras.append(lora)
    return loras


def _lora_rows(loras: Any) -> list[dict[str, str]]:
    """The editor's LoRA rows: the preset's, then `BLANK_LORA_ROWS` empty ones."""
    rows: list[dict[str, str]] = []
    for lora in loras if isinstance(loras, list) else []:
        if not isinstance(lora, Mapping):
            continue
        weight = lora.get("weight", 1.0)
        if isinstance(weight, Mapping):
            weight = f"{weight.get('min')}..{weight.get('max')}"
        triggers = lora.get("triggers") or []
        rows.append(
            {
                "file": str(lora.get("file") or ""),
                "weight": "" if weight is None else str(weight),
                "clip_weight": "" if lora.get("clip_weight") is None else str(lora["clip_weight"]),
                "triggers": ", ".join(triggers) if isinstance(triggers, list) else str(triggers),
            }
        )
    blank = dict.fromkeys(LORA_ROW_FIELDS, "")
    return rows + [dict(blank) for _ in range(BLANK_LORA_ROWS)]


def preset_document(values: FormValues, *, preset_id: str | None = None) -> dict[str, Any]:
    """The preset document the editor's fields describe (`preset_id` when editing)."""
    document: dict[str, Any] = {
        "id": preset_id if preset_id is not None else _one(values, "id"),
        "name": _one(values, "name"),
        "description": _one(values, "description"),
    }
    tags = parse_tags("\n".join(values.get("tags") or []))
    if tags:
        document["tags"] = tags
    for category in CATEGORIES:
        slot = _slot(values, category)
        if slot != {"mode": "none"}:
            document[category] = slot
    checkpoint = _one(values, "checkpoint")
    if checkpoint:
        document["checkpoint"] = checkpoint
    else:
        pool = _many(values, "checkpoint_pool")
        if pool:
            document["checkpoint_pool"] = pool
    size_mode = _one(values, "size_mode")
    if size_mode == "orientation" and _one(values, "orientation"):
        document["orientation"] = _one(values, "orientation")
    elif size_mode == "custom":
        document["width"] = _number(_one(values, "width"), int)
        document["height"] = _number(_one(values, "height"), int)
    for name, kind in (("steps", int), ("cfg", float), ("clip_skip", int)):
        number = _number(_one(values, name), kind)
        if number is not None:
            document[name] = number
    for name in ("sampler", "scheduler", "prompt_weighting"):
        if _one(values, name):
            document[name] = _one(values, name)
    hires = _hires(values)
    if hires is not None:
        document["hires"] = hires
    loras = _loras(values)
    if loras:
        document["loras"] = loras
    for name in ("positive", "negative"):
        document[name] = _one(values, name)
    document["is_favourite"] = _one(values, "is_favourite") in ("1", "on")
    document["is_nsfw"] = _one(values, "is_nsfw") in ("1", "on")
    return document


def keep_unedited(document: dict[str, Any], stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the editor does not show (the cover) is carried over from the stored preset."""
    if stored and stored.get("cover"):
        document["cover"] = stored["cover"]
    return document


def editor_state(document: Mapping[str, Any]) -> dict[str, Any]:
    """What the editor shows for a preset document (stored, or just refused)."""
    slots: dict[str, dict[str, Any]] = {}
    for category in CATEGORIES:
        slot = document.get(category) or {}
        pool = slot.get("pool") or {}
        fixed_ids = list(slot.get("ids") or []) or ([slot["id"]] if slot.get("id") else [])
        slots[category] = {
            "mode": slot.get("mode", "none"),
            "ids": fixed_ids,
            "outfit": slot.get("outfit") or "",
            "pool": pool.get("kind", "all"),
            "pool_ids": list(pool.get("ids") or []),
            "pool_key": pool.get("key") or "",
            "pool_value": pool.get("value") or "",
            "count": slot.get("count", 1),
            "fields_mode": "default" if slot.get("fields") is None else "choose",
            "fields": list(slot.get("fields") or []),
        }
    if document.get("width") is not None or document.get("height") is not None:
        size_mode = "custom"
    elif document.get("orientation"):
        size_mode = "orientation"
    else:
        size_mode = "checkpoint"
    return {
        "id": document.get("id", ""),
        "name": document.get("name", ""),
        "description": document.get("description", ""),
        "tags": tags_text(document.get("tags") or {}),
        "slots": slots,
        "checkpoint": document.get("checkpoint") or "",
        "checkpoint_pool": list(document.get("checkpoint_pool") or []),
        "size_mode": size_mode,
        "orientation": document.get("orientation") or "portrait",
        "width": document.get("width") if document.get("width") is not None else "",
        "height": document.get("height") if document.get("height") is not None else "",
        **{name: "" if document.get(name) is None else document[name] for name in SAMPLING_FIELDS},
        "hires": _hires_state(document.get("hires")),
        "loras": _lora_rows(document.get("loras")),
        "positive": document.get("positive", ""),
        "negative": document.get("negative", ""),
        "is_favourite": bool(document.get("is_favourite")),
        "is_nsfw": bool(document.get("is_nsfw")),
    }
