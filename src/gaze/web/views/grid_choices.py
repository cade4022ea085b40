"""What the grid builder offers: the presets, what the backends offer (checkpoints, samplers,
schedulers, LoRAs) and the library's resources by category."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gaze.library.checkpoint_catalogue import BackendModels
from gaze.library.schema import CATEGORIES
from gaze.runtime import Runtime


def _offered(backends: Sequence[BackendModels], kind: str) -> list[str]:
    """Every sampler (or scheduler) a backend names, in the first backend's menu order."""
    found: dict[str, None] = {}
    for backend in backends:
        names = backend.lists.samplers if kind == "sampler" else backend.lists.schedulers
        found.update(dict.fromkeys(names or ()))
    return list(found)


def _resources(runtime: Runtime) -> dict[str, list[dict[str, str]]]:
    library = runtime.library_service()
    return {
        category: [
            {"id": item["id"], "name": item["name"]}
            for item in library.list(category, limit=None).items
        ]
        for category in CATEGORIES
    }


def grid_choices(runtime: Runtime) -> dict[str, Any]:
    backends = runtime.backend_models()
    catalogue = runtime.checkpoint_catalogue()
    presets = runtime.preset_service().list(limit=None).items
    return {
        "presets": [{"slug": preset["slug"], "name": preset["name"]} for preset in presets],
        "checkpoints": [
            entry["path"] for entry in catalogue.list(backends) if entry.get("available")
        ],
        "samplers": _offered(backends, "sampler"),
        "schedulers": _offered(backends, "scheduler"),
        "loras": [entry["path"] for entry in catalogue.loras(backends)],
        "resources": _resources(runtime),
    }
