"""The LoRA files the resource editor offers, each with its header metadata (or null)."""

from __future__ import annotations

from typing import Any

from gaze.library.lora_listing import with_metadata
from gaze.runtime import Runtime


def lora_choices(runtime: Runtime) -> list[dict[str, Any]]:
    listed = runtime.checkpoint_catalogue().loras(runtime.backend_models())
    return with_metadata(listed, runtime.settings.loras_dir)
