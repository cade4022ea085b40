"""Small builders for library resources, checkpoints and presets used across the tests."""

from __future__ import annotations

from typing import Any

from gaze.library.schema import CheckpointSettings, Resource, resource_model_for
from gaze.library.view import InMemoryLibrary
from gaze.presets.schema import Preset

SD1 = "sd1/base.safetensors"
SDXL = "sdxl/base.safetensors"


def resource(category: str, resource_id: str, prompt: str = "", **extra: Any) -> Resource:
    """A resource whose one default field ``main::tags`` holds `prompt` (default: the id)."""
    document: dict[str, Any] = {
        "id": resource_id,
        "name": resource_id.replace("_", " ").title(),
        "fields": {"main": {"tags": prompt or resource_id.replace("_", " ")}},
        "default_fields": ["main::tags"],
    }
    document.update(extra)
    return resource_model_for(category).model_validate(document)


def checkpoint(path: str = SD1, **extra: Any) -> CheckpointSettings:
    base_model = "sdxl" if path.startswith("sdxl") else "sd1"
    return CheckpointSettings.model_validate({"path": path, "base_model": base_model, **extra})


def preset(**document: Any) -> Preset:
    return Preset.model_validate({"id": "test", "name": "Test", "checkpoint": SD1, **document})


def library(
    *resources: Resource, checkpoints: tuple[CheckpointSettings, ...] = ()
) -> InMemoryLibrary:
    return InMemoryLibrary(resources, checkpoints or (checkpoint(SD1), checkpoint(SDXL)))


def numbered(category: str, count: int, **extra: Any) -> list[Resource]:
    """``<category>_00`` ... resources, each with its id as prompt."""
    return [resource(category, f"{category}_{number:02d}", **extra) for number in range(count)]
