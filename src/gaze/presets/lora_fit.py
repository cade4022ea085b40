"""A preset's fixed checkpoint must fit the LoRAs of its fixed resources and its own LoRAs.

A LoRA's base model family comes from its file's header (see
:mod:`gaze.library.lora_metadata`); a LoRA without a header, or for a family GAZE does not run,
is not checked. The LoRA files are the embedded engine's, in ``loras/`` beside ``checkpoints/``.
"""

from __future__ import annotations

from pathlib import Path

from gaze.library.database_view import DatabaseLibrary
from gaze.library.lora_listing import LORA_METADATA_CACHE, local_lora_file
from gaze.library.schema import CATEGORIES
from gaze.presets.references import slot_resource_ids
from gaze.presets.schema import Preset

CHECKED_FAMILIES = frozenset({"sd1", "sdxl"})


def lora_fit_problems(
    preset: Preset, library: DatabaseLibrary, *, resources: bool = True
) -> list[str]:
    """One line per fixed resource (unless not `resources`), and per LoRA of the preset's own,
    whose LoRA is for another model family than the checkpoint."""
    if preset.checkpoint is None or library.checkpoints_dir is None:
        return []
    loras_dir = Path(library.checkpoints_dir).parent / "loras"
    checkpoint_family = library.checkpoint(preset.checkpoint).base_model
    problems: list[str] = []

    def check(where: str, file: str) -> None:
        path = local_lora_file(loras_dir, file)
        metadata = LORA_METADATA_CACHE.metadata(path) if path is not None else None
        if metadata is None or metadata.family not in CHECKED_FAMILIES:
            return
        if metadata.family != checkpoint_family:
            problems.append(
                f"{where} the LoRA {file!r}, made for {metadata.family} "
                f"({metadata.base_model}), but the checkpoint {preset.checkpoint!r} is "
                f"{checkpoint_family}"
            )

    for category in CATEGORIES if resources else ():
        slot = preset.slot(category)
        if slot.mode != "fixed":
            continue
        for resource_id in slot_resource_ids(slot):
            resource = library.get(category, resource_id)
            if resource is not None and resource.lora is not None:
                check(f"{category}.id: {resource_id!r} uses", resource.lora.file)
    for index, lora in enumerate(preset.loras):
        check(f"loras.{index}.file: the preset uses", lora.file)
    return problems
