"""A preset's own LoRAs must be installed: each file one the backends list (as GET
/api/v1/loras does) when it is saved."""

from __future__ import annotations

from collections.abc import Callable, Collection

from gaze.presets.schema import Preset

KnownLoras = Callable[[], Collection[str] | None]
"""Every LoRA file of every backend that answers; None when none could be asked."""


def unknown_lora_problems(preset: Preset, known_loras: Collection[str] | None) -> list[str]:
    """One line per LoRA of the preset's own that no backend has (none when `known_loras` is
    None: nothing could be asked)."""
    if known_loras is None:
        return []
    return [
        f"loras.{index}.file: {lora.file!r} is not an installed LoRA (not in models/loras or "
        "on any backend; see GET /api/v1/loras)"
        for index, lora in enumerate(preset.loras)
        if lora.file not in known_loras
    ]
