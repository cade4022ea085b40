"""A resource-save warning: the LoRA's header names a base model GAZE's families do not include."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gaze.library.lora_listing import LORA_METADATA_CACHE, local_lora_file

GAZE_FAMILIES = frozenset({"sd1", "sdxl"})


def lora_family_warnings(document: Mapping[str, Any], loras_dir: Path | None) -> list[str]:
    """One line when the resource's local LoRA file was made for a model GAZE does not run."""
    lora = document.get("lora")
    if loras_dir is None or not isinstance(lora, Mapping) or not isinstance(lora.get("file"), str):
        return []
    path = local_lora_file(loras_dir, lora["file"])
    metadata = LORA_METADATA_CACHE.metadata(path) if path is not None else None
    if metadata is None or metadata.base_model is None or metadata.family in GAZE_FAMILIES:
        return []
    return [
        f"lora: file {lora['file']!r} was made for {metadata.base_model!r}, "
        f"not a model family GAZE runs ({', '.join(sorted(GAZE_FAMILIES))})"
    ]
